#include "asr/asr.h"
#include "asr/postprocess.h"
#include "cli/cli.h"
#include "cli/transcribe.h"
#include "core/lib.h"
#include "notes/draft.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

/* `dictum note`: drafts a note from a transcript with the local engine. */

static const char *const audio_exts[] = {".wav",  ".mp3",  ".ogg", ".oga", ".flac", ".m4a",
                                         ".opus", ".webm", ".aac", ".wma", ".mp4"};

static const struct {
	const char *magic;
	size_t len;
} audio_magic[] = {
    {"RIFF", 4},
    {"ID3", 3},
    {"OggS", 4},
    {"fLaC", 4},
    {"\xff\xfb", 2},
    {"\xff\xf3", 2},
    {"\x1a\x45\xdf\xa3", 4},
};

static bool is_audio(const char *path, const char *data, size_t len)
{
	size_t n = strlen(path);
	for (size_t i = 0; i < sizeof(audio_exts) / sizeof(audio_exts[0]); i++) {
		size_t e = strlen(audio_exts[i]);
		if (n > e && strcasecmp(path + n - e, audio_exts[i]) == 0)
			return true;
	}
	for (size_t i = 0; i < sizeof(audio_magic) / sizeof(audio_magic[0]); i++)
		if (len >= audio_magic[i].len &&
		    memcmp(data, audio_magic[i].magic, audio_magic[i].len) == 0)
			return true;
	return memchr(data, '\0', len) != NULL;
}

/* JSON segments ([{"text", "speaker"?}...], {"segments": [...]} or
 * {"text": ...}) become one line per segment; *segments keeps the JSON.
 * Returns NULL when the input is not JSON (then it is used as it is). */
static char *segments_text(const char *input, char **segments)
{
	const char *p = input;
	while (isspace((unsigned char)*p))
		p++;
	if (*p != '[' && *p != '{')
		return NULL;
	struct json_object *root = json_tokener_parse(p);
	if (!root)
		return NULL;
	struct json_object *arr = root, *v;
	char *out = NULL;
	if (json_object_is_type(root, json_type_object)) {
		if (json_object_object_get_ex(root, "segments", &v) &&
		    json_object_is_type(v, json_type_array)) {
			arr = v;
		} else if (json_object_object_get_ex(root, "text", &v)) {
			out = strdup(json_object_get_string(v));
			arr = NULL;
		} else {
			arr = NULL;
		}
	}
	if (arr && json_object_is_type(arr, json_type_array)) {
		struct dynbuf d;
		dynbuf_init(&d, 64u << 20);
		int rc = 0;
		for (size_t i = 0; !rc && i < json_object_array_length(arr); i++) {
			struct json_object *seg = json_object_array_get_idx(arr, i), *t, *s;
			if (!json_object_object_get_ex(seg, "text", &t))
				continue;
			if (json_object_object_get_ex(seg, "speaker", &s))
				rc = dynbuf_printf(&d, "[%s] ", json_object_get_string(s));
			if (!rc)
				rc = dynbuf_printf(&d, "%s\n", json_object_get_string(t));
		}
		out = rc ? NULL : dynbuf_take(&d);
		dynbuf_free(&d);
		*segments = strdup(json_object_to_json_string_ext(arr, JSON_C_TO_STRING_PLAIN));
	}
	json_object_put(root);
	return out;
}

static const char *kind_name(unsigned kind)
{
	return kind == NOTE_FLAG_DRUG       ? "drug"
	       : kind == NOTE_FLAG_SIDE     ? "side"
	       : kind == NOTE_FLAG_NEGATION ? "negation"
	                                    : "number";
}

static struct json_object *draft_json(const struct note_draft *d, enum note_mode mode,
                                      int64_t note_id, const char *transcript)
{
	struct json_object *o = json_object_new_object();
	if (note_id)
		json_object_object_add(o, "id", json_object_new_int64(note_id));
	json_object_object_add(o, "noteType", json_object_new_string(d->note.note_type));
	json_object_object_add(
	    o, "specialty", d->note.specialty ? json_object_new_string(d->note.specialty) : NULL);
	json_object_object_add(o, "mode", json_object_new_string(note_mode_name(mode)));
	struct json_object *secs = json_object_new_array();
	for (size_t i = 0; i < d->note.nsections; i++) {
		const struct note_section *s = &d->note.sections[i];
		struct json_object *so = json_object_new_object();
		json_object_object_add(so, "key", json_object_new_string(s->key));
		json_object_object_add(so, "title", json_object_new_string(s->title));
		json_object_object_add(so, "text", json_object_new_string(s->text));
		struct json_object *sents = json_object_new_array();
		for (size_t k = 0; k < d->nsentences; k++) {
			const struct note_sentence *ns = &d->sentences[k];
			if (ns->section != i)
				continue;
			struct json_object *jo = json_object_new_object();
			json_object_object_add(
			    jo, "text",
			    json_object_new_string_len(s->text + ns->start, (int)ns->len));
			json_object_object_add(jo, "start",
			                       json_object_new_int64((int64_t)ns->start));
			json_object_object_add(
			    jo, "end", json_object_new_int64((int64_t)(ns->start + ns->len)));
			struct json_object *spans = json_object_new_array();
			for (size_t j = 0; j < ns->nspans; j++) {
				struct json_object *sp = json_object_new_array();
				json_object_array_add(
				    sp, json_object_new_int64((int64_t)ns->spans[j].start));
				json_object_array_add(
				    sp, json_object_new_int64((int64_t)ns->spans[j].end));
				json_object_array_add(spans, sp);
			}
			json_object_object_add(jo, "source", spans);
			if (ns->extract)
				json_object_object_add(jo, "extract", json_object_new_boolean(1));
			struct json_object *flags = json_object_new_array();
			for (size_t j = 0; j < d->nissues; j++)
				if (d->issues[j].sentence == k) {
					struct json_object *f = json_object_new_object();
					json_object_object_add(
					    f, "kind",
					    json_object_new_string(kind_name(d->issues[j].kind)));
					json_object_object_add(
					    f, "term", json_object_new_string(d->issues[j].term));
					json_object_array_add(flags, f);
				}
			json_object_object_add(jo, "unsupported", flags);
			json_object_array_add(sents, jo);
		}
		json_object_object_add(so, "sentences", sents);
		json_object_array_add(secs, so);
	}
	json_object_object_add(o, "sections", secs);
	struct json_object *issues = json_object_new_array();
	for (size_t j = 0; j < d->nissues; j++) {
		struct json_object *f = json_object_new_object();
		json_object_object_add(f, "kind",
		                       json_object_new_string(kind_name(d->issues[j].kind)));
		json_object_object_add(f, "term", json_object_new_string(d->issues[j].term));
		json_object_object_add(
		    f, "section",
		    json_object_new_string(
		        d->note.sections[d->sentences[d->issues[j].sentence].section].key));
		json_object_array_add(issues, f);
	}
	json_object_object_add(o, "unsupported", issues);
	/* the text the source spans index into (bytes) */
	json_object_object_add(o, "transcript", json_object_new_string(transcript));
	return o;
}

static int save_draft(struct cli_ctx *ctx, struct note_draft *d, int64_t patient,
                      const char *transcript, const char *segments, int64_t *note_id)
{
	store *s = NULL;
	int status = cli_open_store(ctx, &s);
	if (status)
		return status;
	struct patient p = {0};
	struct encounter e = {.patient_id = patient, .status = ENCOUNTER_DRAFT};
	int64_t tid = 0;
	if (store_begin(s) != DICTUM_OK) {
		status = cli_fail("note: %s", store_errmsg(s));
		goto out;
	}
	if (!patient) {
		p.first_name = strdup("Unidentified");
		p.last_name = strdup("Patient");
		if (!p.first_name || !p.last_name)
			goto nomem;
		if (store_patient_add(s, &p) != DICTUM_OK)
			goto fail;
		e.patient_id = p.id;
	}
	/* No aborting allocator here: the draft is not saved yet. */
	e.note_type = strdup(d->note.note_type);
	e.specialty = d->note.specialty ? strdup(d->note.specialty) : NULL;
	e.provider = strdup(cli_user());
	if (!e.note_type || (d->note.specialty && !e.specialty) || !e.provider)
		goto nomem;
	/* The encounter, its transcript and the draft land together or not at all. */
	if (store_encounter_add(s, &e) != DICTUM_OK ||
	    store_transcript_add(s, e.id, 0, "text", transcript, segments, &tid) != DICTUM_OK)
		goto fail;
	d->note.encounter_id = e.id;
	if (store_note_save(s, &d->note, cli_user()) != DICTUM_OK || store_commit(s) != DICTUM_OK)
		goto fail;
	*note_id = d->note.id;
	if (!patient)
		fprintf(stderr, "dictum: note: saved under a new unidentified patient %lld\n",
		        (long long)p.id);
	goto out;
nomem:
	status = cli_fail("note: cannot save: out of memory");
	store_rollback(s);
	goto out;
fail:
	status = cli_fail("note: cannot save: %s", store_errmsg(s));
	store_rollback(s);
out:
	patient_clear(&p);
	encounter_clear(&e);
	store_close(&s);
	return status;
}

/* Transcribes audio (already read into data when it came on standard
 * input) into *text, malloc'ed, and *rec, the recogniser's transcript.
 * Returns 0, or non-zero with err set. */
static int transcribe_input(struct cli_ctx *ctx, const char *path, const char *data, size_t len,
                            char **text, struct asr_transcript **rec, char *err,
                            size_t errlen)
{
	char tmp[4096] = "";
	int result = 0;
	if (strcmp(path, "-") == 0) {
		const char *dir = getenv("TMPDIR");
		snprintf(tmp, sizeof(tmp), "%s/dictum-note-XXXXXX", dir && *dir ? dir : "/tmp");
		int fd = mkstemp(tmp);
		bool written = fd >= 0 && write(fd, data, len) == (ssize_t)len;
		if (fd >= 0)
			close(fd);
		if (!written) {
			snprintf(err, errlen, "cannot keep the audio of standard input");
			result = DICTUM_IO;
			goto out;
		}
		path = tmp;
	}
	struct asr_transcript *t = NULL;
	if ((result = cli_transcribe_file(ctx, path, NULL, &t, err, errlen)))
		goto out;
	*text = asr_transcript_text(t);
	*rec = t;
	if (!*text) {
		snprintf(err, errlen, "out of memory");
		result = DICTUM_NOMEM;
	}
out:
	if (tmp[0])
		unlink(tmp);
	return result;
}

static int fail_type(const char *type)
{
	fprintf(stderr, "dictum: note: unknown note type '%s'; valid types:", type);
	for (size_t i = 0; i < note_type_count; i++)
		fprintf(stderr, " %s", note_type_keys[i]);
	fputc('\n', stderr);
	return 1;
}

int cmd_note(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"type", required_argument, NULL, 't'},    {"specialty", required_argument, NULL, 's'},
	    {"mode", required_argument, NULL, 'm'},    {"format", required_argument, NULL, 'f'},
	    {"json", no_argument, NULL, 'j'},          {"save", no_argument, NULL, 'S'},
	    {"patient", required_argument, NULL, 'p'}, {0, 0, 0, 0},
	};
	const char *type = NULL, *specialty = NULL, *format = "text";
	int mode = -1, c;
	bool save = false, json = ctx->json;
	int64_t patient = 0;
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 't':
			type = optarg;
			break;
		case 's':
			specialty = optarg;
			break;
		case 'm':
			if ((mode = note_mode_parse(optarg)) < 0)
				return cli_fail("note: --mode is dictation or ambient");
			break;
		case 'f':
			format = optarg;
			break;
		case 'j':
			json = true;
			break;
		case 'S':
			save = true;
			break;
		case 'p':
			if (!cli_parse_id(optarg, &patient))
				return cli_fail("note: --patient needs a patient id");
			break;
		default:
			return cli_fail("note: unknown option '%s'", argv[optind - 1]);
		}
	}
	if (!type || optind != argc - 1)
		return cli_fail("note: needs --type TYPE and one FILE or -");
	if (!note_type_valid(type))
		return fail_type(type);
	int fmt = note_format_parse(format);
	if (fmt < 0)
		return cli_fail("note: --format is text or markdown");
	if (patient && !save)
		return cli_fail("note: --patient goes with --save");

	char *input = NULL, *text = NULL, *segments = NULL, *spoken = NULL;
	size_t len = 0;
	int rc = file_read_all(argv[optind], 16u << 20, &input, &len);
	/* A file too large for a transcript can only be a recording. */
	bool audio = rc == -EFBIG && strcmp(argv[optind], "-") != 0;
	if (rc && !audio)
		return cli_fail("note: cannot read %s: %s", argv[optind], strerror(-rc));
	int status = 0;
	struct note_engine engine;
	struct note_draft d = {0};
	char err[512] = "";
	bool engine_loaded = false;
	struct asr_transcript *rec = NULL;
	if (audio || is_audio(argv[optind], input, len)) {
		/* Audio is transcribed first by the local speech engine. */
		if (transcribe_input(ctx, argv[optind], input, len, &text, &rec, err,
		                     sizeof(err))) {
			status = cli_fail("note: %s", err);
			goto out;
		}
		if (mode < 0)
			mode = NOTE_MODE_DICTATION;
	} else {
		text = segments_text(input, &segments);
	}
	const char *transcript = text ? text : input;
	if (str_blank(transcript)) {
		status = cli_fail("note: the transcript is empty");
		goto out;
	}
	if (note_engine_load(&engine, NULL, err, sizeof(err)) != DICTUM_OK) {
		status = cli_fail("note: cannot load note types: %s", err);
		goto out;
	}
	engine_loaded = true;
	if (specialty && !tmpl_specialty_find(&engine.catalog, specialty))
		fprintf(stderr, "dictum: note: no section adjustments for specialty '%s'\n",
		        specialty);
	if (mode < 0)
		mode = strstr(transcript, "[doctor]") || strstr(transcript, "[patient]") ||
		               strstr(transcript, "Doctor:") || strstr(transcript, "Patient:")
		           ? NOTE_MODE_AMBIENT
		           : NOTE_MODE_DICTATION;
	if (mode == NOTE_MODE_DICTATION && (spoken = dictation_spoken_text(transcript)))
		transcript = spoken;
	rc = note_draft(&engine, transcript, type, specialty, (enum note_mode)mode, &d);
	if (rc == DICTUM_NOTFOUND) {
		status = fail_type(type);
		goto out;
	}
	if (rc) {
		status = cli_fail("note: %s", dictum_strerror(rc));
		goto out;
	}
	int64_t note_id = 0;
	if (save && (status = save_draft(ctx, &d, patient, transcript, segments, &note_id)))
		goto out;
	if (json) {
		struct json_object *o = draft_json(&d, (enum note_mode)mode, note_id, transcript);
		/* What the recogniser heard, its unsure words marked for review. */
		if (rec)
			json_object_object_add(o, "recognized",
			                       cli_transcript_json(rec, asr_low_confidence(&ctx->config)));
		cli_print_json(o);
	} else if (save) {
		/* The saved note is read back with `dictum notes show ID`. */
		printf("%lld\n", (long long)note_id);
	} else {
		struct dynbuf out;
		dynbuf_init(&out, 64u << 20);
		bool md = fmt == NOTE_FORMAT_MARKDOWN;
		int r = 0;
		for (size_t i = 0; !r && i < d.note.nsections; i++) {
			const struct note_section *s = &d.note.sections[i];
			r = dynbuf_printf(&out, "%s%s%s\n%s\n", i ? "\n" : "", md ? "## " : "",
			                  s->title, s->text);
		}
		if (!r && d.nissues) {
			r = dynbuf_printf(&out, "\n%sNot in the transcript (check before signing):",
			                  md ? "> " : "");
			for (size_t i = 0; !r && i < d.nissues; i++)
				r = dynbuf_printf(&out, " %s", d.issues[i].term);
			if (!r)
				r = dynbuf_addstr(&out, "\n");
		}
		if (r)
			status = cli_fail("note: %s", dictum_strerror(r));
		else
			fwrite(dynbuf_str(&out), 1, out.len, stdout);
		dynbuf_free(&out);
	}
out:
	if (engine_loaded)
		note_engine_clear(&engine);
	note_draft_clear(&d);
	free(input);
	free(text);
	free(segments);
	free(spoken);
	asr_transcript_free(&rec);
	return status;
}
