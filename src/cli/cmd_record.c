#include "audio/lib.h"
#include "cli/cli.h"
#include "core/lib.h"
#include "recordings/recover.h"

#include <errno.h>
#include <getopt.h>
#include <json-c/json.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stop_requested;
static volatile sig_atomic_t pause_toggles;

static void on_stop_signal(int sig)
{
	stop_requested = 1;
}

static void on_pause_signal(int sig)
{
	pause_toggles++;
}

/* Shared between the capture thread (callbacks) and the command. */
struct record_state {
	pthread_mutex_t lock;
	struct wav_writer *writer; /* NULL until registered: frames before are dropped */
	uint64_t max_frames;       /* 0 for no limit */
	bool meter;
	atomic_bool flowing; /* the first frames reached the file */
	atomic_bool done;    /* the -t limit was reached or the file ended */
	atomic_bool lost;    /* the device disappeared */
	atomic_int failure;  /* a writer or read failure */
	char message[512];
};

static int on_frames(void *ctx, const int16_t *pcm, size_t n)
{
	struct record_state *st = ctx;
	int result = DICTUM_OK;
	pthread_mutex_lock(&st->lock);
	if (!st->writer || atomic_load(&st->done))
		goto out;
	if (st->max_frames) {
		uint64_t have = wav_writer_frames(st->writer);
		if (have + n >= st->max_frames) {
			n = (size_t)(st->max_frames - have);
			atomic_store(&st->done, true);
		}
	}
	result = wav_writer_write(st->writer, pcm, n);
	if (n)
		atomic_store(&st->flowing, true);
	if (result) {
		snprintf(st->message, sizeof(st->message), "%s", wav_writer_errmsg(st->writer));
		atomic_store(&st->failure, result);
	}
out:
	pthread_mutex_unlock(&st->lock);
	return result;
}

static void on_level(void *ctx, const struct level_reading *r)
{
	struct record_state *st = ctx;
	if (st->meter)
		fprintf(stderr, "level %7.3f s  rms %6.1f dBFS  peak %6.1f dBFS\n",
		        (double)r->end_frame / AUDIO_RATE, r->rms_db, r->peak_db);
}

static void on_event(void *ctx, enum capture_event ev, int status, const char *message)
{
	struct record_state *st = ctx;
	if (ev == CAPTURE_EVENT_OVERRUN) {
		log_warn("record", "%s", message);
		return;
	}
	pthread_mutex_lock(&st->lock);
	if (ev == CAPTURE_EVENT_DEVICE_LOST) {
		snprintf(st->message, sizeof(st->message), "%s", message);
		atomic_store(&st->lost, true);
	} else if (ev == CAPTURE_EVENT_END) {
		atomic_store(&st->done, true);
	} else if (!atomic_load(&st->failure)) {
		snprintf(st->message, sizeof(st->message), "%s", message);
		atomic_store(&st->failure, status ? status : DICTUM_IO);
	}
	pthread_mutex_unlock(&st->lock);
}

static int default_path(struct cli_ctx *ctx, char *out, size_t size)
{
	int rc = recording_new_path(ctx->paths.recordings_dir, out, size);
	if (rc == -ENAMETOOLONG)
		return cli_fail("record: the recordings folder path is too long");
	if (rc)
		return cli_fail("record: cannot create %s: %s", ctx->paths.recordings_dir,
		                strerror(-rc));
	return 0;
}

static int absolute_path(const char *in, char *out, size_t size)
{
	char cwd[PATH_MAX];
	if (in[0] == '/')
		return (size_t)snprintf(out, size, "%s", in) < size ? 0 : -1;
	if (!getcwd(cwd, sizeof(cwd)))
		return -1;
	return (size_t)snprintf(out, size, "%s/%s", cwd, in) < size ? 0 : -1;
}

int cmd_record(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"backend", required_argument, NULL, 'b'},
	    {"device", required_argument, NULL, 'd'},
	    {"time", required_argument, NULL, 't'},
	    {"output", required_argument, NULL, 'o'},
	    {"meter", no_argument, NULL, 'm'},
	    {"fallback", required_argument, NULL, 'f'},
	    {NULL, 0, NULL, 0},
	};
	const char *backend = NULL, *device = NULL, *output = NULL;
	double seconds = 0;
	bool meter = false, fell_back = false;
	const char *fallback = NULL;
	char path[PATH_MAX + 64];
	char err[1024];
	char sha[65] = "";
	int status = 0, c, rc;
	store *s = NULL;
	struct capture *cap = NULL;
	struct recording rec = {0};
	struct record_state st = {.lock = PTHREAD_MUTEX_INITIALIZER};
	struct sigaction sa_stop = {.sa_handler = on_stop_signal};
	struct sigaction sa_pause = {.sa_handler = on_pause_signal};
	struct sigaction sa_ign = {.sa_handler = SIG_IGN};
	struct sigaction old_int, old_term, old_usr1, old_xfsz;
	bool signals_set = false, registered = false;

	optind = 0;
	while ((c = getopt_long(argc, argv, "b:d:t:o:", opts, NULL)) != -1) {
		char *end;
		switch (c) {
		case 'b':
			backend = optarg;
			break;
		case 'd':
			device = optarg;
			break;
		case 't':
			errno = 0;
			seconds = strtod(optarg, &end);
			if (errno || *end || !(seconds > 0) || seconds > 24 * 3600)
				return cli_fail("record: -t takes a number of seconds, not '%s'",
				                optarg);
			break;
		case 'o':
			output = optarg;
			break;
		case 'm':
			meter = true;
			break;
		case 'f':
			fallback = optarg;
			break;
		default:
			return cli_usage("record");
		}
	}
	if (optind != argc)
		return cli_usage("record");
	if (backend && strcmp(backend, "alsa") != 0 && strcmp(backend, "pulse") != 0 &&
	    strcmp(backend, "file") != 0)
		return cli_fail("record: -b takes alsa or pulse, not '%s'", backend);

	if (output) {
		size_t len = strlen(output);
		if (len < 5 || strcmp(output + len - 4, ".wav") != 0)
			return cli_fail("record: -o needs a file name ending in .wav");
		if (absolute_path(output, path, sizeof(path)) != 0)
			return cli_fail("record: the path %s is too long", output);
	} else if ((status = default_path(ctx, path, sizeof(path))) != 0) {
		return status;
	}
	if ((status = cli_open_store(ctx, &s)) != 0)
		return status;
	st.max_frames = seconds > 0 ? (uint64_t)llround(seconds * AUDIO_RATE) : 0;
	st.meter = meter;

	/* SIGINT/SIGTERM finish the file cleanly; SIGUSR1 pauses and resumes;
	 * a file size limit is a full disk, not a reason to die. */
	stop_requested = 0;
	pause_toggles = 0;
	sigaction(SIGINT, &sa_stop, &old_int);
	sigaction(SIGTERM, &sa_stop, &old_term);
	sigaction(SIGUSR1, &sa_pause, &old_usr1);
	sigaction(SIGXFSZ, &sa_ign, &old_xfsz);
	signals_set = true;

	struct capture_callbacks cb = {on_frames, on_level, on_event, &st};
	if (capture_start(backend, device, &cb, &cap, err, sizeof(err)) != DICTUM_OK) {
		status = cli_fail("record: %s", err);
		goto out;
	}
	struct wav_writer *w = NULL;
	if (wav_writer_open(path, AUDIO_RATE, 1, WAV_FLUSH_MS_DEFAULT, &w, err, sizeof(err)) !=
	    DICTUM_OK) {
		status = cli_fail("record: %s", err);
		goto out;
	}
	rec.path = path;
	rec.sample_rate = AUDIO_RATE;
	rec.channels = 1;
	if (store_recording_begin(s, &rec) != DICTUM_OK) {
		/* Not registered, so it could not be recovered: do not record. */
		status = cli_fail("record: cannot register the recording: %s", store_errmsg(s));
		wav_writer_close(&w);
		unlink(path);
		goto out;
	}
	registered = true;
	pthread_mutex_lock(&st.lock);
	st.writer = w;
	pthread_mutex_unlock(&st.lock);
	int nrate, nch;
	capture_native_format(cap, &nrate, &nch);
	fprintf(stderr,
	        "dictum: recording to %s from %s %s (%d Hz, %d ch); Ctrl-C stops, SIGUSR1 pauses\n",
	        path, capture_backend(cap), *capture_device(cap) ? capture_device(cap) : "default",
	        nrate, nch);

	int seen_toggles = 0;
	bool said_flowing = false;
	while (!stop_requested && !atomic_load(&st.done) && !atomic_load(&st.failure)) {
		if (atomic_load(&st.lost) || capture_ended(cap)) {
			if (!atomic_load(&st.lost) || !fallback || fell_back)
				break;
			/* Go on in the same file from the fallback device. */
			char lost_msg[512];
			const char *bname = capture_backend(cap);
			pthread_mutex_lock(&st.lock);
			snprintf(lost_msg, sizeof(lost_msg), "%s", st.message);
			pthread_mutex_unlock(&st.lock);
			capture_stop(&cap);
			fell_back = true;
			if (capture_start(bname, fallback, &cb, &cap, err, sizeof(err)) !=
			    DICTUM_OK) {
				pthread_mutex_lock(&st.lock);
				snprintf(st.message, sizeof(st.message),
				         "%.200s; the fallback device failed too: %.250s", lost_msg,
				         err);
				pthread_mutex_unlock(&st.lock);
				break;
			}
			capture_set_paused(cap, (seen_toggles % 2) == 1);
			atomic_store(&st.lost, false);
			fprintf(stderr, "dictum: the device was lost (%s); continuing on %s\n",
			        lost_msg, fallback);
			continue;
		}
		poll(NULL, 0, 20);
		if (!said_flowing && atomic_load(&st.flowing)) {
			said_flowing = true;
			fprintf(stderr, "dictum: receiving audio\n");
		}
		if (pause_toggles != seen_toggles) {
			seen_toggles = pause_toggles;
			bool p = (seen_toggles % 2) == 1;
			capture_set_paused(cap, p);
			fprintf(stderr, "dictum: %s\n", p ? "paused" : "resumed");
		}
	}
	capture_stop(&cap);

	pthread_mutex_lock(&st.lock);
	w = st.writer;
	st.writer = NULL;
	pthread_mutex_unlock(&st.lock);
	uint64_t frames = wav_writer_frames(w);
	rc = wav_writer_close(&w);
	if (rc && !atomic_load(&st.failure)) {
		atomic_store(&st.failure, rc);
		snprintf(st.message, sizeof(st.message), "cannot finish the file: %s",
		         dictum_strerror(rc));
	}
	double secs = (double)frames / AUDIO_RATE;
	int64_t ms = (int64_t)(frames * 1000 / AUDIO_RATE);
	if (audio_file_sha256(path, sha) != DICTUM_OK)
		sha[0] = '\0';
	if (store_recording_finish(s, rec.id, ms, sha[0] ? sha : NULL, RECORDING_COMPLETE) !=
	    DICTUM_OK)
		fprintf(stderr, "dictum: warning: %s; 'dictum recover' will finish it\n",
		        store_errmsg(s));
	if (ctx->json) {
		struct json_object *o = json_object_new_object();
		json_object_object_add(o, "id", json_object_new_int64(rec.id));
		json_object_object_add(o, "uid", json_object_new_string(rec.uid));
		json_object_object_add(o, "path", json_object_new_string(path));
		json_object_object_add(o, "duration_s", json_object_new_double(secs));
		json_object_object_add(o, "sha256", json_object_new_string(sha));
		json_object_object_add(o, "device_lost",
		                       json_object_new_boolean(atomic_load(&st.lost)));
		json_object_object_add(o, "fallback_used", json_object_new_boolean(fell_back));
		if (atomic_load(&st.lost) || atomic_load(&st.failure))
			json_object_object_add(o, "error", json_object_new_string(st.message));
		cli_print_json(o);
	} else {
		printf("%s\t%.2f s\n", path, secs);
	}
	if (atomic_load(&st.lost))
		status = cli_fail(
		    "record: the device was lost (%s); the %.2f s before it are kept "
		    "in %s; record again with -d, or use --fallback DEVICE (see 'dictum devices')",
		    st.message, secs, path);
	else if (atomic_load(&st.failure))
		status = cli_fail("record: stopped: %s; the %.2f s before it are kept in %s",
		                  st.message, secs, path);
out:
	if (cap)
		capture_stop(&cap);
	if (st.writer) {
		/* Failed before the main loop: keep what was written. */
		wav_writer_close(&st.writer);
		if (registered)
			store_recording_finish(s, rec.id, 0, NULL, RECORDING_COMPLETE);
	}
	if (signals_set) {
		sigaction(SIGINT, &old_int, NULL);
		sigaction(SIGTERM, &old_term, NULL);
		sigaction(SIGUSR1, &old_usr1, NULL);
		sigaction(SIGXFSZ, &old_xfsz, NULL);
	}
	pthread_mutex_destroy(&st.lock);
	store_close(&s);
	return status;
}
