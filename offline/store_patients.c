#include "offline/store_internal.h"
#include "core/error.h"
#include "core/util.h"

#include <stdlib.h>
#include <string.h>

int store_patient_add(store *s, struct patient *p)
{
	static const char sql[] =
	    "INSERT INTO patients(uid, first_name, last_name, birth_date, mrn, email, "
	    "created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)";
	if (str_empty(p->first_name) || str_empty(p->last_name))
		return store_failf(s, DICTUM_INVAL, "a patient needs a first and a last name");
	int result = store_make_uid(p->uid, "pat");
	if (result)
		return store_failf(s, result, "cannot make an id");
	time_now_iso(p->created_at);
	sqlite3_stmt *st = store_stmt(s, sql);
	if (!st)
		return DICTUM_INTERNAL;
	store_bind_text(st, 1, p->uid);
	store_bind_text(st, 2, p->first_name);
	store_bind_text(st, 3, p->last_name);
	store_bind_text(st, 4, p->birth_date);
	store_bind_text(st, 5, p->mrn);
	store_bind_text(st, 6, p->email);
	store_bind_text(st, 7, p->created_at);
	if ((result = store_step_done(s, st)) == DICTUM_OK)
		p->id = sqlite3_last_insert_rowid(s->db);
	return result;
}

static int patient_row(sqlite3_stmt *st, void *elem)
{
	struct patient *p = elem;
	p->id = sqlite3_column_int64(st, 0);
	store_col_copy(st, 1, p->uid, sizeof(p->uid));
	p->first_name = store_col_dup(st, 2);
	p->last_name = store_col_dup(st, 3);
	p->birth_date = store_col_dup(st, 4);
	p->mrn = store_col_dup(st, 5);
	p->email = store_col_dup(st, 6);
	store_col_copy(st, 7, p->created_at, sizeof(p->created_at));
	return p->first_name && p->last_name ? DICTUM_OK : DICTUM_NOMEM;
}

#define PATIENT_COLUMNS "id, uid, first_name, last_name, birth_date, mrn, email, created_at"

int store_patient_get(store *s, int64_t id, struct patient *out)
{
	static const char sql[] = "SELECT " PATIENT_COLUMNS " FROM patients WHERE id = ?1";
	sqlite3_stmt *st = store_stmt(s, sql);
	if (!st)
		return DICTUM_INTERNAL;
	sqlite3_bind_int64(st, 1, id);
	int result = store_collect_one(s, st, out, sizeof(*out), patient_row);
	if (result == DICTUM_NOTFOUND)
		store_failf(s, result, "no patient with id %lld", (long long)id);
	else if (result)
		patient_clear(out);
	return result;
}

int store_patient_list(store *s, const char *query, size_t limit, struct patient **list,
                       size_t *count)
{
	static const char sql[] = "SELECT " PATIENT_COLUMNS " FROM patients "
	                          "WHERE ?1 IS NULL OR instr(lower(first_name || ' ' || "
	                          "last_name || ' ' || last_name || ' ' || coalesce(mrn, '') || "
	                          "' ' || coalesce(email, '')), lower(?1)) > 0 "
	                          "ORDER BY last_name, first_name, id LIMIT ?2";
	sqlite3_stmt *st = store_stmt(s, sql);
	if (!st)
		return DICTUM_INTERNAL;
	store_bind_text(st, 1, str_empty(query) ? NULL : query);
	sqlite3_bind_int64(st, 2, limit ? (int64_t)limit : -1);
	int result = store_collect(s, st, (void **)list, count, sizeof(**list), patient_row);
	if (result)
		patients_free(list, *count);
	return result;
}

int store_encounter_add(store *s, struct encounter *e)
{
	static const char sql[] =
	    "INSERT INTO encounters(uid, patient_id, note_type, specialty, provider, status, "
	    "started_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)";
	int result = store_make_uid(e->uid, "enc");
	if (result)
		return store_failf(s, result, "cannot make an id");
	time_now_iso(e->started_at);
	sqlite3_stmt *st = store_stmt(s, sql);
	if (!st)
		return DICTUM_INTERNAL;
	store_bind_text(st, 1, e->uid);
	sqlite3_bind_int64(st, 2, e->patient_id);
	store_bind_text(st, 3, e->note_type);
	store_bind_text(st, 4, e->specialty);
	store_bind_text(st, 5, e->provider);
	store_bind_text(st, 6, encounter_status_name(e->status));
	store_bind_text(st, 7, e->started_at);
	result = store_step_done(s, st);
	if (result == DICTUM_INVAL)
		return store_failf(s, DICTUM_NOTFOUND, "no patient with id %lld",
		                   (long long)e->patient_id);
	if (!result)
		e->id = sqlite3_last_insert_rowid(s->db);
	return result;
}

static int encounter_row(sqlite3_stmt *st, void *elem)
{
	struct encounter *e = elem;
	e->id = sqlite3_column_int64(st, 0);
	store_col_copy(st, 1, e->uid, sizeof(e->uid));
	e->patient_id = sqlite3_column_int64(st, 2);
	e->note_type = store_col_dup(st, 3);
	e->specialty = store_col_dup(st, 4);
	e->provider = store_col_dup(st, 5);
	int status = encounter_status_parse((const char *)sqlite3_column_text(st, 6));
	e->status = status < 0 ? ENCOUNTER_DRAFT : (enum encounter_status)status;
	store_col_copy(st, 7, e->started_at, sizeof(e->started_at));
	e->patient_name = store_col_dup(st, 8);
	return e->patient_name ? DICTUM_OK : DICTUM_NOMEM;
}

#define ENCOUNTER_SELECT                                                                           \
	"SELECT e.id, e.uid, e.patient_id, e.note_type, e.specialty, e.provider, e.status, "       \
	"e.started_at, p.last_name || ', ' || p.first_name FROM encounters e "                     \
	"JOIN patients p ON p.id = e.patient_id "

int store_encounter_get(store *s, int64_t id, struct encounter *out)
{
	static const char sql[] = ENCOUNTER_SELECT "WHERE e.id = ?1";
	sqlite3_stmt *st = store_stmt(s, sql);
	if (!st)
		return DICTUM_INTERNAL;
	sqlite3_bind_int64(st, 1, id);
	int result = store_collect_one(s, st, out, sizeof(*out), encounter_row);
	if (result == DICTUM_NOTFOUND)
		store_failf(s, result, "no encounter with id %lld", (long long)id);
	else if (result)
		encounter_clear(out);
	return result;
}

int store_encounter_list(store *s, size_t limit, struct encounter **list, size_t *count)
{
	static const char sql[] = ENCOUNTER_SELECT "ORDER BY e.started_at DESC, e.id DESC LIMIT ?1";
	sqlite3_stmt *st = store_stmt(s, sql);
	if (!st)
		return DICTUM_INTERNAL;
	sqlite3_bind_int64(st, 1, limit ? (int64_t)limit : -1);
	int result = store_collect(s, st, (void **)list, count, sizeof(**list), encounter_row);
	if (result)
		encounters_free(list, *count);
	return result;
}

int store_encounter_set_status(store *s, int64_t id, enum encounter_status status)
{
	static const char sql[] =
	    "UPDATE encounters SET status = ?2, updated_at = ?3 WHERE id = ?1";
	char now[DICTUM_TIME_LEN];
	time_now_iso(now);
	sqlite3_stmt *st = store_stmt(s, sql);
	if (!st)
		return DICTUM_INTERNAL;
	sqlite3_bind_int64(st, 1, id);
	store_bind_text(st, 2, encounter_status_name(status));
	store_bind_text(st, 3, now);
	int result = store_step_done(s, st);
	if (!result && sqlite3_changes(s->db) == 0)
		result =
		    store_failf(s, DICTUM_NOTFOUND, "no encounter with id %lld", (long long)id);
	return result;
}
