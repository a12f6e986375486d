#include "ui/workstation.h"
#include "core/lib.h"
#include "coding/coding.h"
#include "offline/store.h"
#include "offline/store_icd10.h"
#include "ui/editor.h"
#include "ui/player.h"
#include "ui/recorder.h"
#include "ui/syncer.h"
#include "ui/textedit.h"
#include "ui/theme.h"
#include "ui/worker.h"

#include <curses.h>
#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <ctype.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

/* What a handler asks the loop to do next (htop's HandlerResult). */
enum {
	HANDLED = 0,
	REDRAW = 1 << 0,
	RELOAD = 1 << 1,
	QUIT = 1 << 2,
};

enum view {
	VIEW_LIST,
	VIEW_NOTE,
	VIEW_HELP,
	VIEW_PICKER,
	VIEW_DEVICES,
	VIEW_CODES,     /* the ICD-10 and billing panels of the open note */
	VIEW_CODE_PICK, /* rows of the code table found by a search */
	VIEW_CONFLICT,  /* the open note beside the server's copy */
	VIEW_EDIT,      /* the open note in the built-in editor */
};

/* What the bottom line is reading, if anything. */
enum prompt {
	PROMPT_NONE,
	PROMPT_SEARCH,
	PROMPT_PATIENT,
	PROMPT_SPECIALTY,
	PROMPT_SIGN,
	PROMPT_CODE
};

static const char *const prompt_labels[] = {
    [PROMPT_SEARCH] = "Search: ",
    [PROMPT_PATIENT] = "New encounter, patient (Last, First): ",
    [PROMPT_SPECIALTY] = "Specialty (Enter for none): ",
    [PROMPT_SIGN] = "Sign this note? It becomes read-only. Type y to sign: ",
    [PROMPT_CODE] = "Add an ICD-10-CM code; search the table (words or a code): ",
};

struct ws {
	struct ui_worker *worker;
	int wake_fd;
	bool loading; /* a list request is on its way */
	const struct dictum_paths *paths;
	struct theme theme;
	char theme_name[64];
	bool color;
	enum view view, prev_view;
	struct note_summary *notes;
	size_t nnotes, sel, top;
	char query[128]; /* the search shown in the list, "" for all */
	enum prompt prompt;
	char input[128];
	char new_patient[128]; /* the patient of the encounter being created */
	char new_type[64];     /* ... and its note type, while the specialty is asked */
	size_t pick_sel;       /* the note type picker's highlighted row */
	char draft_path[1200]; /* the $EDITOR file of an edit not yet saved */
	struct note note;
	char *note_patient;
	int scroll;
	char message[320];
	bool message_is_error;
	/* The record panel: the recorder's snapshot, its live transcript and
	 * the capture device chosen in the picker. */
	struct ui_recorder *recorder;
	int rec_fd;
	struct rec_status rec;
	unsigned live_gen;
	char *live_final, *live_pending;
	char *live_preview; /* the draft so far, section by section */
	struct capture_device *devices;
	size_t ndevices, dev_sel;
	char dev_backend[16], backend[16], device[256];
	/* The codes panel: the open note's stored codes and billing text (as
	 * of codes_version), the selected ICD-10-CM row, code search rows. */
	int64_t codes_note;
	int codes_version;
	bool coding; /* a codes request is on its way */
	struct note_code *codes;
	size_t ncodes, code_sel;
	char *billing;
	struct icd10_row *rows;
	size_t nrows, row_sel;
	int help_top; /* the first help row shown */
	/* Background sync: the syncer's snapshot and what was last said of it. */
	struct ui_syncer *syncer;
	int sync_fd;
	struct syncer_status sync;
	unsigned sync_seen;  /* passes already looked at */
	bool sync_asked;     /* the clinician pressed the key: say how it went */
	char sync_said[320]; /* the last sync problem shown on the bottom line */
	/* Faithfulness: terms of the open note its transcripts do not support. */
	int64_t flags_note;
	struct ui_flag *flags;
	size_t nflags;
	/* The sentence cursor (-1: none), the open note's transcript segments
	 * and the player of a span of its recording. */
	int sent;
	struct ui_span *spans;
	size_t nspans;
	const char *hl_from, *hl_to; /* the selected sentence while drawing */
	int hl_line;                 /* its first line in the note, -1 if not drawn */
	struct ui_player *player;
	/* The built-in editor: its text and the first screen row shown. */
	struct textedit edit;
	size_t edit_top;
	int64_t edit_note; /* the note and version the edit started from */
	int edit_version;
	/* The conflict view: the server's copy of the open note. */
	int64_t conflict_id;
	struct note conflict_server;
};

typedef int (*action_fn)(struct ws *w);

static int act_quit(struct ws *w);
static int act_help(struct ws *w);
static int act_down(struct ws *w);
static int act_up(struct ws *w);
static int act_page_down(struct ws *w);
static int act_page_up(struct ws *w);
static int act_open(struct ws *w);
static int act_back(struct ws *w);
static int act_search(struct ws *w);
static int act_refresh(struct ws *w);
static int act_theme(struct ws *w);
static int act_new(struct ws *w);
static int act_edit(struct ws *w);
static int act_sign(struct ws *w);
static int act_addendum(struct ws *w);
static int act_record(struct ws *w);
static int act_stop(struct ws *w);
static int act_devices(struct ws *w);
static int act_learn(struct ws *w);
static int act_codes(struct ws *w);
static int act_accept(struct ws *w);
static int act_reject(struct ws *w);
static int act_add_code(struct ws *w);
static int act_sync(struct ws *w);
static int act_compare(struct ws *w);
static int act_keep_local(struct ws *w);
static int act_keep_server(struct ws *w);
static int act_next_sentence(struct ws *w);
static int act_prev_sentence(struct ws *w);
static int act_play(struct ws *w);
static int act_inline_edit(struct ws *w);
static int submit(struct ws *w, struct ui_request *req);
static void draft_file(struct ws *w, const char *what);

/* Opens the bottom line for an answer. */
static int ask(struct ws *w, enum prompt kind)
{
	w->prompt = kind;
	w->input[0] = '\0';
	return REDRAW;
}
static void codes_summary(const struct ws *w, char *out, size_t size);

/* Keys map to named actions; this one list feeds the dispatcher and the
 * help screen (tig's request table). */
static const struct action {
	const char *name;
	int keys[3];
	const char *help;
	action_fn fn;
} actions[] = {
    {"quit", {'q', 0, 0}, "Quit Dictum (from the list) or go back", act_quit},
    {"help", {'?', KEY_F(1), 0}, "Show this help", act_help},
    {"down", {'j', KEY_DOWN, 0}, "Next note, or scroll down", act_down},
    {"up", {'k', KEY_UP, 0}, "Previous note, or scroll up", act_up},
    {"page-down", {KEY_NPAGE, ' ', 0}, "Page down", act_page_down},
    {"page-up", {KEY_PPAGE, 'b', 0}, "Page up", act_page_up},
    {"open", {'\n', KEY_ENTER, 'l'}, "Open the selected note", act_open},
    {"back", {27, KEY_LEFT, 'h'}, "Back to the list", act_back},
    {"search", {'/', 0, 0}, "Search notes (full text); empty search shows all", act_search},
    {"refresh", {'r', KEY_F(5), 0}, "Reload the list from the store", act_refresh},
    {"new", {'n', 0, 0}, "New encounter: patient, note type, specialty", act_new},
    {"edit-here", {'i', 0, 0}, "Edit the note here (built-in editor with undo)", act_inline_edit},
    {"edit", {'e', 0, 0}, "Edit the note in $EDITOR ('# Title' starts a section)", act_edit},
    {"sign", {'S', 0, 0}, "Sign the note (asks first; then it is read-only)", act_sign},
    {"addendum", {'a', 0, 0}, "Add an addendum to a signed note (in $EDITOR)", act_addendum},
    {"record", {'R', 0, 0}, "Record into the open note; again: pause or resume", act_record},
    {"stop", {'x', 0, 0}, "Stop recording; store the transcript, draft the note", act_stop},
    {"devices", {'D', 0, 0}, "Choose the capture device", act_devices},
    {"learn", {'L', 0, 0}, "Speech learns your words from your signed notes", act_learn},
    {"codes", {'c', 0, 0}, "ICD-10-CM codes, E/M, HCC and CPT of the open note", act_codes},
    {"accept", {'+', 0, 0}, "Accept the selected code (stored with the note)", act_accept},
    {"reject", {'-', 0, 0}, "Reject the selected code", act_reject},
    {"add-code", {'A', 0, 0}, "Search the ICD-10-CM table and add a code", act_add_code},
    {"sync", {'s', 0, 0}, "Sync now: push queued changes, pull the server's", act_sync},
    {"compare", {'m', 0, 0}, "A note in conflict: local beside the server's copy", act_compare},
    {"keep-local", {'<', 0, 0}, "In a conflict: keep the local note (pushed)", act_keep_local},
    {"keep-server", {'>', 0, 0}, "In a conflict: take the server's copy", act_keep_server},
    {"next-sentence",
     {']', 0, 0},
     "Next sentence, with the transcript span it came from",
     act_next_sentence},
    {"prev-sentence", {'[', 0, 0}, "Select the previous sentence", act_prev_sentence},
    {"play", {'p', 0, 0}, "Play the selected sentence's audio; again: stop", act_play},
    {"theme", {'t', 0, 0}, "Next theme (dark, light, high-contrast, colour-blind)", act_theme},
};

static volatile sig_atomic_t stop_requested;

static void on_stop(int sig)
{
	stop_requested = sig;
}

static void on_fatal(int sig)
{
	/* Restore the terminal even on a crash, then die of the same signal. */
	endwin();
	signal(sig, SIG_DFL);
	raise(sig);
}

static void set_message(struct ws *w, bool error, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_message(struct ws *w, bool error, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(w->message, sizeof(w->message), fmt, ap);
	va_end(ap);
	w->message_is_error = error;
}

static attr_t slot_attr(const struct ws *w, enum theme_slot slot)
{
	const struct theme_color *c = &w->theme.slots[slot];
	attr_t a = 0;
	if (c->attrs & THEME_BOLD)
		a |= A_BOLD;
	if (c->attrs & THEME_REVERSE)
		a |= A_REVERSE;
	if (c->attrs & THEME_UNDERLINE)
		a |= A_UNDERLINE;
	if (w->color)
		a |= COLOR_PAIR(slot + 1);
	else if (slot == SLOT_title || slot == SLOT_status)
		a |= A_REVERSE;
	return a;
}

/* Maps the logical slots onto curses pairs, in one place (cmus's
 * update_colors). */
static void apply_theme(struct ws *w)
{
	if (!w->color)
		return;
	/* A 256-colour theme on an 8-colour terminal falls back to the default. */
	for (int i = 0; i < SLOT_COUNT; i++) {
		short fg = w->theme.slots[i].fg, bg = w->theme.slots[i].bg;
		init_pair((short)(i + 1), fg < COLORS ? fg : -1, bg < COLORS ? bg : -1);
	}
}

static void load_theme(struct ws *w, const char *name)
{
	theme_default(&w->theme);
	str_copy(w->theme_name, name, sizeof(w->theme_name));
	const char *dirs[] = {w->paths->config_dir, DICTUM_DATADIR, DICTUM_SOURCE_DATADIR};
	for (size_t i = 0; i < 3; i++) {
		char path[1200];
		snprintf(path, sizeof(path), "%s/themes/%s.theme", dirs[i], name);
		char *text = NULL;
		if (file_read_all(path, 1 << 16, &text, NULL) != 0)
			continue;
		int bad_line = 0;
		if (theme_parse(&w->theme, text, &bad_line))
			set_message(w, true, "%s line %d: not a colour line; skipped", path,
			            bad_line);
		free(text);
		return;
	}
	set_message(w, true, "theme '%s' not found; using the built-in colours", name);
}

/* The shipped themes, in the order the theme key cycles through them. */
static const char *const theme_names[] = {"dark", "light", "high-contrast", "colorblind"};

static int act_theme(struct ws *w)
{
	size_t next = 0;
	for (size_t i = 0; i < sizeof(theme_names) / sizeof(theme_names[0]); i++)
		if (strcmp(theme_names[i], w->theme_name) == 0)
			next = (i + 1) % (sizeof(theme_names) / sizeof(theme_names[0]));
	w->message[0] = '\0';
	load_theme(w, theme_names[next]);
	apply_theme(w);
	if (!w->message[0])
		set_message(w, false, "Theme: %s%s", w->theme_name,
		            w->color ? ""
		                     : " (colours are off: NO_COLOR or a monochrome terminal)");
	return REDRAW;
}

/* Asks the worker for the list (or the search) shown now. */
static int reload(struct ws *w)
{
	struct ui_request req = {.kind = UI_JOB_LIST};
	str_copy(req.query, w->query, sizeof(req.query));
	ui_worker_submit(w->worker, &req);
	w->loading = true;
	return REDRAW;
}

/* Asks the worker for the open note's codes and billing (a worker job:
 * coding never runs on this thread). */
static void request_codes(struct ws *w)
{
	if (!w->note.id)
		return;
	struct ui_request req = {.kind = UI_JOB_CODES, .note_id = w->note.id};
	ui_worker_submit(w->worker, &req);
	w->coding = true;
	struct ui_request flags = {.kind = UI_JOB_FLAGS, .note_id = w->note.id};
	ui_worker_submit(w->worker, &flags);
}

static void take_codes(struct ws *w, struct ui_result *r)
{
	if (r->note_id != w->note.id)
		return;
	w->coding = false;
	note_codes_free(&w->codes, w->ncodes);
	free(w->billing);
	w->codes = r->codes;
	w->ncodes = r->ncodes;
	w->billing = r->billing;
	r->codes = NULL;
	r->ncodes = 0;
	r->billing = NULL;
	w->codes_note = r->note_id;
	w->codes_version = r->version;
}

static void take_rows(struct ws *w, struct ui_result *r)
{
	icd10_rows_free(&w->rows, w->nrows);
	w->rows = r->rows;
	w->nrows = r->nrows;
	r->rows = NULL;
	r->nrows = 0;
	w->row_sel = 0;
	if (!w->nrows) {
		set_message(w, true, "No code matches '%s'; press A to search again.", r->query);
		return;
	}
	w->view = VIEW_CODE_PICK;
	set_message(w, false, "%zu code(s) match '%s'. Enter adds the selected one.", w->nrows,
	            r->query);
}

/* Takes the worker's finished results into the screen state. */
static int apply_results(struct ws *w)
{
	int flags = HANDLED;
	struct ui_result r;
	while (ui_worker_take(w->worker, &r)) {
		if (r.status != DICTUM_OK) {
			if ((r.kind == UI_JOB_SAVE || r.kind == UI_JOB_RESOLVE) && w->draft_path[0])
				set_message(w, true, "Not saved; edit kept in %s: %s",
				            w->draft_path + strlen(w->paths->data_dir) + 1,
				            r.error);
			else
				set_message(w, true, "%s", r.error);
			w->loading = false;
		} else if (r.kind == UI_JOB_RECOVER) {
			if (r.info[0])
				set_message(w, false, "%s", r.info);
		} else if (r.kind == UI_JOB_CODES || r.kind == UI_JOB_CODE_SET) {
			take_codes(w, &r);
		} else if (r.kind == UI_JOB_CODE_SEARCH) {
			take_rows(w, &r);
		} else if (r.kind == UI_JOB_FLAGS) {
			if (r.note_id == w->note.id) {
				free(w->flags);
				w->flags = r.flags;
				w->nflags = r.nflags;
				w->flags_note = r.note_id;
				r.flags = NULL;
				r.nflags = 0;
				ui_spans_free(&w->spans, w->nspans);
				w->spans = r.spans;
				w->nspans = r.nspans;
				r.spans = NULL;
				r.nspans = 0;
			}
		} else if (r.kind == UI_JOB_CONFLICT) {
			note_clear(&w->note);
			note_clear(&w->conflict_server);
			w->note = r.note;
			w->conflict_server = r.server_note;
			memset(&r.note, 0, sizeof(r.note));
			memset(&r.server_note, 0, sizeof(r.server_note));
			w->conflict_id = r.conflict_id;
			w->scroll = 0;
			w->view = VIEW_CONFLICT;
		} else if (r.kind > UI_JOB_OPEN) {
			static const char *const done[UI_JOB_COUNT] = {
			    [UI_JOB_SAVE] = "Saved",
			    [UI_JOB_SIGN] = "Signed; the note is now read-only",
			    [UI_JOB_ADDENDUM] = "Addendum added",
			    [UI_JOB_CREATE] = "New encounter created; press e to write the note",
			    [UI_JOB_RESOLVE] =
			        "Conflict resolved; the note is queued for the server",
			};
			if (r.kind != UI_JOB_CREATE && r.kind != UI_JOB_SIGN && w->draft_path[0] &&
			    (r.kind != UI_JOB_RESOLVE || strstr(w->draft_path, "-merge-"))) {
				unlink(w->draft_path);
				w->draft_path[0] = '\0';
			}
			note_clear(&w->note);
			free(w->note_patient);
			w->note = r.note;
			memset(&r.note, 0, sizeof(r.note));
			w->note_patient = r.patient;
			r.patient = NULL;
			if (w->view != VIEW_EDIT) /* an edit in progress stays open */
				w->view = VIEW_NOTE;
			set_message(w, false, "%s (version %d).", done[r.kind], w->note.version);
			request_codes(w);
			ui_syncer_nudge(w->syncer);
			flags |= RELOAD;
		} else if (r.kind == UI_JOB_LIST && strcmp(r.query, w->query) == 0) {
			note_summaries_free(&w->notes, w->nnotes);
			w->notes = r.notes;
			w->nnotes = r.count;
			r.notes = NULL;
			r.count = 0;
			w->loading = false;
			if (w->sel >= w->nnotes)
				w->sel = w->nnotes ? w->nnotes - 1 : 0;
		} else if (r.kind == UI_JOB_OPEN) {
			note_clear(&w->note);
			free(w->note_patient);
			w->note = r.note;
			memset(&r.note, 0, sizeof(r.note));
			w->note_patient = r.patient;
			r.patient = NULL;
			w->scroll = 0;
			w->sent = -1;
			w->view = VIEW_NOTE;
			w->message[0] = '\0';
			request_codes(w);
		}
		ui_result_clear(&r);
		flags |= REDRAW;
	}
	return flags;
}

static int list_height(void)
{
	return LINES > 3 ? LINES - 3 : 1;
}

static void draw_bar(struct ws *w, int y, enum theme_slot slot, const char *text)
{
	attr_t a = slot_attr(w, slot);
	attron(a);
	mvhline(y, 0, ' ', COLS);
	mvaddnstr(y, 0, text, COLS);
	attroff(a);
}

static void draw_list(struct ws *w)
{
	int h = list_height();
	if (w->sel < w->top)
		w->top = w->sel;
	if (w->sel >= w->top + (size_t)h)
		w->top = w->sel - (size_t)h + 1;
	mvprintw(1, 0, "%-16s  %-24s  %-22s  %-8s %s", "Updated", "Patient", "Note type", "Status",
	         "Sync");
	mvchgat(1, 0, -1, slot_attr(w, SLOT_heading), w->color ? SLOT_heading + 1 : 0, NULL);
	if (!w->nnotes) {
		attron(slot_attr(w, SLOT_dim));
		mvaddstr(3, 2,
		         w->loading    ? "Loading..."
		         : w->query[0] ? "No note matches this search. Press / to search again."
		                       : "No notes yet. Notes drafted from dictation appear here.");
		attroff(slot_attr(w, SLOT_dim));
	}
	for (int row = 0; row < h - 1 && w->top + (size_t)row < w->nnotes; row++) {
		const struct note_summary *n = &w->notes[w->top + (size_t)row];
		bool selected = w->top + (size_t)row == w->sel;
		attr_t a = slot_attr(w, selected ? SLOT_selected : SLOT_normal);
		attron(a);
		mvhline(2 + row, 0, ' ', COLS);
		char line[512];
		char when[17];
		str_copy(when, n->updated_at, sizeof(when));
		if (strlen(when) > 10)
			when[10] = ' ';
		snprintf(line, sizeof(line), "%-16s  %-24.24s  %-22.22s  %-8s %s", when,
		         n->patient_name, n->note_type, note_status_name(n->status),
		         sync_state_name(n->sync));
		mvaddnstr(2 + row, 0, line, COLS);
		attroff(a);
	}
}

/* The terminal cells of the UTF-8 bytes from a to b (one per character). */
static int cells(const char *a, const char *b)
{
	int n = 0;
	for (; a < b; a++)
		n += ((unsigned char)*a & 0xC0) != 0x80;
	return n;
}

/* The n-th sentence of the note (0-based): its section and bytes. A
 * sentence ends after . ? or ! before a space, or at a line end. */
static bool note_sentence(const struct note *nt, int n, size_t *sec, const char **from,
                          const char **to)
{
	for (size_t i = 0; i < nt->nsections; i++) {
		const char *p = nt->sections[i].text;
		while (*p) {
			while (*p && isspace((unsigned char)*p))
				p++;
			if (!*p)
				break;
			const char *e = p;
			while (*e && *e != '\n' &&
			       !(strchr(".?!", *e) && (!e[1] || isspace((unsigned char)e[1]))))
				e++;
			if (*e && *e != '\n')
				e++;
			if (n-- == 0) {
				*sec = i;
				*from = p;
				*to = e;
				return true;
			}
			p = e;
		}
	}
	return false;
}

/* True when the word of len bytes is one of text's words (letters and
 * digits, any case). */
static bool has_word(const char *text, const char *word, size_t len)
{
	for (const char *p = text; *p;) {
		while (*p && !isalnum((unsigned char)*p))
			p++;
		const char *e = p;
		while (*e && isalnum((unsigned char)*e))
			e++;
		if ((size_t)(e - p) == len && strncasecmp(p, word, len) == 0)
			return true;
		p = e;
	}
	return false;
}

/* How many of the words from..to are in the segment's text. */
static int overlap(const char *from, const char *to, const char *segment, int *nwords)
{
	int hits = 0;
	*nwords = 0;
	for (const char *p = from; p < to;) {
		while (p < to && !isalnum((unsigned char)*p))
			p++;
		const char *e = p;
		while (e < to && isalnum((unsigned char)*e))
			e++;
		if (e > p) {
			++*nwords;
			hits += has_word(segment, p, (size_t)(e - p));
		}
		p = e;
	}
	return hits;
}

static const char *span_wav(const struct ui_span *sp)
{
	return sp->wav ? sp->wav : "";
}

/* Over transcript words with their own times: the run of words of one
 * recording that best matches the sentence (each word said in the sentence
 * +2, each other word -1; the highest sum, as Kadane's maximum subarray).
 * False when the run holds under a third of the sentence's words. */
static bool word_window(const struct ws *w, const char *from, const char *to, size_t *first,
                        size_t *last)
{
	char *sentence = xasprintf("%.*s", (int)(to - from), from);
	int nwords = 0, sum = 0, best = 0, hits = 0, best_hits = 0;
	overlap(from, to, "", &nwords);
	size_t start = 0;
	for (size_t i = 0; i < w->nspans; i++) {
		const struct ui_span *sp = &w->spans[i];
		if (!sp->word || (i > start && strcmp(span_wav(sp), span_wav(&w->spans[i - 1])))) {
			sum = hits = 0; /* runs stay inside one recording's words */
			start = i;
			if (!sp->word)
				continue;
		}
		bool said = has_word(sentence, sp->text, strlen(sp->text));
		if (sum <= 0) {
			sum = hits = 0;
			start = i;
		}
		sum += said ? 2 : -1;
		hits += said;
		if (sum > best) {
			best = sum;
			best_hits = hits;
			*first = start;
			*last = i;
		}
	}
	free(sentence);
	return best_hits > 0 && best_hits * 3 >= nwords;
}

/* The transcript segments the selected sentence came from: the one that
 * shares most of its words, with its neighbours in the same recording that
 * share at least half as many. Returns false when none shares enough. */
static bool sentence_span(const struct ws *w, size_t *first, size_t *last)
{
	size_t sec;
	const char *from, *to;
	if (w->sent < 0 || !w->nspans || !note_sentence(&w->note, w->sent, &sec, &from, &to))
		return false;
	if (word_window(w, from, to, first, last))
		return true;
	int best = 0, nwords = 0;
	int *score = xcalloc(w->nspans, sizeof(*score));
	size_t at = 0;
	for (size_t i = 0; i < w->nspans; i++) {
		score[i] = overlap(from, to, w->spans[i].text, &nwords);
		if (score[i] > best) {
			best = score[i];
			at = i;
		}
	}
	bool found = best > 0 && best * 3 >= nwords;
	size_t a = at, b = at;
	const char *wav = w->spans[at].wav ? w->spans[at].wav : "";
	while (found && a > 0 && score[a - 1] * 2 >= best &&
	       strcmp(w->spans[a - 1].wav ? w->spans[a - 1].wav : "", wav) == 0)
		a--;
	while (found && b + 1 < w->nspans && score[b + 1] * 2 >= best &&
	       strcmp(w->spans[b + 1].wav ? w->spans[b + 1].wav : "", wav) == 0)
		b++;
	free(score);
	*first = a;
	*last = b;
	return found;
}

static void clock_text(double secs, char *out, size_t size)
{
	int tenths = (int)(secs * 10 + 0.5);
	snprintf(out, size, "%d:%02d.%d", tenths / 600, tenths / 10 % 60, tenths % 10);
}

static int draw_wrapped(struct ws *w, int y, int top, int bottom, const char *text,
                        enum theme_slot slot);

/* The pane under the note: the selected sentence's transcript span. */
static void draw_span(struct ws *w, int y)
{
	size_t a, b;
	char line[1024];
	if (!sentence_span(w, &a, &b)) {
		snprintf(line, sizeof(line), "Transcript: %s",
		         w->nspans ? "no segment of the transcript matches this sentence"
		                   : "no timed transcript for this note");
	} else {
		char t0[16], t1[16];
		clock_text(w->spans[a].start, t0, sizeof(t0));
		clock_text(w->spans[b].end, t1, sizeof(t1));
		size_t used = (size_t)snprintf(line, sizeof(line), "Heard %s-%s%s:", t0, t1,
		                               w->spans[a].wav ? " (p plays)" : " (no recording)");
		for (size_t i = a; i <= b && used < sizeof(line); i++)
			used += (size_t)snprintf(line + used, sizeof(line) - used, " %s",
			                         w->spans[i].text);
	}
	mvhline(y, 0, ACS_HLINE, COLS);
	const char *from = w->hl_from;
	w->hl_from = NULL; /* the pane shows no highlight */
	draw_wrapped(w, y + 1, y + 1, y + 3, line, SLOT_dim);
	w->hl_from = from;
}

/* Wraps text into a column of width cells at x, returning the number of
 * lines drawn (or that would be drawn, when y is out of the visible range). */
static int draw_wrapped_at(struct ws *w, int y, int x, int width, int top, int bottom,
                           const char *text, enum theme_slot slot)
{
	int lines = 0;
	const char *p = text;
	if (width < 1)
		width = 1;
	attr_t a = slot_attr(w, slot);
	do {
		const char *eol = strchr(p, '\n');
		size_t len = eol ? (size_t)(eol - p) : strlen(p);
		do {
			size_t take = len > (size_t)width ? (size_t)width : len;
			if (take < len) {
				size_t cut = take;
				while (cut > 0 && p[cut] != ' ')
					cut--;
				if (cut > 0)
					take = cut;
			}
			int row = y + lines;
			if (row >= top && row < bottom) {
				attron(a);
				mvaddnstr(row, x, p, (int)take);
				attroff(a);
			}
			if (w->hl_from && w->hl_from < p + take && w->hl_to > p) {
				const char *hb = w->hl_from > p ? w->hl_from : p;
				const char *he = w->hl_to < p + take ? w->hl_to : p + take;
				if (w->hl_line < 0)
					w->hl_line = row + w->scroll;
				if (row >= top && row < bottom)
					mvchgat(row, x + cells(p, hb), cells(hb, he), a | A_REVERSE,
					        w->color ? (short)(slot + 1) : 0, NULL);
			}
			lines++;
			p += take;
			len -= take;
			while (len && *p == ' ') {
				p++;
				len--;
			}
		} while (len);
		p = eol ? eol + 1 : p;
		if (!eol)
			break;
	} while (1);
	return lines;
}

/* Marks each flagged term where it shows between rows top and bottom. */
static void highlight_terms(struct ws *w, int top, int bottom)
{
	attr_t a = slot_attr(w, SLOT_error) | A_UNDERLINE;
	short pair = w->color ? (short)(SLOT_error + 1) : 0;
	char row[1024];
	for (int y = top; y < bottom; y++) {
		mvinnstr(y, 0, row, COLS < (int)sizeof(row) ? COLS : (int)sizeof(row) - 1);
		for (size_t i = 0; i < w->nflags; i++) {
			size_t len = strlen(w->flags[i].term);
			for (const char *p = row; len && (p = strstr(p, w->flags[i].term));
			     p += len)
				mvchgat(y, (int)(p - row), (int)len, a, pair, NULL);
		}
	}
}

/* Wraps text at the screen width. */
static int draw_wrapped(struct ws *w, int y, int top, int bottom, const char *text,
                        enum theme_slot slot)
{
	return draw_wrapped_at(w, y, 1, COLS > 4 ? COLS - 2 : 1, top, bottom, text, slot);
}

static const struct note_section *section_by_key(const struct note *n, const char *key)
{
	for (size_t i = 0; i < n->nsections; i++)
		if (strcmp(n->sections[i].key, key) == 0)
			return &n->sections[i];
	return NULL;
}

/* One side of a conflict: its sections, a title marked where the other
 * side differs. Returns the lines it takes. */
static int draw_side(struct ws *w, int y, int x, int width, int top, int bottom, const char *label,
                     const struct note *n, const struct note *other)
{
	int h = draw_wrapped_at(w, y, x, width, top, bottom, label, SLOT_heading) + 1;
	for (size_t i = 0; i < n->nsections; i++) {
		const struct note_section *sec = &n->sections[i];
		const struct note_section *o = section_by_key(other, sec->key);
		bool differs = !o || strcmp(o->text, sec->text) != 0;
		char title[256];
		snprintf(title, sizeof(title), "%s%s", sec->title, differs ? "  [differs]" : "");
		h += draw_wrapped_at(w, y + h, x, width, top, bottom, title,
		                     differs ? SLOT_error : SLOT_heading);
		h += draw_wrapped_at(w, y + h, x, width, top, bottom, sec->text, SLOT_normal) + 1;
	}
	return h;
}

/* Local beside the server's copy, or one above the other under 120
 * columns. */
static void draw_conflict(struct ws *w)
{
	int top = 2, bottom = LINES - 2;
	char local[128], server[128];
	mvaddnstr(1, 1,
	          "Changed here and on the server.  < keep local  > keep server  e merge  q back",
	          COLS - 1);
	snprintf(local, sizeof(local), "LOCAL (version %d%s)", w->note.version,
	         w->note.status == NOTE_SIGNED ? ", signed" : "");
	snprintf(server, sizeof(server), "SERVER (version %d%s)", w->conflict_server.version,
	         w->conflict_server.status == NOTE_SIGNED ? ", signed" : "");
	if (COLS >= 120) {
		int width = (COLS - 3) / 2;
		int h1 = draw_side(w, top - w->scroll, 1, width, top, bottom, local, &w->note,
		                   &w->conflict_server);
		int h2 = draw_side(w, top - w->scroll, width + 2, width, top, bottom, server,
		                   &w->conflict_server, &w->note);
		mvvline(top, width + 1, ACS_VLINE, bottom - top);
		if (w->scroll > 0 && (h1 > h2 ? h1 : h2) - w->scroll < 1)
			w->scroll--;
		return;
	}
	int y = top - w->scroll;
	y += draw_side(w, y, 1, COLS - 2, top, bottom, local, &w->note, &w->conflict_server);
	y += draw_side(w, y, 1, COLS - 2, top, bottom, server, &w->conflict_server, &w->note);
	if (y < top + 1 && w->scroll > 0)
		w->scroll--;
}

static void draw_note_body(struct ws *w);

static void draw_note(struct ws *w)
{
	size_t sec;
	w->hl_from = w->hl_to = NULL;
	w->hl_line = -1;
	if (w->sent >= 0 && !note_sentence(&w->note, w->sent, &sec, &w->hl_from, &w->hl_to))
		w->sent = -1;
	draw_note_body(w);
	if (w->sent >= 0) {
		/* Keep the selected sentence on the screen. */
		int top = 1, bottom = LINES - 5, row = w->hl_line - w->scroll;
		int old = w->scroll;
		if (w->hl_line >= 0 && row < top + 1)
			w->scroll = w->hl_line - top - 1 > 0 ? w->hl_line - top - 1 : 0;
		else if (w->hl_line >= 0 && row >= bottom)
			w->scroll += row - bottom + 1;
		if (w->scroll != old) {
			move(1, 0);
			clrtobot();
			draw_note_body(w);
		}
		draw_span(w, LINES - 5);
	}
	w->hl_from = w->hl_to = NULL;
}

static void draw_note_body(struct ws *w)
{
	int top = 1, bottom = w->sent >= 0 ? LINES - 5 : LINES - 2, y = top - w->scroll;
	char head[512];
	bool spec = w->note.specialty && w->note.specialty[0];
	snprintf(head, sizeof(head), "%s — %s%s%s — %s v%d",
	         w->note_patient ? w->note_patient : "-", w->note.note_type, spec ? ", " : "",
	         spec ? w->note.specialty : "", note_status_name(w->note.status), w->note.version);
	y += draw_wrapped(w, y, top, bottom, head, SLOT_heading);
	if (w->note.sync == SYNC_CONFLICT)
		y += draw_wrapped(w, y, top, bottom,
		                  "CONFLICT: this note changed here and on the server; both are "
		                  "kept. Press m to compare and choose.",
		                  SLOT_error);
	char summary[512];
	codes_summary(w, summary, sizeof(summary));
	y += draw_wrapped(w, y, top, bottom, summary, SLOT_dim);
	bool flagged = w->flags_note == w->note.id && w->nflags;
	if (flagged) {
		static const char *const kinds[] = {"number", "drug", "side", "negation"};
		char line[1024];
		size_t used = (size_t)snprintf(line, sizeof(line), "Not in the transcript:");
		for (size_t i = 0; i < w->nflags && used < sizeof(line); i++) {
			unsigned k = w->flags[i].kind, bit = 0;
			while (k > 1 && bit < 3) {
				k >>= 1;
				bit++;
			}
			used += (size_t)snprintf(line + used, sizeof(line) - used, "%s %s (%s)",
			                         i ? "," : "", w->flags[i].term, kinds[bit]);
		}
		y += draw_wrapped(w, y, top, bottom, line, SLOT_error);
	}
	y++;
	int body = y > top ? y : top;
	if (w->rec.state != REC_IDLE && w->rec.note_id == w->note.id) {
		static const char *const what[] = {
		    [REC_STARTING] = "Live transcript (starting the recording...)",
		    [REC_RECORDING] = "Live transcript (recording; R pauses, x stops)",
		    [REC_PAUSED] = "Live transcript (paused; R resumes, x stops)",
		    [REC_FINISHING] = "Live transcript (stopped; transcribing and drafting...)",
		};
		y += draw_wrapped(w, y, top, bottom, what[w->rec.state], SLOT_heading);
		bool any = w->live_final && *w->live_final;
		if (any)
			y += draw_wrapped(w, y, top, bottom, w->live_final, SLOT_normal);
		if (w->live_pending && *w->live_pending) {
			y += draw_wrapped(w, y, top, bottom, w->live_pending, SLOT_dim);
			any = true;
		}
		if (!any)
			y += draw_wrapped(w, y, top, bottom,
			                  w->rec.engine_ready ? "(listening...)"
			                                      : "(loading the speech model...)",
			                  SLOT_dim);
		y++;
		if (w->live_preview && *w->live_preview) {
			y += draw_wrapped(w, y, top, bottom,
			                  "Draft so far (saved into the note when you stop)",
			                  SLOT_heading);
			y += draw_wrapped(w, y, top, bottom, w->live_preview, SLOT_dim) + 1;
		}
	}
	for (size_t i = 0; i < w->note.nsections; i++) {
		y += draw_wrapped(w, y, top, bottom, w->note.sections[i].title, SLOT_heading);
		y += draw_wrapped(w, y, top, bottom, w->note.sections[i].text, SLOT_normal) + 1;
	}
	if (y < top + 1 && w->scroll > 0)
		w->scroll--;
	if (flagged)
		highlight_terms(w, body, bottom);
}

static void draw_help(struct ws *w)
{
	int y = 2, n = (int)(sizeof(actions) / sizeof(actions[0]));
	int rows = LINES - 4 > 1 ? LINES - 4 : 1;
	if (w->help_top > n - rows)
		w->help_top = n - rows > 0 ? n - rows : 0;
	attron(slot_attr(w, SLOT_heading));
	mvaddstr(1, 1, n > rows ? "Keys (j/k scroll)" : "Keys");
	attroff(slot_attr(w, SLOT_heading));
	for (int i = w->help_top; i < n && y < LINES - 2; i++, y++) {
		char keys[64] = "";
		for (int k = 0; k < 3 && actions[i].keys[k]; k++) {
			int key = actions[i].keys[k];
			const char *name = key == '\n'  ? "Enter"
			                   : key == 27  ? "Esc"
			                   : key == ' ' ? "Space"
			                                : keyname(key);
			if (key == KEY_ENTER)
				continue;
			size_t used = strlen(keys);
			snprintf(keys + used, sizeof(keys) - used, "%s%s", used ? " " : "",
			         name && strncmp(name, "KEY_", 4) == 0 ? name + 4 : name);
		}
		char line[512];
		snprintf(line, sizeof(line), "%-12s %-10s %s", keys, actions[i].name,
		         actions[i].help);
		mvaddnstr(y, 2, line, COLS > 2 ? COLS - 2 : 0);
	}
}

/* The note types whose key contains the typed filter (any case). */
static size_t picker_matches(const struct ws *w, const char **out, size_t max)
{
	size_t n = 0;
	for (size_t i = 0; i < note_type_count && n < max; i++)
		if (!w->input[0] || str_icontains(note_type_keys[i], w->input))
			out[n++] = note_type_keys[i];
	return n;
}

static void draw_picker(struct ws *w)
{
	const char *types[32];
	size_t n = picker_matches(w, types, 32);
	mvprintw(1, 1, "Patient: %s    Type to filter, Enter to choose, Esc to cancel. Filter: %s",
	         w->new_patient, w->input);
	if (w->pick_sel >= n)
		w->pick_sel = n ? n - 1 : 0;
	if (!n)
		mvaddstr(3, 2, "No note type matches.");
	for (size_t i = 0; i < n && (int)i + 2 < LINES - 2; i++) {
		attr_t a = slot_attr(w, i == w->pick_sel ? SLOT_selected : SLOT_normal);
		attron(a);
		mvhline(2 + (int)i, 0, ' ', COLS);
		mvaddnstr(2 + (int)i, 2, types[i], COLS - 2);
		attroff(a);
	}
}

/* The open note's ICD-10-CM codes (the panel's rows), in stored order. */
static size_t icd_count(const struct ws *w)
{
	size_t n = 0;
	for (size_t i = 0; i < w->ncodes; i++)
		n += strcmp(w->codes[i].system, "icd10") == 0;
	return n;
}

static struct note_code *icd_at(const struct ws *w, size_t k)
{
	for (size_t i = 0; i < w->ncodes; i++)
		if (strcmp(w->codes[i].system, "icd10") == 0 && k-- == 0)
			return &w->codes[i];
	return NULL;
}

static const char status_marks[] = {
    [CODE_SUGGESTED] = ' ', [CODE_ACCEPTED] = '+', [CODE_REJECTED] = '-'};

/* One line under the note's heading: its codes and E/M level. */
static void codes_summary(const struct ws *w, char *out, size_t size)
{
	if (w->codes_note != w->note.id || !w->billing) {
		snprintf(out, size, "Codes: %s", w->coding ? "computing..." : "-");
		return;
	}
	size_t used = (size_t)snprintf(out, size, "Codes:");
	bool any = false;
	for (size_t k = 0; k < icd_count(w) && used < size; k++) {
		const struct note_code *c = icd_at(w, k);
		if (c->status == CODE_REJECTED)
			continue;
		any = true;
		used += (size_t)snprintf(out + used, size - used, " %s%s", c->code,
		                         c->status == CODE_ACCEPTED ? "+" : "");
	}
	const char *em = strstr(w->billing, "E/M ");
	int emlen = em ? (int)strcspn(em + 4, " \n") + 4 : 0;
	if (used < size)
		snprintf(out + used, size - used, "%s | %.*s | c: codes and billing",
		         any ? "" : " none", emlen, em ? em : "E/M -");
}

static void draw_codes(struct ws *w)
{
	int y = 1, bottom = LINES - 2;
	char line[1024];
	snprintf(line, sizeof(line), "%s - %s v%d   + accept  - reject  A add a code  q back",
	         w->note_patient ? w->note_patient : "-", w->note.note_type, w->note.version);
	attron(slot_attr(w, SLOT_heading));
	mvaddnstr(y++, 1, line, COLS - 1);
	attroff(slot_attr(w, SLOT_heading));
	if (w->codes_note != w->note.id || !w->billing) {
		attron(slot_attr(w, SLOT_dim));
		mvaddstr(y + 1, 2, w->coding ? "Coding the note..." : "No codes yet.");
		attroff(slot_attr(w, SLOT_dim));
		return;
	}
	size_t n = icd_count(w);
	mvprintw(y++, 1, "ICD-10-CM (%zu)", n);
	if (!n)
		mvaddstr(y++, 3, "No code suggested for this text; A adds one from the table.");
	if (w->code_sel >= n)
		w->code_sel = n ? n - 1 : 0;
	int rows = (bottom - y) / 2 > 3 ? (bottom - y) / 2 - 2 : 1;
	size_t first = w->code_sel >= (size_t)rows ? w->code_sel - (size_t)rows + 1 : 0;
	for (size_t k = first; k < n && (int)(k - first) < rows; k++) {
		const struct note_code *c = icd_at(w, k);
		snprintf(line, sizeof(line), "[%c] %-8s %s", status_marks[c->status], c->code,
		         c->name ? c->name : "");
		attr_t a = slot_attr(w, k == w->code_sel             ? SLOT_selected
		                        : c->status == CODE_REJECTED ? SLOT_dim
		                                                     : SLOT_normal);
		attron(a);
		mvhline(y, 0, ' ', COLS);
		mvaddnstr(y++, 2, line, COLS - 2);
		attroff(a);
	}
	const struct note_code *sel = icd_at(w, w->code_sel);
	if (sel) {
		snprintf(line, sizeof(line), "%s evidence: %s%s%s", sel->code,
		         sel->evidence && *sel->evidence ? "\"" : "",
		         sel->evidence && *sel->evidence ? sel->evidence
		                                         : "(added by the clinician)",
		         sel->evidence && *sel->evidence ? "\"" : "");
		y += draw_wrapped(w, y, y, bottom, line, SLOT_dim);
	}
	y++;
	attron(slot_attr(w, SLOT_heading));
	mvaddnstr(y++, 1, "Billing (after your accepted and rejected codes)", COLS - 1);
	attroff(slot_attr(w, SLOT_heading));
	/* Scrolled no further than a full last page. */
	int h = draw_wrapped(w, bottom, bottom, bottom, w->billing, SLOT_normal);
	if (w->scroll > h - (bottom - y))
		w->scroll = h - (bottom - y) > 0 ? h - (bottom - y) : 0;
	draw_wrapped(w, y - w->scroll, y, bottom, w->billing, SLOT_normal);
}

static void draw_code_pick(struct ws *w)
{
	mvprintw(1, 1, "Codes found. Enter adds the selected code as accepted; Esc goes back.");
	if (w->row_sel >= w->nrows)
		w->row_sel = w->nrows ? w->nrows - 1 : 0;
	int rows = LINES - 5 > 1 ? LINES - 5 : 1;
	size_t first = w->row_sel >= (size_t)rows ? w->row_sel - (size_t)rows + 1 : 0;
	for (size_t i = first; i < w->nrows && (int)(i - first) < rows; i++) {
		char code[10], line[512];
		icd_code_format(w->rows[i].code, code);
		snprintf(line, sizeof(line), "%-8s %s", code, w->rows[i].description);
		attr_t a = slot_attr(w, i == w->row_sel ? SLOT_selected : SLOT_normal);
		attron(a);
		mvhline(2 + (int)(i - first), 0, ' ', COLS);
		mvaddnstr(2 + (int)(i - first), 2, line, COLS - 2);
		attroff(a);
	}
}

static void draw_devices(struct ws *w)
{
	mvprintw(1, 1, "Capture devices (%s). Enter to choose, Esc to cancel.", w->dev_backend);
	for (size_t i = 0; i <= w->ndevices && (int)i + 2 < LINES - 2; i++) {
		char line[512];
		if (i == 0)
			snprintf(line, sizeof(line), "(the default device)");
		else
			snprintf(line, sizeof(line), "%s%s%s%s", w->devices[i - 1].name,
			         w->devices[i - 1].description[0] ? "  " : "",
			         w->devices[i - 1].description,
			         w->devices[i - 1].is_default ? "  [default]" : "");
		attr_t a = slot_attr(w, i == w->dev_sel ? SLOT_selected : SLOT_normal);
		attron(a);
		mvhline(2 + (int)i, 0, ' ', COLS);
		mvaddnstr(2 + (int)i, 2, line, COLS - 2);
		attroff(a);
	}
}

/* The status bar: the recording (elapsed time, level meter, warnings),
 * the network state, the speech engine, the notes. */
static void status_text(const struct ws *w, char *out, size_t size)
{
	const struct rec_status *st = &w->rec;
	char rec[160] = "";
	if (st->state != REC_IDLE) {
		static const char *const names[] = {[REC_STARTING] = "REC starting",
		                                    [REC_RECORDING] = "REC",
		                                    [REC_PAUSED] = "PAUSED",
		                                    [REC_FINISHING] = "DRAFTING"};
		char meter[11];
		int bars = (int)((st->rms_db + 60.0) / 6.0);
		for (int i = 0; i < 10; i++)
			meter[i] = i < bars ? '#' : '-';
		meter[10] = '\0';
		int secs = (int)st->elapsed_s;
		snprintf(rec, sizeof(rec), "%s %02d:%02d [%s] %3.0f dB%s | ", names[st->state],
		         secs / 60, secs % 60, meter, st->rms_db < -99 ? -99 : st->rms_db,
		         st->state != REC_RECORDING ? ""
		         : st->clipping             ? " CLIPPING"
		         : st->silent               ? " NO SOUND"
		                                    : "");
	}
	const struct syncer_status *sy = &w->sync;
	char synced[32] = "";
	if (sy->last_ok_ms) {
		time_t t = (time_t)(sy->last_ok_ms / 1000);
		struct tm tm;
		localtime_r(&t, &tm);
		strftime(synced, sizeof(synced), " | synced %H:%M:%S", &tm);
	}
	const char *net = !sy->configured                 ? "offline"
	                  : sy->running                   ? "syncing..."
	                  : !sy->passes                   ? "connecting..."
	                  : sy->state < SYNC_NET_OFFLINE  ? "online"
	                  : sy->state == SYNC_NET_OFFLINE ? "offline"
	                                                  : NULL;
	char err[64], queue[96] = "";
	if (!net) {
		snprintf(err, sizeof(err), "sync error: %s", sync_net_state_name(sy->state));
		net = err;
	}
	if (sy->counts.outbox)
		snprintf(queue, sizeof(queue), " | %zu queued", sy->counts.outbox);
	if (sy->counts.conflicts) {
		size_t used = strlen(queue);
		snprintf(queue + used, sizeof(queue) - used, " | %zu conflict(s)",
		         sy->counts.conflicts);
	}
	snprintf(out, size, " %s%s%s%s%s | speech: %s | %zu notes | ? help  q quit",
	         w->player ? "PLAY | " : "", rec, net, queue, synced,
	         st->engine_ready      ? st->engine
	         : st->engine_error[0] ? "none"
	                               : "loading",
	         w->nnotes);
}

/* The editor's text is drawn cut into rows of the screen's width. */
static int edit_width(void)
{
	return COLS > 2 ? COLS - 1 : 1;
}

/* The screen rows line i takes, and the row and column of byte col in it. */
static size_t edit_rows(const char *line, size_t col, size_t *row, size_t *x)
{
	size_t cells = 0, at = 0, width = (size_t)edit_width();
	for (size_t i = 0; line[i]; i++) {
		if (i == col)
			at = cells;
		cells += ((unsigned char)line[i] & 0xC0) != 0x80;
	}
	if (col >= strlen(line))
		at = cells;
	if (row) {
		*row = at / width;
		*x = at % width;
	}
	return cells / width + 1;
}

/* The cursor's row counted from the text's first screen row. */
static size_t edit_cursor_row(const struct ws *w, size_t *x)
{
	size_t row = 0, in_line;
	for (size_t i = 0; i < w->edit.row; i++)
		row += edit_rows(w->edit.lines[i], 0, NULL, NULL);
	edit_rows(w->edit.lines[w->edit.row], w->edit.col, &in_line, x);
	return row + in_line;
}

static int edit_height(void)
{
	return LINES - 4 > 1 ? LINES - 4 : 1;
}

static void draw_edit(struct ws *w)
{
	mvaddnstr(1, 0,
	          "Ctrl-S save  Esc cancel  Ctrl-Z undo  Ctrl-K delete line  (# Title: section)",
	          COLS);
	mvchgat(1, 0, -1, slot_attr(w, SLOT_dim), w->color ? (short)(SLOT_dim + 1) : 0, NULL);
	size_t x, cur = edit_cursor_row(w, &x), height = (size_t)edit_height();
	if (cur < w->edit_top)
		w->edit_top = cur;
	if (cur >= w->edit_top + height)
		w->edit_top = cur - height + 1;
	size_t row = 0, width = (size_t)edit_width();
	for (size_t i = 0; i < w->edit.nlines && row < w->edit_top + height; i++) {
		const char *p = w->edit.lines[i];
		bool heading = p[0] == '#';
		do {
			size_t take = 0, cells = 0;
			while (p[take] && cells < width) {
				take++;
				while (((unsigned char)p[take] & 0xC0) == 0x80)
					take++;
				cells++;
			}
			if (row >= w->edit_top) {
				attr_t a = slot_attr(w, heading ? SLOT_heading : SLOT_normal);
				attron(a);
				mvaddnstr(2 + (int)(row - w->edit_top), 0, p, (int)take);
				attroff(a);
			}
			row++;
			p += take;
		} while (*p);
	}
}

static void edit_cursor(struct ws *w)
{
	size_t x, cur = edit_cursor_row(w, &x);
	move(2 + (int)(cur - w->edit_top), (int)x);
}

static void draw(struct ws *w)
{
	erase();
	char title[256];
	snprintf(title, sizeof(title), " Dictum %s   %s%s%s", DICTUM_VERSION,
	         w->view == VIEW_HELP        ? "Help"
	         : w->view == VIEW_NOTE      ? "Note"
	         : w->view == VIEW_PICKER    ? "New encounter: note type"
	         : w->view == VIEW_DEVICES   ? "Capture device"
	         : w->view == VIEW_CODES     ? "Codes and billing"
	         : w->view == VIEW_CODE_PICK ? "Add a code"
	         : w->view == VIEW_CONFLICT  ? "Conflict: local and server"
	         : w->view == VIEW_EDIT      ? "Editing the note"
	                                     : "Notes",
	         w->query[0] && w->view == VIEW_LIST ? "   search: " : "",
	         w->view == VIEW_LIST ? w->query : "");
	draw_bar(w, 0, SLOT_title, title);
	switch (w->view) {
	case VIEW_LIST:
		draw_list(w);
		break;
	case VIEW_NOTE:
		draw_note(w);
		break;
	case VIEW_HELP:
		draw_help(w);
		break;
	case VIEW_PICKER:
		draw_picker(w);
		break;
	case VIEW_DEVICES:
		draw_devices(w);
		break;
	case VIEW_CODES:
		draw_codes(w);
		break;
	case VIEW_CODE_PICK:
		draw_code_pick(w);
		break;
	case VIEW_CONFLICT:
		draw_conflict(w);
		break;
	case VIEW_EDIT:
		draw_edit(w);
		break;
	}
	char status[512];
	status_text(w, status, sizeof(status));
	draw_bar(w, LINES - 2, SLOT_status, status);
	move(LINES - 1, 0);
	clrtoeol();
	if (w->prompt != PROMPT_NONE) {
		mvprintw(LINES - 1, 0, "%s%s", prompt_labels[w->prompt], w->input);
		curs_set(1);
	} else {
		curs_set(w->view == VIEW_EDIT);
		if (w->message[0]) {
			attr_t a = slot_attr(w, w->message_is_error ? SLOT_error : SLOT_normal);
			attron(a);
			mvaddnstr(LINES - 1, 0, w->message, COLS);
			attroff(a);
		}
		if (w->view == VIEW_EDIT)
			edit_cursor(w);
	}
	refresh();
}

static int act_quit(struct ws *w)
{
	if (w->view == VIEW_HELP)
		return act_help(w);
	if (w->view != VIEW_LIST)
		return act_back(w);
	return QUIT;
}

static int act_help(struct ws *w)
{
	if (w->view != VIEW_HELP)
		w->prev_view = w->view;
	w->view = w->view == VIEW_HELP ? w->prev_view : VIEW_HELP;
	return REDRAW;
}

static int move_sel(struct ws *w, long delta)
{
	if (w->view == VIEW_CODES && (delta == 1 || delta == -1)) {
		if (delta < 0 && w->code_sel)
			w->code_sel--;
		else if (delta > 0 && w->code_sel + 1 < icd_count(w))
			w->code_sel++;
		return REDRAW;
	}
	if (w->view == VIEW_HELP) {
		w->help_top = (int)(w->help_top + delta < 0 ? 0 : w->help_top + delta);
		return REDRAW;
	}
	if (w->view == VIEW_NOTE || w->view == VIEW_CODES || w->view == VIEW_CONFLICT) {
		w->scroll += (int)delta;
		if (w->scroll < 0)
			w->scroll = 0;
		return REDRAW;
	}
	if (w->view != VIEW_LIST || !w->nnotes)
		return HANDLED;
	long sel = (long)w->sel + delta;
	if (sel < 0)
		sel = 0;
	if (sel >= (long)w->nnotes)
		sel = (long)w->nnotes - 1;
	w->sel = (size_t)sel;
	return REDRAW;
}

static int act_down(struct ws *w)
{
	return move_sel(w, 1);
}

static int act_up(struct ws *w)
{
	return move_sel(w, -1);
}

static int act_page_down(struct ws *w)
{
	return move_sel(w, list_height() - 1);
}

static int act_page_up(struct ws *w)
{
	return move_sel(w, -(list_height() - 1));
}

static int act_open(struct ws *w)
{
	if (w->view != VIEW_LIST || !w->nnotes)
		return HANDLED;
	struct ui_request req = {.kind = UI_JOB_OPEN, .note_id = w->notes[w->sel].id};
	ui_worker_submit(w->worker, &req);
	set_message(w, false, "Opening note %lld...", (long long)req.note_id);
	return REDRAW;
}

/* True (and says so) when the open note is signed: read-only. */
static bool refuse_signed(struct ws *w)
{
	if (w->note.status != NOTE_SIGNED)
		return false;
	set_message(w, true, "This note is signed and read-only; press a to add an addendum.");
	return true;
}

static void edit_leave(struct ws *w)
{
	textedit_clear(&w->edit);
	w->edit_top = 0;
	w->view = VIEW_NOTE;
	noraw();
	cbreak();
}

/* Opens the note in the built-in editor (raw keys: Ctrl-Z and Ctrl-S are
 * the editor's, not the terminal's). */
static int act_inline_edit(struct ws *w)
{
	if (w->view != VIEW_NOTE)
		return HANDLED;
	if (refuse_signed(w))
		return REDRAW;
	char *text = editor_note_text(&w->note);
	if (!text || textedit_load(&w->edit, text) != DICTUM_OK) {
		free(text);
		set_message(w, true, "Out of memory; the note is unchanged.");
		return REDRAW;
	}
	free(text);
	w->edit_top = 0;
	w->edit_note = w->note.id;
	w->edit_version = w->note.version;
	w->view = VIEW_EDIT;
	raw();
	set_message(w, false, "Editing version %d.", w->note.version);
	return REDRAW;
}

/* Saves the edit as a new version, based on the version it started from
 * (the store refuses it if the note changed meanwhile). The text is kept
 * in a draft file until the save succeeds. */
static int edit_save(struct ws *w)
{
	if (!w->edit.changed) {
		edit_leave(w);
		set_message(w, false, "No change to save.");
		return REDRAW;
	}
	char *text = textedit_text(&w->edit);
	struct ui_request req = {.kind = UI_JOB_SAVE};
	draft_file(w, "edit");
	if (!text || editor_write_text(w->draft_path, text) != 0 ||
	    editor_note_from_text(text, &w->note, &req.note) != DICTUM_OK) {
		free(text);
		w->draft_path[0] = '\0';
		set_message(w, true,
		            "Cannot save: out of memory or the draft folder is not writable");
		return REDRAW;
	}
	free(text);
	/* Based on the version the edit started from, whatever came in since:
	 * the store refuses it when the note has changed meanwhile. */
	req.note.id = w->edit_note;
	req.note.version = w->edit_version;
	edit_leave(w);
	set_message(w, false, "Saving...");
	return submit(w, &req);
}

/* Reads the rest of a UTF-8 character whose first byte is lead. */
static size_t utf8_rest(int lead, char *buf)
{
	size_t n = 1;
	buf[0] = (char)lead;
	size_t want = (lead & 0xE0) == 0xC0   ? 2
	              : (lead & 0xF0) == 0xE0 ? 3
	              : (lead & 0xF8) == 0xF0 ? 4
	                                      : 1;
	while (n < want) {
		int k = getch();
		if (k == ERR || (k & 0xC0) != 0x80)
			break;
		buf[n++] = (char)k;
	}
	return n;
}

static int edit_key(struct ws *w, int key)
{
	struct textedit *e = &w->edit;
	int result = DICTUM_OK;
	w->message[0] = '\0';
	switch (key) {
	case 19: /* Ctrl-S */
		return edit_save(w);
	case 27: /* Esc */
	case 3:  /* Ctrl-C */
		edit_leave(w);
		set_message(w, false, "Edit cancelled; the note is unchanged.");
		return REDRAW;
	case 26: /* Ctrl-Z */
	case 21: /* Ctrl-U */
		if (!textedit_undo(e))
			set_message(w, false, "Nothing to undo.");
		return REDRAW;
	case 11: /* Ctrl-K */
		result = textedit_delete_line(e);
		break;
	case KEY_LEFT:
		textedit_left(e);
		break;
	case KEY_RIGHT:
		textedit_right(e);
		break;
	case KEY_UP:
		textedit_up(e);
		break;
	case KEY_DOWN:
		textedit_down(e);
		break;
	case KEY_HOME:
	case 1: /* Ctrl-A */
		textedit_home(e);
		break;
	case KEY_END:
	case 5: /* Ctrl-E */
		textedit_end(e);
		break;
	case KEY_BACKSPACE:
	case 127:
	case 8:
		result = textedit_backspace(e);
		break;
	case KEY_DC:
		result = textedit_delete(e);
		break;
	case '\n':
	case '\r':
	case KEY_ENTER:
		result = textedit_newline(e);
		break;
	default:
		if (key == '\t' || (key >= 32 && key < 256)) {
			char buf[4];
			size_t n = key >= 128 ? utf8_rest(key, buf) : (buf[0] = (char)key, 1);
			result = textedit_insert(e, buf, n);
		}
		break;
	}
	if (result)
		set_message(w, true, "Out of memory; that change was not made.");
	return REDRAW;
}

/* Moves the sentence cursor by delta (from none: to the first). */
static int move_sentence(struct ws *w, int delta)
{
	if (w->view != VIEW_NOTE)
		return HANDLED;
	size_t sec;
	const char *a, *b;
	int to = w->sent < 0 ? 0 : w->sent + delta;
	if (to < 0 || !note_sentence(&w->note, to, &sec, &a, &b)) {
		if (w->sent < 0)
			set_message(w, false, "This note has no text yet.");
		return REDRAW;
	}
	w->sent = to;
	return REDRAW;
}

static int act_next_sentence(struct ws *w)
{
	return move_sentence(w, 1);
}

static int act_prev_sentence(struct ws *w)
{
	return move_sentence(w, -1);
}

/* Plays the selected sentence's span of the recording, or stops. */
static int act_play(struct ws *w)
{
	if (w->player) {
		ui_player_stop(&w->player);
		set_message(w, false, "Playback stopped.");
		return REDRAW;
	}
	size_t a, b;
	if (w->view != VIEW_NOTE || w->sent < 0) {
		set_message(w, true, "Select a sentence first (] and [).");
		return REDRAW;
	}
	if (!sentence_span(w, &a, &b) || !w->spans[a].wav) {
		set_message(w, true, "No recorded audio for this sentence.");
		return REDRAW;
	}
	char err[320], t0[16], t1[16];
	if (ui_player_start(&w->player, w->spans[a].wav, w->spans[a].start, w->spans[b].end, err,
	                    sizeof(err)) != DICTUM_OK) {
		set_message(w, true, "Cannot play: %s", err);
		return REDRAW;
	}
	clock_text(w->spans[a].start, t0, sizeof(t0));
	clock_text(w->spans[b].end, t1, sizeof(t1));
	set_message(w, false, "Playing %s-%s of the recording; p stops.", t0, t1);
	return REDRAW;
}

static int act_back(struct ws *w)
{
	w->view = w->view == VIEW_CODES || w->view == VIEW_CONFLICT ? VIEW_NOTE : VIEW_LIST;
	w->scroll = 0;
	return REDRAW;
}

static int act_codes(struct ws *w)
{
	if (w->view != VIEW_NOTE)
		return HANDLED;
	w->view = VIEW_CODES;
	w->scroll = 0;
	if (w->codes_note != w->note.id || w->codes_version != w->note.version)
		request_codes(w);
	return REDRAW;
}

/* Accepts or rejects the selected code: a write on the worker, which
 * then recomputes the billing with it. */
static int decide(struct ws *w, enum code_status status)
{
	const struct note_code *c = w->view == VIEW_CODES ? icd_at(w, w->code_sel) : NULL;
	if (!c)
		return HANDLED;
	struct ui_request req = {.kind = UI_JOB_CODE_SET, .note_id = w->note.id};
	req.code = *c;
	req.code.status = c->status == status ? CODE_SUGGESTED : status;
	req.code.code = strdup(c->code);
	req.code.name = str_dup_or_null(c->name);
	req.code.evidence = str_dup_or_null(c->evidence);
	if (!req.code.code || (c->name && !req.code.name) || (c->evidence && !req.code.evidence)) {
		ui_request_clear(&req);
		set_message(w, true, "out of memory: nothing was changed");
		return REDRAW;
	}
	set_message(w, false, "%s %s; updating the billing...",
	            req.code.status == CODE_ACCEPTED   ? "Accepted"
	            : req.code.status == CODE_REJECTED ? "Rejected"
	                                               : "Undecided again:",
	            c->code);
	w->coding = true;
	return submit(w, &req);
}

static int act_accept(struct ws *w)
{
	return decide(w, CODE_ACCEPTED);
}

static int act_reject(struct ws *w)
{
	return decide(w, CODE_REJECTED);
}

static int act_add_code(struct ws *w)
{
	if (w->view != VIEW_CODES && w->view != VIEW_NOTE)
		return HANDLED;
	return ask(w, PROMPT_CODE);
}

static int code_pick_key(struct ws *w, int key)
{
	if (key == 27 || key == 'q') {
		w->view = VIEW_CODES;
	} else if (key == KEY_DOWN || key == 'j') {
		if (w->row_sel + 1 < w->nrows)
			w->row_sel++;
	} else if (key == KEY_UP || key == 'k') {
		if (w->row_sel)
			w->row_sel--;
	} else if ((key == '\n' || key == '\r' || key == KEY_ENTER) && w->row_sel < w->nrows) {
		const struct icd10_row *row = &w->rows[w->row_sel];
		char code[10];
		icd_code_format(row->code, code);
		struct ui_request req = {.kind = UI_JOB_CODE_SET, .note_id = w->note.id};
		req.code = (struct note_code){.system = "icd10",
		                              .code = strdup(code),
		                              .name = strdup(row->description),
		                              .evidence = strdup(""),
		                              .span_start = -1,
		                              .span_end = -1,
		                              .score = 1.0,
		                              .status = CODE_ACCEPTED};
		w->view = VIEW_CODES;
		if (!req.code.code || !req.code.name || !req.code.evidence) {
			ui_request_clear(&req);
			set_message(w, true, "out of memory: nothing was changed");
			return REDRAW;
		}
		set_message(w, false, "Added %s; updating the billing...", code);
		w->coding = true;
		return submit(w, &req);
	}
	return REDRAW;
}

static int act_search(struct ws *w)
{
	if (w->view != VIEW_LIST)
		return HANDLED;
	w->prompt = PROMPT_SEARCH;
	str_copy(w->input, w->query, sizeof(w->input));
	return REDRAW;
}

static int act_refresh(struct ws *w)
{
	set_message(w, false, "%s", "");
	return RELOAD;
}

static void edit_input(struct ws *w, int key)
{
	size_t len = strlen(w->input);
	if ((key == KEY_BACKSPACE || key == 127 || key == 8) && len)
		w->input[len - 1] = '\0';
	else if (key >= 32 && key < 256 && len + 1 < sizeof(w->input)) {
		w->input[len] = (char)key;
		w->input[len + 1] = '\0';
	}
}

static int submit(struct ws *w, struct ui_request *req)
{
	str_copy(req->author, user_name(), sizeof(req->author));
	if (ui_worker_submit(w->worker, req) != DICTUM_OK) {
		set_message(w, true, "out of memory: nothing was changed");
		ui_request_clear(req);
	}
	return REDRAW;
}

/* Enter on the bottom line: what happens depends on what it was asking. */
static int prompt_done(struct ws *w)
{
	enum prompt kind = w->prompt;
	w->prompt = PROMPT_NONE;
	str_trim(w->input);
	switch (kind) {
	case PROMPT_SEARCH:
		str_copy(w->query, w->input, sizeof(w->query));
		w->sel = w->top = 0;
		return RELOAD | REDRAW;
	case PROMPT_PATIENT:
		if (!strchr(w->input, ',')) {
			set_message(w, true, "give the patient as 'Last, First'");
			return REDRAW;
		}
		str_copy(w->new_patient, w->input, sizeof(w->new_patient));
		w->input[0] = '\0';
		w->pick_sel = 0;
		w->prev_view = w->view;
		w->view = VIEW_PICKER;
		return REDRAW;
	case PROMPT_SPECIALTY: {
		struct ui_request req = {.kind = UI_JOB_CREATE, .text = strdup(w->new_patient)};
		str_copy(req.note_type, w->new_type, sizeof(req.note_type));
		str_copy(req.specialty, w->input, sizeof(req.specialty));
		w->input[0] = '\0';
		if (!req.text) {
			set_message(w, true, "out of memory");
			return REDRAW;
		}
		set_message(w, false, "Creating the encounter...");
		return submit(w, &req);
	}
	case PROMPT_SIGN:
		if (strcmp(w->input, "y") != 0 && strcmp(w->input, "Y") != 0) {
			set_message(w, false, "Not signed.");
			return REDRAW;
		}
		struct ui_request req = {
		    .kind = UI_JOB_SIGN, .note_id = w->note.id, .version = w->note.version};
		set_message(w, false, "Signing...");
		return submit(w, &req);
	case PROMPT_CODE: {
		if (!w->input[0])
			return REDRAW;
		struct ui_request q = {.kind = UI_JOB_CODE_SEARCH};
		str_copy(q.query, w->input, sizeof(q.query));
		if (w->view == VIEW_NOTE)
			w->view = VIEW_CODES;
		set_message(w, false, "Searching the code table...");
		return submit(w, &q);
	}
	case PROMPT_NONE:
		break;
	}
	return REDRAW;
}

static int prompt_key(struct ws *w, int key)
{
	if (key == 27) {
		w->prompt = PROMPT_NONE;
	} else if (key == '\n' || key == '\r' || key == KEY_ENTER) {
		return prompt_done(w);
	} else {
		edit_input(w, key);
	}
	return REDRAW;
}

static int picker_key(struct ws *w, int key)
{
	const char *types[32];
	size_t n = picker_matches(w, types, 32);
	if (key == 27) {
		w->view = VIEW_LIST;
		w->input[0] = '\0';
	} else if (key == KEY_DOWN) {
		if (w->pick_sel + 1 < n)
			w->pick_sel++;
	} else if (key == KEY_UP) {
		if (w->pick_sel)
			w->pick_sel--;
	} else if (key == '\n' || key == '\r' || key == KEY_ENTER) {
		if (!n)
			return REDRAW;
		str_copy(w->new_type, types[w->pick_sel < n ? w->pick_sel : 0],
		         sizeof(w->new_type));
		w->input[0] = '\0';
		w->view = VIEW_LIST;
		return ask(w, PROMPT_SPECIALTY);
	} else {
		edit_input(w, key);
		w->pick_sel = 0;
	}
	return REDRAW;
}

static int act_new(struct ws *w)
{
	if (w->view != VIEW_LIST && w->view != VIEW_NOTE)
		return HANDLED;
	return ask(w, PROMPT_PATIENT);
}

/* The file an edit of this note goes through; it stays until the save
 * lands, so an edit is never lost. */
static void draft_file(struct ws *w, const char *what)
{
	char dir[1100];
	snprintf(dir, sizeof(dir), "%s/drafts", w->paths->data_dir);
	mkdir_p(dir, 0700);
	snprintf(w->draft_path, sizeof(w->draft_path), "%s/%s-%s-v%d.md", dir, w->note.uid, what,
	         w->note.version);
}

static int act_compare(struct ws *w)
{
	if (w->view != VIEW_NOTE)
		return HANDLED;
	if (w->note.sync != SYNC_CONFLICT) {
		set_message(w, false, "This note is not in conflict.");
		return REDRAW;
	}
	struct ui_request req = {.kind = UI_JOB_CONFLICT, .note_id = w->note.id};
	set_message(w, false, "Loading both versions...");
	return submit(w, &req);
}

static int resolve_as(struct ws *w, enum ui_resolution how, struct note *merged)
{
	struct ui_request req = {.kind = UI_JOB_RESOLVE,
	                         .note_id = w->note.id,
	                         .conflict_id = w->conflict_id,
	                         .resolution = how};
	if (merged) {
		req.note = *merged;
		memset(merged, 0, sizeof(*merged));
	}
	set_message(w, false, "Resolving the conflict...");
	return submit(w, &req);
}

static int act_keep_local(struct ws *w)
{
	if (w->view != VIEW_CONFLICT)
		return HANDLED;
	return resolve_as(w, UI_RESOLVE_LOCAL, NULL);
}

static int act_keep_server(struct ws *w)
{
	if (w->view != VIEW_CONFLICT)
		return HANDLED;
	if (w->note.status == NOTE_SIGNED) {
		set_message(w, true,
		            "The local note is signed and is never overwritten: keep it (<), or "
		            "merge (e) into an addendum.");
		return REDRAW;
	}
	return resolve_as(w, UI_RESOLVE_SERVER, NULL);
}

/* The merge file: sections the two sides agree on as they are, the others
 * with both texts between conflict markers for the clinician to settle. */
static int write_merge(const char *path, const struct note *local, const struct note *server)
{
	struct dynbuf d;
	dynbuf_init(&d, (size_t)64 << 20);
	int rc = 0;
	for (size_t pass = 0; pass < 2 && !rc; pass++) {
		const struct note *n = pass ? server : local, *o = pass ? local : server;
		for (size_t i = 0; i < n->nsections && !rc; i++) {
			const struct note_section *sec = &n->sections[i];
			const struct note_section *other = section_by_key(o, sec->key);
			if (pass && other)
				continue; /* already written with the local one */
			if (other && strcmp(other->text, sec->text) == 0)
				rc = dynbuf_printf(&d, "# %s\n%s\n\n", sec->title, sec->text);
			else
				rc = dynbuf_printf(
				    &d, "# %s\n<<<<<<< local\n%s\n=======\n%s\n>>>>>>> server\n\n",
				    sec->title, pass ? "" : sec->text,
				    pass    ? sec->text
				    : other ? other->text
				            : "");
		}
	}
	rc = rc ? -ENOMEM : editor_write_text(path, dynbuf_str(&d));
	dynbuf_free(&d);
	return rc;
}

static bool has_markers(const struct note *n)
{
	for (size_t i = 0; i < n->nsections; i++)
		if (strstr(n->sections[i].text, "<<<<<<< ") ||
		    strstr(n->sections[i].text, ">>>>>>> ") ||
		    strstr(n->sections[i].text, "\n=======\n"))
			return true;
	return false;
}

static int merge(struct ws *w)
{
	draft_file(w, "merge");
	if (!path_exists(w->draft_path) &&
	    write_merge(w->draft_path, &w->note, &w->conflict_server)) {
		set_message(w, true, "cannot write %s", w->draft_path);
		return REDRAW;
	}
	int rc = editor_run(w->draft_path);
	struct note merged = {0};
	if (rc != 0) {
		set_message(w, true, "The editor exited with status %d; the merge is kept in %s",
		            rc, w->draft_path);
		return REDRAW;
	}
	if (editor_read_note(w->draft_path, &w->note, &merged) != DICTUM_OK) {
		set_message(w, true, "cannot read %s back; it is kept", w->draft_path);
		return REDRAW;
	}
	if (has_markers(&merged)) {
		note_clear(&merged);
		set_message(w, true,
		            "Conflict markers are left in the merge: press e to finish it.");
		return REDRAW;
	}
	return resolve_as(w, UI_RESOLVE_MERGE, &merged);
}

static int act_edit(struct ws *w)
{
	if (w->view == VIEW_CONFLICT)
		return merge(w);
	if (w->view != VIEW_NOTE)
		return HANDLED;
	if (refuse_signed(w))
		return REDRAW;
	draft_file(w, "edit");
	if (!path_exists(w->draft_path) && editor_write_note(w->draft_path, &w->note) != 0) {
		set_message(w, true, "cannot write %s", w->draft_path);
		return REDRAW;
	}
	int rc = editor_run(w->draft_path);
	struct ui_request req = {.kind = UI_JOB_SAVE};
	if (rc != 0) {
		set_message(w, true, "The editor exited with status %d; your text is kept in %s",
		            rc, w->draft_path);
		return REDRAW;
	}
	if (editor_read_note(w->draft_path, &w->note, &req.note) != DICTUM_OK) {
		set_message(w, true, "cannot read %s back; it is kept", w->draft_path);
		return REDRAW;
	}
	set_message(w, false, "Saving...");
	return submit(w, &req);
}

static int act_sign(struct ws *w)
{
	if (w->view != VIEW_NOTE)
		return HANDLED;
	if (w->note.status == NOTE_SIGNED) {
		set_message(w, false, "Already signed.");
		return REDRAW;
	}
	return ask(w, PROMPT_SIGN);
}

static int act_addendum(struct ws *w)
{
	if (w->view != VIEW_NOTE)
		return HANDLED;
	if (w->note.status != NOTE_SIGNED) {
		set_message(w, true,
		            "Only a signed note takes an addendum; press e to edit the draft.");
		return REDRAW;
	}
	draft_file(w, "addendum");
	if (!path_exists(w->draft_path) && editor_write_text(w->draft_path, "") != 0) {
		set_message(w, true, "cannot write %s", w->draft_path);
		return REDRAW;
	}
	int rc = editor_run(w->draft_path);
	char *text = NULL;
	if (rc != 0 || file_read_all(w->draft_path, 1u << 20, &text, NULL) != 0) {
		set_message(w, true, "No addendum added; your text is kept in %s", w->draft_path);
		return REDRAW;
	}
	if (!*str_trim(text)) {
		free(text);
		unlink(w->draft_path);
		w->draft_path[0] = '\0';
		set_message(w, false, "Empty addendum: nothing added.");
		return REDRAW;
	}
	struct ui_request req = {.kind = UI_JOB_ADDENDUM,
	                         .note_id = w->note.id,
	                         .version = w->note.version,
	                         .text = text};
	set_message(w, false, "Adding the addendum...");
	return submit(w, &req);
}

static bool recording(const struct ws *w)
{
	return w->rec.state == REC_RECORDING || w->rec.state == REC_PAUSED;
}

static int act_record(struct ws *w)
{
	if (recording(w)) {
		ui_recorder_pause(w->recorder);
		return REDRAW;
	}
	if (w->rec.state != REC_IDLE) {
		set_message(w, false, "The last recording is still being drafted; a moment.");
		return REDRAW;
	}
	if (w->view != VIEW_NOTE) {
		set_message(w, true,
		            "Open a note first (Enter, or n for a new encounter), then R.");
		return REDRAW;
	}
	if (w->note.status == NOTE_SIGNED) {
		set_message(w, true, "This note is signed; record into a new encounter (n).");
		return REDRAW;
	}
	struct rec_target t = {.note_id = w->note.id, .encounter_id = w->note.encounter_id};
	str_copy(t.note_type, w->note.note_type, sizeof(t.note_type));
	str_copy(t.specialty, w->note.specialty ? w->note.specialty : "", sizeof(t.specialty));
	str_copy(t.backend, w->backend, sizeof(t.backend));
	str_copy(t.device, w->device, sizeof(t.device));
	str_copy(t.author, user_name(), sizeof(t.author));
	ui_recorder_record(w->recorder, &t);
	ui_recorder_status(w->recorder, &w->rec);
	set_message(w, false, "Recording from %s; R pauses, x stops.",
	            w->device[0] ? w->device : "the default device");
	return REDRAW;
}

static int act_stop(struct ws *w)
{
	if (!recording(w) && w->rec.state != REC_STARTING) {
		set_message(w, false, "Not recording.");
		return REDRAW;
	}
	ui_recorder_stop(w->recorder);
	set_message(w, false, "Stopped; transcribing and drafting the note...");
	return REDRAW;
}

static int act_devices(struct ws *w)
{
	if (w->view == VIEW_HELP || w->view == VIEW_PICKER)
		return HANDLED;
	ui_recorder_list_devices(w->recorder);
	set_message(w, false, "Listing the capture devices...");
	return REDRAW;
}

static int act_learn(struct ws *w)
{
	if (w->view == VIEW_HELP || w->view == VIEW_PICKER)
		return HANDLED;
	if (w->rec.state != REC_IDLE) {
		set_message(w, true, "Stop recording first (x): speech learns between recordings");
		return REDRAW;
	}
	ui_recorder_adapt(w->recorder);
	set_message(w, false, "Learning your words from your signed notes...");
	return REDRAW;
}

static int devices_key(struct ws *w, int key)
{
	if (key == 27 || key == 'q') {
		w->view = w->prev_view;
	} else if (key == KEY_DOWN || key == 'j') {
		if (w->dev_sel < w->ndevices)
			w->dev_sel++;
	} else if (key == KEY_UP || key == 'k') {
		if (w->dev_sel)
			w->dev_sel--;
	} else if (key == '\n' || key == '\r' || key == KEY_ENTER) {
		str_copy(w->backend, w->dev_backend, sizeof(w->backend));
		str_copy(w->device, w->dev_sel ? w->devices[w->dev_sel - 1].name : "",
		         sizeof(w->device));
		set_message(w, false, "Capture device: %s (%s)",
		            w->device[0] ? w->device : "the default", w->backend);
		w->view = w->prev_view;
	}
	return REDRAW;
}

static int act_sync(struct ws *w)
{
	if (!w->sync.configured) {
		set_message(w, true,
		            "No server configured: set [server] url and api_key in config.ini, "
		            "or DICTUM_SERVER and DICTUM_API_KEY. Notes stay here meanwhile.");
		return REDRAW;
	}
	ui_syncer_now(w->syncer);
	w->sync_asked = true;
	set_message(w, false, "Syncing...");
	return REDRAW;
}

/* Takes the syncer's snapshot; says how a pass went when it was asked for
 * or went wrong in a new way, and reloads the list when notes moved. */
static int apply_syncer(struct ws *w)
{
	int flags = REDRAW;
	ui_syncer_drain(w->syncer);
	ui_syncer_status(w->syncer, &w->sync);
	const struct syncer_status *sy = &w->sync;
	if (sy->passes == w->sync_seen || sy->running || !sy->configured)
		return flags;
	w->sync_seen = sy->passes;
	if (sy->pushed || sy->pulled || sy->new_conflicts)
		flags |= RELOAD;
	bool bad = sy->state >= SYNC_NET_OFFLINE;
	if (bad && (w->sync_asked || strcmp(w->sync_said, sy->message) != 0)) {
		set_message(w, sy->state != SYNC_NET_OFFLINE, "Sync: %s: %s; nothing local is lost",
		            sync_net_state_name(sy->state), sy->message);
		str_copy(w->sync_said, sy->message, sizeof(w->sync_said));
	} else if (!bad && (w->sync_asked || sy->pushed || sy->pulled || sy->new_conflicts)) {
		set_message(w, sy->new_conflicts != 0,
		            "Synced: %zu change(s) pushed, %zu note(s) pulled%s", sy->pushed,
		            sy->pulled,
		            sy->new_conflicts ? "; a note changed on both sides: both kept" : ".");
		w->sync_said[0] = '\0';
	}
	w->sync_asked = false;
	return flags;
}

/* Takes the recorder's snapshot, live transcript and results. */
static int apply_recorder(struct ws *w)
{
	int flags = REDRAW;
	struct rec_result r;
	ui_recorder_drain(w->recorder);
	ui_recorder_status(w->recorder, &w->rec);
	ui_recorder_text(w->recorder, &w->live_gen, &w->live_final, &w->live_pending,
	                 &w->live_preview);
	while (ui_recorder_take(w->recorder, &r)) {
		if (r.kind == REC_RESULT_DEVICES && r.status == DICTUM_OK) {
			capture_devices_free(&w->devices, w->ndevices);
			w->devices = r.devices;
			w->ndevices = r.ndevices;
			r.devices = NULL;
			r.ndevices = 0;
			str_copy(w->dev_backend, r.backend, sizeof(w->dev_backend));
			w->dev_sel = 0;
			for (size_t i = 0; i < w->ndevices; i++)
				if (strcmp(w->devices[i].name, w->device) == 0)
					w->dev_sel = i + 1;
			if (w->view != VIEW_DEVICES)
				w->prev_view = w->view;
			w->view = VIEW_DEVICES;
			w->message[0] = '\0';
		} else {
			set_message(w, r.status != DICTUM_OK, "%s", r.message);
		}
		if (r.kind == REC_RESULT_DRAFTED && r.status == DICTUM_OK) {
			if (r.note.id == w->note.id) {
				note_clear(&w->note);
				w->note = r.note;
				memset(&r.note, 0, sizeof(r.note));
				request_codes(w);
			}
			ui_syncer_nudge(w->syncer);
			flags |= RELOAD;
		}
		rec_result_clear(&r);
	}
	return flags;
}

static int dispatch(struct ws *w, int key)
{
	if (key == KEY_RESIZE)
		return REDRAW;
	if (w->prompt != PROMPT_NONE)
		return prompt_key(w, key);
	if (w->view == VIEW_PICKER)
		return picker_key(w, key);
	if (w->view == VIEW_DEVICES)
		return devices_key(w, key);
	if (w->view == VIEW_CODE_PICK)
		return code_pick_key(w, key);
	if (w->view == VIEW_EDIT)
		return edit_key(w, key);
	for (size_t i = 0; i < sizeof(actions) / sizeof(actions[0]); i++)
		for (int k = 0; k < 3; k++)
			if (actions[i].keys[k] && actions[i].keys[k] == key) {
				w->message[0] = '\0';
				return actions[i].fn(w);
			}
	return HANDLED;
}

/* For bench/ui: the time from a key reaching the loop to the screen written
 * for it, kept when DICTUM_UI_LATENCY_LOG names a file (one value in
 * microseconds a line, written at exit). */
#define LATENCY_MAX 8192
struct latency_log {
	uint32_t us[LATENCY_MAX];
	size_t n;
};

static void latency_write(const struct latency_log *l)
{
	const char *path = getenv("DICTUM_UI_LATENCY_LOG");
	FILE *f = path && *path ? fopen(path, "w") : NULL;
	if (!f)
		return;
	for (size_t i = 0; i < l->n; i++)
		fprintf(f, "%u\n", l->us[i]);
	fclose(f);
}

static int run_loop(struct ws *w, struct latency_log *lat)
{
	int flags = RELOAD;
	uint64_t key_at = 0;
	while (!(flags & QUIT) && !stop_requested) {
		if (flags & RELOAD)
			flags |= reload(w);
		if (flags & REDRAW)
			draw(w);
		if (key_at && lat->n < LATENCY_MAX)
			lat->us[lat->n++] = (uint32_t)((time_mono_ns() - key_at) / 1000);
		key_at = 0;
		/* The speech model loads once the first full screen is up. */
		if (!w->loading)
			ui_recorder_load(w->recorder);
		flags = HANDLED;
		struct pollfd pfd[4] = {{.fd = STDIN_FILENO, .events = POLLIN},
		                        {.fd = w->wake_fd, .events = POLLIN},
		                        {.fd = w->rec_fd, .events = POLLIN},
		                        {.fd = w->sync_fd, .events = POLLIN}};
		int rc = poll(pfd, 4, w->player ? 200 : 1000);
		if (rc < 0 && errno != EINTR)
			return 1;
		if (w->player && !ui_player_running(w->player)) {
			ui_player_stop(&w->player);
			set_message(w, false, "Playback finished.");
			flags |= REDRAW;
		}
		if (rc == 0)
			continue;
		if (rc > 0 && (pfd[0].revents & POLLIN))
			key_at = time_mono_ns();
		if (rc > 0 && (pfd[1].revents & POLLIN)) {
			ui_worker_drain(w->worker);
			flags |= apply_results(w);
		}
		if (rc > 0 && (pfd[2].revents & POLLIN))
			flags |= apply_recorder(w);
		if (rc > 0 && (pfd[3].revents & POLLIN))
			flags |= apply_syncer(w);
		/* A signal (SIGWINCH) or input: drain what curses has. */
		int key;
		while ((key = getch()) != ERR && !(flags & QUIT))
			flags |= dispatch(w, key);
		if (rc < 0)
			flags |= REDRAW;
		if (pfd[0].revents & (POLLHUP | POLLERR))
			return 1;
	}
	return 0;
}

int workstation_run(const struct dictum_paths *paths, const struct config *config)
{
	struct ws w = {.paths = paths, .view = VIEW_LIST, .sent = -1};
	/* the screen shows the speech model's state itself; a notice written
	 * to stderr would tear it */
	log_notices(false);
	str_copy(w.backend, config_get(config, "audio", "backend", ""), sizeof(w.backend));
	str_copy(w.device, config_get(config, "audio", "device", ""), sizeof(w.device));
	int rc = mkdir_p(paths->data_dir, 0700);
	if (rc) {
		fprintf(stderr, "dictum: cannot create the data directory %s: %s\n",
		        paths->data_dir, strerror(-rc));
		return 1;
	}
	/* Open once here so a bad store is a clean one-line error before the
	 * screen is taken; the worker then opens its own handle. */
	char err[1024];
	store *check = NULL;
	if (store_open(paths->db_file, &check, err, sizeof(err)) != DICTUM_OK) {
		fprintf(stderr, "dictum: %s\n", err);
		return 1;
	}
	store_close(&check);
	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
		fprintf(stderr, "dictum: the workstation needs a terminal; see 'dictum --help' "
		                "for the scriptable commands\n");
		return 1;
	}
	setlocale(LC_ALL, "");
	signal(SIGINT, on_stop);
	signal(SIGTERM, on_stop);
	signal(SIGHUP, on_stop);
	signal(SIGSEGV, on_fatal);
	signal(SIGABRT, on_fatal);
	signal(SIGBUS, on_fatal);
	signal(SIGFPE, on_fatal);
	if (ui_worker_start(&w.worker, paths->db_file, &w.wake_fd) != DICTUM_OK) {
		fprintf(stderr, "dictum: cannot start the store thread\n");
		return 1;
	}
	if (ui_recorder_start(&w.recorder, paths->db_file, paths->recordings_dir, config,
	                      &w.rec_fd) != DICTUM_OK) {
		ui_worker_stop(&w.worker);
		fprintf(stderr, "dictum: cannot start the recorder thread\n");
		return 1;
	}
	ui_recorder_status(w.recorder, &w.rec);
	if (ui_syncer_start(&w.syncer, paths->db_file, config, &w.sync_fd) != DICTUM_OK) {
		ui_recorder_free(&w.recorder);
		ui_worker_stop(&w.worker);
		fprintf(stderr, "dictum: cannot start the sync thread\n");
		return 1;
	}
	ui_syncer_status(w.syncer, &w.sync);
	/* a warning from a worker thread written to the terminal would tear
	 * the screen: while curses owns it, log lines go to DATA_DIR/dictum.log */
	char log_path[4200];
	snprintf(log_path, sizeof(log_path), "%s/dictum.log", paths->data_dir);
	if (log_to_file(log_path) != 0)
		log_warn("ui", "cannot write %s; log lines stay on the terminal", log_path);
	if (!initscr()) {
		log_to_stderr();
		ui_syncer_free(&w.syncer);
		ui_recorder_free(&w.recorder);
		ui_worker_stop(&w.worker);
		fprintf(stderr, "dictum: cannot initialise the terminal (TERM=%s)\n",
		        getenv("TERM") ? getenv("TERM") : "");
		return 1;
	}
	atexit((void (*)(void))endwin);
	cbreak();
	noecho();
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	set_escdelay(25);
	w.color = has_colors() && !getenv("NO_COLOR");
	if (w.color) {
		start_color();
		use_default_colors();
	}
	load_theme(&w, config_get(config, "ui", "theme", "dark"));
	apply_theme(&w);

	/* Recordings cut off by a crash are repaired first thing (on the store
	 * thread, so the first screen is not held up). */
	struct ui_request recover = {.kind = UI_JOB_RECOVER};
	submit(&w, &recover);
	struct latency_log *lat = xcalloc(1, sizeof(*lat));
	int status = run_loop(&w, lat);
	endwin();
	log_to_stderr();
	log_notices(true);
	latency_write(lat);
	free(lat);
	ui_recorder_status(w.recorder, &w.rec);
	if (w.rec.state != REC_IDLE)
		fprintf(stderr, "dictum: finishing the recording (the transcript and the draft are "
		                "saved)...\n");
	/* Finishes a recording in progress: the file, transcript and draft stay. */
	ui_recorder_free(&w.recorder);
	ui_syncer_free(&w.syncer);
	capture_devices_free(&w.devices, w.ndevices);
	note_codes_free(&w.codes, w.ncodes);
	free(w.billing);
	icd10_rows_free(&w.rows, w.nrows);
	note_clear(&w.conflict_server);
	free(w.flags);
	ui_player_stop(&w.player);
	textedit_clear(&w.edit);
	ui_spans_free(&w.spans, w.nspans);
	free(w.live_final);
	free(w.live_pending);
	free(w.live_preview);
	note_summaries_free(&w.notes, w.nnotes);
	note_clear(&w.note);
	free(w.note_patient);
	ui_worker_stop(&w.worker);
	return status;
}
