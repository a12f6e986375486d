#include "offline/store_internal.h"
#include "core/error.h"
#include "core/util.h"

#include <stdlib.h>
#include <string.h>

static const char *const recording_states[] = {"recording", "complete", "recovered"};

const char *recording_state_name(enum recording_state st)
{
	return (unsigned)st < 3 ? recording_states[st] : "unknown";
}

static int recording_state_parse(const char *name)
{
	for (int i = 0; name && i < 3; i++)
		if (strcmp(recording_states[i], name) == 0)
			return i;
	return -1;
}

void recordings_free(struct recording **list, size_t count)
{
	if (!list || !*list)
		return;
	for (size_t i = 0; i < count; i++)
		free((*list)[i].path);
	free(*list);
	*list = NULL;
}

int store_recording_begin(store *s, struct recording *r)
{
	static const char sql[] =
	    "INSERT INTO recordings(uid, encounter_id, path, sample_rate, channels, state, "
	    "created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, 'recording', ?6, ?6)";
	if (str_empty(r->path) || r->sample_rate <= 0)
		return store_failf(s, DICTUM_INVAL, "a recording needs a path and a sample rate");
	int result = store_make_uid(r->uid, "rec");
	if (result)
		return store_failf(s, result, "cannot make an id");
	time_now_iso(r->created_at);
	sqlite3_stmt *st = store_stmt(s, sql);
	if (!st)
		return DICTUM_INTERNAL;
	store_bind_text(st, 1, r->uid);
	if (r->encounter_id)
		sqlite3_bind_int64(st, 2, r->encounter_id);
	store_bind_text(st, 3, r->path);
	sqlite3_bind_int(st, 4, r->sample_rate);
	sqlite3_bind_int(st, 5, r->channels > 0 ? r->channels : 1);
	store_bind_text(st, 6, r->created_at);
	if ((result = store_step_done(s, st)) == DICTUM_OK) {
		r->id = sqlite3_last_insert_rowid(s->db);
		r->state = RECORDING_RECORDING;
	}
	return result;
}

int store_recording_finish(store *s, int64_t id, int64_t duration_ms, const char *sha256,
                           enum recording_state state)
{
	static const char sql[] =
	    "UPDATE recordings SET duration_ms = ?2, sha256 = ?3, state = ?4, "
	    "updated_at = ?5 WHERE id = ?1";
	char now[DICTUM_TIME_LEN];
	time_now_iso(now);
	sqlite3_stmt *st = store_stmt(s, sql);
	if (!st)
		return DICTUM_INTERNAL;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, duration_ms);
	store_bind_text(st, 3, sha256);
	store_bind_text(st, 4, recording_state_name(state));
	store_bind_text(st, 5, now);
	int result = store_step_done(s, st);
	if (!result && sqlite3_changes(s->db) == 0)
		result =
		    store_failf(s, DICTUM_NOTFOUND, "no recording with id %lld", (long long)id);
	return result;
}

static int recording_row(sqlite3_stmt *st, void *elem)
{
	struct recording *r = elem;
	r->id = sqlite3_column_int64(st, 0);
	store_col_copy(st, 1, r->uid, sizeof(r->uid));
	r->encounter_id = sqlite3_column_int64(st, 2);
	r->path = store_col_dup(st, 3);
	store_col_copy(st, 4, r->sha256, sizeof(r->sha256));
	r->duration_ms = sqlite3_column_int64(st, 5);
	r->sample_rate = sqlite3_column_int(st, 6);
	r->channels = sqlite3_column_int(st, 7);
	int state = recording_state_parse((const char *)sqlite3_column_text(st, 8));
	r->state = state < 0 ? RECORDING_RECORDING : (enum recording_state)state;
	store_col_copy(st, 9, r->created_at, sizeof(r->created_at));
	return r->path ? DICTUM_OK : DICTUM_NOMEM;
}

/* The recordings of a query with ?1 = text. */
static int list_recordings(store *s, const char *sql, const char *text, struct recording **list,
                           size_t *count)
{
	sqlite3_stmt *st = store_stmt(s, sql);
	if (!st)
		return DICTUM_INTERNAL;
	store_bind_text(st, 1, text);
	int result = store_collect(s, st, (void **)list, count, sizeof(**list), recording_row);
	if (result)
		recordings_free(list, *count);
	return result;
}

int store_recording_list(store *s, int state, struct recording **list, size_t *count)
{
	static const char sql[] =
	    "SELECT id, uid, encounter_id, path, sha256, duration_ms, sample_rate, channels, "
	    "state, created_at FROM recordings WHERE ?1 IS NULL OR state = ?1 "
	    "ORDER BY created_at DESC, id DESC";
	return list_recordings(s, sql,
	                       state < 0 ? NULL : recording_state_name((enum recording_state)state),
	                       list, count);
}

void media_uploads_free(struct media_upload **list, size_t count)
{
	if (!list || !*list)
		return;
	for (size_t i = 0; i < count; i++) {
		free((*list)[i].path);
		free((*list)[i].text);
		free((*list)[i].upload_id);
		free((*list)[i].note_server_id);
	}
	free(*list);
	*list = NULL;
}

/* A text column that may be NULL: false when memory ran out. */
static bool col_opt(sqlite3_stmt *st, int col, char **out)
{
	*out = sqlite3_column_type(st, col) == SQLITE_NULL ? NULL : store_col_dup(st, col);
	return *out || sqlite3_column_type(st, col) == SQLITE_NULL;
}

/* id, uid, kind ('r' or 't'), path or text, upload_id, note server id */
static int upload_row(sqlite3_stmt *st, void *elem)
{
	struct media_upload *m = elem;
	m->id = sqlite3_column_int64(st, 0);
	store_col_copy(st, 1, m->uid, sizeof(m->uid));
	m->transcript = sqlite3_column_text(st, 2)[0] == 't';
	bool ok = col_opt(st, 3, m->transcript ? &m->text : &m->path) &&
	          col_opt(st, 4, &m->upload_id) && col_opt(st, 5, &m->note_server_id);
	return ok && (m->path || m->text) ? DICTUM_OK : DICTUM_NOMEM;
}

int store_uploads_pending(store *s, struct media_upload **list, size_t *count)
{
	/* Each medium with the server id of its encounter's note; none while
	 * a note of the encounter is not on the server yet. */
	static const char sql[] =
	    "WITH media(id, uid, kind, data, upload_id, encounter_id) AS ("
	    " SELECT id, uid, 'r', path, upload_id, encounter_id FROM recordings"
	    " WHERE state IN ('complete','recovered') AND uploaded_at IS NULL"
	    " UNION ALL"
	    " SELECT id, uid, 't', text, upload_id, encounter_id FROM transcripts"
	    " WHERE uploaded_at IS NULL AND engine <> 'server')"
	    "SELECT m.id, m.uid, m.kind, m.data, m.upload_id, (SELECT n.server_id FROM notes n"
	    " WHERE n.encounter_id = m.encounter_id ORDER BY n.id DESC LIMIT 1) FROM media m"
	    " WHERE NOT EXISTS (SELECT 1 FROM notes n WHERE n.encounter_id = m.encounter_id"
	    " AND n.server_id IS NULL) ORDER BY m.kind, m.id";
	sqlite3_stmt *st = store_stmt(s, sql);
	if (!st)
		return DICTUM_INTERNAL;
	int result = store_collect(s, st, (void **)list, count, sizeof(**list), upload_row);
	if (result)
		media_uploads_free(list, *count);
	return result;
}

int store_upload_set_id(store *s, const struct media_upload *m, const char *upload_id)
{
	static const char rec[] = "UPDATE recordings SET upload_id = ?2 WHERE id = ?1";
	static const char trn[] = "UPDATE transcripts SET upload_id = ?2 WHERE id = ?1";
	return store_exec_id_text(s, m->transcript ? trn : rec, m->id, upload_id);
}

int store_upload_done(store *s, const struct media_upload *m)
{
	static const char rec[] = "UPDATE recordings SET uploaded_at = ?2 WHERE id = ?1";
	static const char trn[] = "UPDATE transcripts SET uploaded_at = ?2 WHERE id = ?1";
	char now[DICTUM_TIME_LEN];
	time_now_iso(now);
	return store_exec_id_text(s, m->transcript ? trn : rec, m->id, now);
}

int store_recordings_untranscribed(store *s, const char *engine, struct recording **list,
                                   size_t *count)
{
	static const char sql[] =
	    "SELECT r.id, r.uid, r.encounter_id, r.path, r.sha256, r.duration_ms, r.sample_rate, "
	    "r.channels, r.state, r.created_at FROM recordings r JOIN encounters e ON "
	    "e.id = r.encounter_id WHERE e.engine = ?1 AND r.state IN ('complete','recovered') "
	    "AND NOT EXISTS (SELECT 1 FROM transcripts t WHERE t.recording_id = r.id) ORDER BY "
	    "r.id";
	return list_recordings(s, sql, engine, list, count);
}

int store_encounter_set_engine(store *s, int64_t id, const char *engine)
{
	static const char sql[] = "UPDATE encounters SET engine = ?2 WHERE id = ?1";
	if (!engine || (strcmp(engine, "local") != 0 && strcmp(engine, "server") != 0))
		return store_failf(s, DICTUM_INVAL, "the engine is local or server, not %s",
		                   engine ? engine : "nothing");
	int result = store_exec_id_text(s, sql, id, engine);
	if (!result && sqlite3_changes(s->db) == 0)
		result =
		    store_failf(s, DICTUM_NOTFOUND, "no encounter with id %lld", (long long)id);
	return result;
}

static int id_value(store *s, const char *sql, int64_t id, sqlite3_int64 *num, char *text,
                    size_t textlen)
{
	sqlite3_stmt *st = store_stmt(s, sql);
	if (!st)
		return DICTUM_INTERNAL;
	sqlite3_bind_int64(st, 1, id);
	int rc = sqlite3_step(st), result = DICTUM_OK;
	if (rc == SQLITE_ROW) {
		if (num)
			*num = sqlite3_column_int64(st, 0);
		if (text)
			store_col_copy(st, 0, text, textlen);
	} else {
		result = rc == SQLITE_DONE ? store_failf(s, DICTUM_NOTFOUND,
		                                         "no encounter with id %lld", (long long)id)
		                           : store_fail(s, rc);
	}
	sqlite3_reset(st);
	return result;
}

int store_encounter_engine(store *s, int64_t id, char out[8])
{
	static const char sql[] = "SELECT engine FROM encounters WHERE id = ?1";
	return id_value(s, sql, id, NULL, out, 8);
}

int store_encounter_note_count(store *s, int64_t id, int64_t *count)
{
	static const char sql[] = "SELECT count(*) FROM notes WHERE encounter_id = ?1";
	sqlite3_int64 n = 0;
	int result = id_value(s, sql, id, &n, NULL, 0);
	*count = n;
	return result;
}

int store_transcript_add(store *s, int64_t encounter_id, int64_t recording_id, const char *engine,
                         const char *text, const char *segments_json, int64_t *id_out)
{
	static const char sql[] =
	    "INSERT INTO transcripts(uid, encounter_id, recording_id, engine, "
	    "text, segments, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";
	char uid[DICTUM_UID_LEN], now[DICTUM_TIME_LEN];
	int result = store_make_uid(uid, "trn");
	if (result)
		return store_failf(s, result, "cannot make an id");
	time_now_iso(now);
	sqlite3_stmt *st = store_stmt(s, sql);
	if (!st)
		return DICTUM_INTERNAL;
	store_bind_text(st, 1, uid);
	if (encounter_id)
		sqlite3_bind_int64(st, 2, encounter_id);
	if (recording_id)
		sqlite3_bind_int64(st, 3, recording_id);
	store_bind_text(st, 4, engine ? engine : "unknown");
	store_bind_text(st, 5, text ? text : "");
	store_bind_text(st, 6, segments_json ? segments_json : "[]");
	store_bind_text(st, 7, now);
	if ((result = store_step_done(s, st)) == DICTUM_OK && id_out)
		*id_out = sqlite3_last_insert_rowid(s->db);
	return result;
}

int store_transcript_for_encounter(store *s, int64_t encounter_id, char **text_out)
{
	static const char sql[] = "SELECT group_concat(text, char(10)) FROM (SELECT text FROM "
	                          "transcripts WHERE encounter_id = ?1 ORDER BY id)";
	sqlite3_stmt *st = store_stmt(s, sql);
	if (!st)
		return DICTUM_INTERNAL;
	sqlite3_bind_int64(st, 1, encounter_id);
	int rc = sqlite3_step(st), result = DICTUM_OK;
	if (rc != SQLITE_ROW)
		result = store_fail(s, rc);
	else if (sqlite3_column_type(st, 0) == SQLITE_NULL)
		result = store_failf(s, DICTUM_NOTFOUND, "encounter %lld has no transcript",
		                     (long long)encounter_id);
	else if (!(*text_out = store_col_dup(st, 0)))
		result = store_failf(s, DICTUM_NOMEM, "out of memory");
	sqlite3_reset(st);
	return result;
}

int store_transcript_segments(store *s, int64_t encounter_id,
                              int (*each)(void *ctx, const char *segments_json,
                                          const char *wav_path),
                              void *ctx)
{
	static const char sql[] = "SELECT t.segments, r.path FROM transcripts t LEFT JOIN "
	                          "recordings r ON r.id = t.recording_id WHERE t.encounter_id = "
	                          "?1 ORDER BY t.id";
	sqlite3_stmt *st = store_stmt(s, sql);
	if (!st)
		return DICTUM_INTERNAL;
	sqlite3_bind_int64(st, 1, encounter_id);
	int rc, result = DICTUM_OK;
	while (!result && (rc = sqlite3_step(st)) == SQLITE_ROW)
		result = each(ctx, (const char *)sqlite3_column_text(st, 0),
		              (const char *)sqlite3_column_text(st, 1));
	if (!result && rc != SQLITE_DONE)
		result = store_fail(s, rc);
	sqlite3_reset(st);
	return result;
}

int store_transcript_get(store *s, int64_t id, char **text_out, char **segments_out)
{
	static const char sql[] = "SELECT text, segments FROM transcripts WHERE id = ?1";
	sqlite3_stmt *st = store_stmt(s, sql);
	if (!st)
		return DICTUM_INTERNAL;
	sqlite3_bind_int64(st, 1, id);
	int rc = sqlite3_step(st), result = DICTUM_OK;
	if (rc == SQLITE_ROW) {
		char *text = store_col_dup(st, 0);
		char *segments = segments_out ? store_col_dup(st, 1) : NULL;
		if (!text || (segments_out && !segments)) {
			free(text);
			free(segments);
			result = DICTUM_NOMEM;
		} else {
			*text_out = text;
			if (segments_out)
				*segments_out = segments;
		}
	} else {
		result = rc == SQLITE_DONE
		             ? store_failf(s, DICTUM_NOTFOUND, "no transcript with id %lld",
		                           (long long)id)
		             : store_fail(s, rc);
	}
	sqlite3_reset(st);
	return result;
}
