#include "audio/decode_internal.h"
#include "core/error.h"

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/channel_layout.h>
#include <libavutil/opt.h>
#include <libswresample/swresample.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#define OUT_CHUNK 8192

static void ffmpeg_init_once(void)
{
	/* FFmpeg logs to stderr by default; the reasons we need come back as codes. */
	av_log_set_level(AV_LOG_QUIET);
}

/* The one place FFmpeg's AVERROR codes become DICTUM_* statuses. */
static int ffmpeg_status(int e)
{
	if (e == AVERROR(ENOMEM))
		return DICTUM_NOMEM;
	if (e == AVERROR(ENOENT))
		return DICTUM_NOTFOUND;
	if (e == AVERROR(EIO) || e == AVERROR(EACCES))
		return DICTUM_IO;
	if (e == AVERROR_DECODER_NOT_FOUND || e == AVERROR_DEMUXER_NOT_FOUND ||
	    e == AVERROR_PATCHWELCOME || e == AVERROR(ENOSYS))
		return DICTUM_UNSUPPORTED;
	return DICTUM_INVAL;
}

static int ffmpeg_fail(int e, char *why, size_t whylen, const char *what)
{
	char msg[AV_ERROR_MAX_STRING_SIZE] = "";
	av_strerror(e, msg, sizeof(msg));
	int result = ffmpeg_status(e);
	snprintf(why, whylen, "%s (%s)", what, msg);
	return result;
}

struct ff {
	AVFormatContext *fmt;
	AVCodecContext *dec;
	SwrContext *swr;
	AVPacket *pkt;
	AVFrame *frame;
	float *buf;
	int buf_frames;
	int channels;
};

static int convert(struct ff *f, struct decode_out *o, const AVFrame *fr)
{
	int want = swr_get_out_samples(f->swr, fr ? fr->nb_samples : 0);
	if (want < 0)
		return DICTUM_INTERNAL;
	if (want > f->buf_frames) {
		float *p =
		    av_realloc_array(f->buf, (size_t)want * (size_t)f->channels, sizeof(float));
		if (!p)
			return DICTUM_NOMEM;
		f->buf = p;
		f->buf_frames = want;
	}
	uint8_t *outp[1] = {(uint8_t *)f->buf};
	int n =
	    swr_convert(f->swr, outp, f->buf_frames,
	                fr ? (const uint8_t **)fr->extended_data : NULL, fr ? fr->nb_samples : 0);
	if (n < 0)
		return DICTUM_INVAL;
	return decode_out_push(o, f->buf, (size_t)n);
}

static int drain_frames(struct ff *f, struct decode_out *o, char *why, size_t whylen)
{
	for (;;) {
		int e = avcodec_receive_frame(f->dec, f->frame);
		if (e == AVERROR(EAGAIN) || e == AVERROR_EOF)
			return DICTUM_OK;
		if (e < 0)
			return ffmpeg_fail(e, why, whylen, "damaged audio");
		int result = convert(f, o, f->frame);
		av_frame_unref(f->frame);
		if (result) {
			if (result != DICTUM_NOMEM && result != DICTUM_INVAL)
				snprintf(why, whylen, "cannot convert the audio");
			return result;
		}
	}
}

int decode_ffmpeg(const char *path, struct decode_out *o, char *why, size_t whylen)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	int result = DICTUM_OK;
	struct ff f = {0};
	AVChannelLayout mono = AV_CHANNEL_LAYOUT_MONO;
	int e, idx;
	int64_t promised = 0;

	pthread_once(&once, ffmpeg_init_once);
	if ((e = avformat_open_input(&f.fmt, path, NULL, NULL)) < 0) {
		f.fmt = NULL;
		result = ffmpeg_fail(e, why, whylen, "damaged, truncated or not audio");
		goto out;
	}
	if ((e = avformat_find_stream_info(f.fmt, NULL)) < 0) {
		result = ffmpeg_fail(e, why, whylen, "damaged or truncated");
		goto out;
	}
	idx = av_find_best_stream(f.fmt, AVMEDIA_TYPE_AUDIO, -1, -1, NULL, 0);
	if (idx < 0) {
		result = idx == AVERROR_STREAM_NOT_FOUND ? DICTUM_INVAL : ffmpeg_status(idx);
		snprintf(why, whylen, "no audio stream in the file");
		goto out;
	}
	AVStream *st = f.fmt->streams[idx];
	const AVCodec *codec = avcodec_find_decoder(st->codecpar->codec_id);
	if (!codec) {
		result = DICTUM_UNSUPPORTED;
		snprintf(why, whylen, "unsupported codec '%s'",
		         avcodec_get_name(st->codecpar->codec_id));
		goto out;
	}
	if (o->info)
		snprintf(o->info->codec, sizeof(o->info->codec), "%s", codec->name);
	f.dec = avcodec_alloc_context3(codec);
	f.pkt = av_packet_alloc();
	f.frame = av_frame_alloc();
	if (!f.dec || !f.pkt || !f.frame) {
		result = DICTUM_NOMEM;
		goto out;
	}
	if ((e = avcodec_parameters_to_context(f.dec, st->codecpar)) < 0 ||
	    (e = avcodec_open2(f.dec, codec, NULL)) < 0) {
		result = ffmpeg_fail(e, why, whylen, "cannot decode this audio");
		goto out;
	}
	int rate = f.dec->sample_rate;
	if (f.dec->ch_layout.nb_channels < 1)
		av_channel_layout_default(&f.dec->ch_layout, 1);
	/* FFmpeg converts the sample format and folds channels; libsamplerate the rate. */
	f.channels = 1;
	if ((result = decode_out_begin(o, rate, 1)) != DICTUM_OK) {
		snprintf(why, whylen, "impossible format (%d Hz)", rate);
		goto out;
	}
	if (o->info)
		o->info->source_channels = f.dec->ch_layout.nb_channels;
	if ((e = swr_alloc_set_opts2(&f.swr, &mono, AV_SAMPLE_FMT_FLT, rate, &f.dec->ch_layout,
	                             f.dec->sample_fmt, rate, 0, NULL)) < 0 ||
	    (e = swr_init(f.swr)) < 0) {
		result = ffmpeg_fail(e, why, whylen, "cannot convert this audio");
		goto out;
	}
	if (st->duration > 0 && st->time_base.den > 0)
		promised = av_rescale_q(st->duration, st->time_base, (AVRational){1, rate});
	else if (f.fmt->duration > 0)
		promised = av_rescale(f.fmt->duration, rate, AV_TIME_BASE);
	for (;;) {
		e = av_read_frame(f.fmt, f.pkt);
		if (e == AVERROR_EOF)
			break;
		if (e < 0) {
			result = ffmpeg_fail(e, why, whylen, "damaged or truncated");
			goto out;
		}
		if (f.pkt->stream_index == idx) {
			e = avcodec_send_packet(f.dec, f.pkt);
			if (e < 0 && e != AVERROR(EAGAIN) && e != AVERROR_INVALIDDATA) {
				av_packet_unref(f.pkt);
				result = ffmpeg_fail(e, why, whylen, "damaged audio");
				goto out;
			}
		}
		av_packet_unref(f.pkt);
		if ((result = drain_frames(&f, o, why, whylen)) != DICTUM_OK)
			goto out;
	}
	avcodec_send_packet(f.dec, NULL);
	if ((result = drain_frames(&f, o, why, whylen)) != DICTUM_OK)
		goto out;
	if ((result = convert(&f, o, NULL)) != DICTUM_OK)
		goto out;
	if (o->source_frames == 0) {
		result = DICTUM_INVAL;
		snprintf(why, whylen, "no audio could be decoded (damaged or truncated)");
		goto out;
	}
	if (promised > 0 && decode_short(o->source_frames, (uint64_t)promised)) {
		result = DICTUM_INVAL;
		snprintf(why, whylen,
		         "truncated: the header promises %.2f s but the file holds %.2f s",
		         (double)promised / rate, (double)o->source_frames / rate);
		goto out;
	}
out:
	av_freep(&f.buf);
	swr_free(&f.swr);
	av_frame_free(&f.frame);
	av_packet_free(&f.pkt);
	avcodec_free_context(&f.dec);
	avformat_close_input(&f.fmt);
	return result;
}
