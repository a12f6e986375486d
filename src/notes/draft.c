#include "notes/draft.h"
#include "core/dynbuf.h"
#include "core/error.h"
#include "core/util.h"
#include "notes/faithful.h"
#include "notes/internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const mode_names[] = {"dictation", "ambient"};

int note_mode_parse(const char *name)
{
	for (size_t i = 0; name && i < sizeof(mode_names) / sizeof(mode_names[0]); i++)
		if (strcmp(mode_names[i], name) == 0)
			return (int)i;
	return -1;
}

const char *note_mode_name(enum note_mode mode)
{
	return (size_t)mode < sizeof(mode_names) / sizeof(mode_names[0]) ? mode_names[mode] : "?";
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int terms_add(struct tmpl_terms *d, const char *item)
{
	char **items = realloc(d->items, (d->count + 1) * sizeof(*items));
	if (!items)
		return DICTUM_NOMEM;
	d->items = items;
	if (!(d->items[d->count] = strdup(item)))
		return DICTUM_NOMEM;
	d->count++;
	return DICTUM_OK;
}

static void terms_clear(struct tmpl_terms *d)
{
	for (size_t i = 0; i < d->count; i++)
		free(d->items[i]);
	free(d->items);
	memset(d, 0, sizeof(*d));
}

/* The lines of DIR/notes/NAME that are neither blank nor comments. */
static int load_lines(struct tmpl_terms *d, const char *dir, const char *name, char *err,
                      size_t errlen)
{
	char path[1200];
	snprintf(path, sizeof(path), "%s/notes/%s", dir, name);
	char *text = NULL;
	int rc = file_read_all(path, 1u << 20, &text, NULL);
	if (rc) {
		snprintf(err, errlen, "cannot read %s: %s", path, strerror(-rc));
		return DICTUM_IO;
	}
	int result = DICTUM_OK;
	for (char *line = strtok(text, "\n"); line && !result; line = strtok(NULL, "\n")) {
		str_trim(line);
		if (*line && *line != '#')
			result = terms_add(d, line);
	}
	free(text);
	if (result)
		snprintf(err, errlen, "%s", dictum_strerror(result));
	return result;
}

static int load_drugs(struct tmpl_terms *d, const char *dir, char *err, size_t errlen)
{
	int result = load_lines(d, dir, "drugs.txt", err, errlen);
	if (!result && d->count)
		qsort(d->items, d->count, sizeof(d->items[0]), cmp_str);
	return result;
}

/* glosses.txt: "said = standard" a line. */
static int load_glosses(struct note_engine *e, const char *dir, char *err, size_t errlen)
{
	struct tmpl_terms lines = {0};
	int result = load_lines(&lines, dir, "glosses.txt", err, errlen);
	for (size_t i = 0; !result && i < lines.count; i++) {
		char *eq = strchr(lines.items[i], '=');
		if (!eq) {
			snprintf(err, errlen, "%s/notes/glosses.txt: '%s' is not 'said = standard'",
			         dir, lines.items[i]);
			result = DICTUM_INVAL;
			break;
		}
		*eq = '\0';
		char *said = str_trim(lines.items[i]), *standard = str_trim(eq + 1);
		if (!*said || !*standard) {
			snprintf(err, errlen, "%s/notes/glosses.txt: an empty side in '%s ='", dir,
			         said);
			result = DICTUM_INVAL;
			break;
		}
		if ((result = terms_add(&e->said, said)) ||
		    (result = terms_add(&e->standard, standard)))
			snprintf(err, errlen, "%s", dictum_strerror(result));
	}
	terms_clear(&lines);
	return result;
}

int note_engine_load(struct note_engine *e, const char *dir, char *err, size_t errlen)
{
	memset(e, 0, sizeof(*e));
	if (!dir)
		dir = tmpl_data_dir();
	int result = tmpl_catalog_load(&e->catalog, dir, err, errlen);
	if (!result)
		result = load_drugs(&e->drugs, dir, err, errlen);
	if (!result)
		result = load_glosses(e, dir, err, errlen);
	if (result)
		note_engine_clear(e);
	return result;
}

void note_engine_clear(struct note_engine *e)
{
	tmpl_catalog_clear(&e->catalog);
	terms_clear(&e->drugs);
	terms_clear(&e->said);
	terms_clear(&e->standard);
	memset(e, 0, sizeof(*e));
}

void note_draft_clear(struct note_draft *d)
{
	note_clear(&d->note);
	free(d->sentences);
	for (size_t i = 0; i < d->nissues; i++)
		free(d->issues[i].term);
	free(d->issues);
	memset(d, 0, sizeof(*d));
}

/* ---- builder ---- */

int note_builder_add(struct note_builder *b, int slot, char *text, const struct note_span *spans,
                     size_t nspans, bool extract)
{
	if (!text)
		return DICTUM_NOMEM;
	if (slot < 0 || !*text) {
		free(text);
		return DICTUM_OK;
	}
	for (size_t i = 0; i < b->n; i++)
		if (b->p[i].slot == slot && strcmp(b->p[i].text, text) == 0) {
			free(text);
			return DICTUM_OK;
		}
	if (b->n == b->cap) {
		size_t ncap = b->cap ? b->cap * 2 : 32;
		struct note_piece *p = realloc(b->p, ncap * sizeof(*p));
		if (!p) {
			free(text);
			return DICTUM_NOMEM;
		}
		b->p = p;
		b->cap = ncap;
	}
	struct note_piece *p = &b->p[b->n++];
	memset(p, 0, sizeof(*p));
	p->slot = slot;
	p->text = text;
	p->seq = b->seq++;
	p->extract = extract;
	for (size_t i = 0; i < nspans && p->nspans < NOTE_MAX_SPANS; i++)
		p->spans[p->nspans++] = spans[i];
	return DICTUM_OK;
}

void note_builder_pop(struct note_builder *b)
{
	if (!b->n)
		return;
	free(b->p[b->n - 1].text);
	b->n--;
}

void note_builder_free(struct note_builder *b)
{
	for (size_t i = 0; i < b->n; i++)
		free(b->p[i].text);
	free(b->p);
	memset(b, 0, sizeof(*b));
}

/* Where content goes when the note type has no section for it. */
static const struct {
	const char *kind, *fallback;
} route_fallbacks[] = {
    {"cc", "hpi"},
    {"ap", "assessment"},
    {"interval", "hpi"},
    {"pmh", "hpi"},
    {"psh", "pmh"},
    {"meds", "hpi"},
    {"allergies", "meds"},
    {"social", "hpi"},
    {"family", "social"},
    {"ros", "hpi"},
    {"vitals", "exam"},
    {"exam", "results"},
    {"results", "assessment"},
    {"assessment", "plan"},
    {"plan", "followup"},
    {"followup", "disposition"},
    {"hpi", "interval"},
    {"disposition", "actions"},
    {"actions", "assessment"},
};

static int route_direct(const struct tmpl_layout *l, const char *kind)
{
	int at = tmpl_layout_index(l, kind);
	if (at >= 0)
		return at;
	for (size_t i = 0; i < l->count; i++)
		for (size_t j = 0; j < l->section[i]->takes.count; j++)
			if (strcmp(l->section[i]->takes.items[j], kind) == 0)
				return (int)i;
	return -1;
}

int note_route(const struct tmpl_layout *l, const char *kind)
{
	for (int depth = 0; kind && depth < 8; depth++) {
		int at = route_direct(l, kind);
		if (at >= 0)
			return at;
		const char *next = NULL;
		for (size_t i = 0; i < sizeof(route_fallbacks) / sizeof(route_fallbacks[0]); i++)
			if (strcmp(route_fallbacks[i].kind, kind) == 0)
				next = route_fallbacks[i].fallback;
		kind = next;
	}
	return l->count ? 0 : -1;
}

/* ---- assembling the note ---- */

static int cmp_piece(const void *a, const void *b)
{
	const struct note_piece *x = a, *y = b;
	if (x->slot != y->slot)
		return x->slot < y->slot ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

struct issue_ctx {
	struct note_draft *d;
	size_t sentence;
	int result;
};

static void on_issue(void *ctx, unsigned kind, const char *term, size_t len)
{
	struct issue_ctx *c = ctx;
	struct note_draft *d = c->d;
	if (c->result)
		return;
	struct note_issue *arr = realloc(d->issues, (d->nissues + 1) * sizeof(*arr));
	char *copy = strndup(term, len);
	if (!arr || !copy) {
		free(copy);
		if (arr)
			d->issues = arr;
		c->result = DICTUM_NOMEM;
		return;
	}
	d->issues = arr;
	arr[d->nissues++] =
	    (struct note_issue){.sentence = c->sentence, .kind = kind, .term = copy};
	d->sentences[c->sentence].flags |= kind;
}

/* Checks sentence k against the transcript text of its own spans. */
static int check_sentence(const struct note_engine *e, const char *transcript, struct note_draft *d,
                          size_t k)
{
	const struct note_sentence *s = &d->sentences[k];
	struct dynbuf src;
	dynbuf_init(&src, 64u << 20);
	int result = DICTUM_OK;
	size_t tlen = strlen(transcript);
	for (size_t i = 0; !result && i < s->nspans; i++) {
		size_t a = s->spans[i].start, b = s->spans[i].end;
		if (a <= b && b <= tlen)
			result = dynbuf_add(&src, transcript + a, b - a);
		if (!result)
			result = dynbuf_addstr(&src, "\n");
	}
	struct note_faith f = {0};
	if (!result)
		result = note_faith_init(&f, dynbuf_str(&src));
	if (!result) {
		struct issue_ctx c = {.d = d, .sentence = k};
		const char *text = d->note.sections[s->section].text + s->start;
		note_faith_check(e, &f, text, s->len, on_issue, &c);
		/* the source says no, the sentence does not */
		if (!s->extract && note_has_negation(src.buf, src.len) &&
		    !note_has_negation(text, s->len))
			on_issue(&c, NOTE_FLAG_NEGATION, "negation", 8);
		result = c.result;
	}
	note_faith_clear(&f);
	dynbuf_free(&src);
	return result;
}

static int assemble(const struct note_engine *e, const struct tmpl_layout *l,
                    struct note_builder *b, const char *transcript, struct note_draft *d)
{
	int result = DICTUM_OK;
	struct dynbuf text;
	dynbuf_init(&text, 64u << 20);
	if (b->n)
		qsort(b->p, b->n, sizeof(b->p[0]), cmp_piece);
	result = note_gloss(e, b);
	if (!result && b->n && !(d->sentences = calloc(b->n, sizeof(*d->sentences))))
		result = DICTUM_NOMEM;
	size_t i = 0;
	while (!result && i < b->n) {
		int slot = b->p[i].slot;
		size_t section = d->note.nsections, first = d->nsentences;
		dynbuf_reset(&text);
		for (; !result && i < b->n && b->p[i].slot == slot; i++) {
			struct note_sentence *s = &d->sentences[d->nsentences];
			if (text.len)
				result = dynbuf_addstr(&text, "\n");
			s->section = section;
			s->start = text.len;
			s->len = strlen(b->p[i].text);
			s->nspans = b->p[i].nspans;
			s->extract = b->p[i].extract;
			memcpy(s->spans, b->p[i].spans, sizeof(s->spans));
			if (!result)
				result = dynbuf_addstr(&text, b->p[i].text);
			d->nsentences++;
		}
		if (!result)
			result = note_add_section(&d->note, l->section[slot]->key, l->title[slot],
			                          dynbuf_str(&text));
		for (size_t k = first; !result && k < d->nsentences; k++)
			result = check_sentence(e, transcript, d, k);
	}
	dynbuf_free(&text);
	return result;
}

int note_draft(const struct note_engine *e, const char *transcript, const char *note_type,
               const char *specialty, enum note_mode mode, struct note_draft *out)
{
	struct tmpl_layout layout;
	struct note_transcript t = {0};
	struct note_builder b = {0};
	int result = tmpl_layout_make(&e->catalog, note_type, specialty, &layout);
	if (result)
		return result;
	if (!(out->note.note_type = strdup(note_type)) ||
	    (specialty && !(out->note.specialty = strdup(specialty)))) {
		result = DICTUM_NOMEM;
		goto out;
	}
	result = note_transcript_split(transcript, &t);
	if (!result)
		result = mode == NOTE_MODE_AMBIENT ? note_ambient(e, &layout, &t, &b)
		                                   : note_dictation(e, &layout, &t, &b);
	if (!result)
		result = assemble(e, &layout, &b, transcript, out);
out:
	note_builder_free(&b);
	note_transcript_clear(&t);
	return result;
}
