#!/usr/bin/env bash
# `dictum serve` end to end: a real server on 127.0.0.1, every endpoint it
# serves exercised with curl (happy paths, documented errors, auth,
# cross-organisation access, idempotent replay, pagination, sync pull,
# jobs, webhooks with signatures), then the audit log and a clean stop.
dictum=$1
listener=$2
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/srv_lib.sh"

KEY=$(new_key acme)
KEY_ID=$(cat "$tmp/last_key_id")
check "keys create --json prints a dk_ key and a key_ id" bash -c "[[ '$KEY' == dk_* && '$KEY_ID' == key_* ]]"
OTHER=$(new_key globex --plan enterprise)
READER=$(new_key acme --scopes notes:read)
out=$("$dictum" keys list --db "$db")
check "keys list shows three keys, no secrets" bash -c "[ \$(wc -l <<<'$out') = 3 ] && ! grep -q '$KEY' <<<'$out'"
check "the database never holds a key in clear" bash -c "! grep -q '${KEY#dk_}' '$db'"
check "keys create refuses an unknown scope" bash -c "! '$dictum' keys create --db '$db' --org x --scopes admin 2>/dev/null"

start_server DICTUM_SERVE_MAX_BODY=65536 || { not_ok "server starts"; finish; exit 1; }
A=(-H "Authorization: Bearer $KEY")
B=(-H "X-API-KEY: $OTHER")

# ---- health and identity ----
req GET /health
check "GET /health needs no key" test "$status" = 200
check "GET /health says ok" test "$(jget 'd["status"]')" = ok
check "every response carries X-RateLimit-*" bash -c "[ -n '$(hdr X-RateLimit-Limit)' ] && [ -n '$(hdr X-RateLimit-Remaining)' ] && [ -n '$(hdr X-RateLimit-Reset)' ]"
req GET /health/auth
check "GET /health/auth without a key is 401 unauthorized" test "$status:$(jget 'd["error"]["code"]')" = 401:unauthorized
req GET /health/auth -H "Authorization: Bearer dk_wrong"
check "a wrong key is 401 invalid_api_key" test "$status:$(jget 'd["error"]["code"]')" = 401:invalid_api_key
req GET /health/auth "${A[@]}"
check "Authorization: Bearer works" test "$status" = 200
req GET /health/auth "${B[@]}"
check "X-API-KEY works" test "$status" = 200
req GET /workspaces/me "${A[@]}"
check "GET /workspaces/me names the organisation and plan" test "$(jget 'd["name"]+"/"+d["plan"]+"/"+str(d["rate_limits"]["per_minute"])')" = acme/team/100
check "the rate-limit headers count down" test "$(hdr X-RateLimit-Limit)" = 100
req GET /workspaces/me "${B[@]}"
check "an enterprise key gets 1,000/min" test "$(jget 'd["plan"]')/$(hdr X-RateLimit-Limit)" = enterprise/1000
check "errors carry a request id" bash -c "[[ '$(hdr X-Request-Id)' == req_* ]]"

# ---- create, idempotency ----
note_body='{"noteType":"progressNote","specialty":"cardiology","provider":"Dr Who","patient":{"first_name":"Tony","last_name":"Stark","email":"tony@example.com"},"sections":[{"key":"hpi","title":"HPI","text":"Palpitations."}]}'
req POST /api/clinical/notes "${A[@]}" "${json_hdr[@]}" -H 'Idempotency-Key: create-1' -d "$note_body"
check "POST /api/clinical/notes is 201" test "$status" = 201
N1=$(jget 'd["id"]')
P1=$(jget 'd["patient_id"]')
check "the note has a note_ id, a pat_ patient, version 1" bash -c "[[ '$N1' == note_* && '$P1' == pat_* ]] && [ '$(jget 'd["version"]')' = 1 ]"
check "Location and ETag are set" test "$(hdr Location)|$(hdr ETag)" = "/api/clinical/notes/$N1|\"1\""
req POST /api/clinical/notes "${A[@]}" "${json_hdr[@]}" -H 'Idempotency-Key: create-1' -d "$note_body"
check "a retried create replays the first answer" test "$status:$(jget 'd["id"]')" = "201:$N1"
check "the replay says so" test "$(hdr Idempotent-Replayed)" = true
req POST /api/clinical/notes "${A[@]}" "${json_hdr[@]}" -H 'Idempotency-Key: create-1' -d "${note_body/Palpitations/Chest pain}"
check "the same key with another body is 422 idempotency_key_reused" test "$status:$(jget 'd["error"]["code"]')" = 422:idempotency_key_reused
req POST /api/clinical/notes "${B[@]}" "${json_hdr[@]}" -H 'Idempotency-Key: create-1' -d "$note_body"
N_OTHER=$(jget 'd["id"]')
check "idempotency keys belong to one API key" test "$status" = 201
check "... and make another note" test "$N_OTHER" != "$N1"
req POST /api/clinical/notes "${A[@]}" "${json_hdr[@]}" -d '{"noteType":"clinicNote","sections":[],"patient":{"first_name":"stark","last_name":"tony"}}'
check "a patient with swapped names is found again" test "$(jget 'd["patient_id"]')" = "$P1"

# ---- bad input ----
req POST /api/clinical/notes "${A[@]}" "${json_hdr[@]}" -d '{"noteType": "progressNote", "sections": ['
check "malformed JSON is 400 invalid_json" test "$status:$(jget 'd["error"]["code"]')" = 400:invalid_json
req POST /api/clinical/notes "${A[@]}" "${json_hdr[@]}" -d '[1,2]'
check "a JSON array body is 400 invalid_json" test "$status:$(jget 'd["error"]["code"]')" = 400:invalid_json
req POST /api/clinical/notes "${A[@]}" "${json_hdr[@]}" -d '{} {}'
check "text after the JSON value is 400" test "$status" = 400
req POST /api/clinical/notes "${A[@]}" -H 'Content-Type: text/plain' -d "$note_body"
check "a wrong content type is 415" test "$status:$(jget 'd["error"]["code"]')" = 415:unsupported_media_type
head -c 70000 /dev/zero | tr '\0' 'a' >"$tmp/big"
req POST /api/clinical/notes "${A[@]}" "${json_hdr[@]}" --data-binary @"$tmp/big"
check "a body over the limit is 413" test "$status" = 413
req POST /api/clinical/notes "${A[@]}" "${json_hdr[@]}" -d '{"noteType":"soapNote","sections":[]}'
check "an unknown noteType is 400 invalid_note_type naming the valid ones" bash -c "[ '$status:$(jget 'd["error"]["code"]')' = 400:invalid_note_type ] && grep -q criticalCareProgressNote '$tmp/body'"
req POST /api/clinical/notes "${A[@]}" "${json_hdr[@]}" -d '{"noteType":"progressNote"}'
check "missing sections is 400 missing_field" test "$status:$(jget 'd["error"]["code"]')" = 400:missing_field
req POST /api/clinical/notes "${A[@]}" "${json_hdr[@]}" -d '{"noteType":"progressNote","sections":[{"title":"x"}]}'
check "a section without key/text is 400 invalid_field" test "$status:$(jget 'd["error"]["code"]')" = 400:invalid_field
req POST /api/clinical/notes "${A[@]}" "${json_hdr[@]}" -d '{"noteType":"progressNote","sections":[],"patient_id":"pat_000000000000000000000000"}'
check "an unknown patient_id is 404" test "$status" = 404
req POST /api/clinical/notes "${A[@]}" "${json_hdr[@]}" -H 'Idempotency-Key;' -d "$note_body"
check "an empty Idempotency-Key is 400" test "$status:$(jget 'd["error"]["code"]')" = 400:invalid_idempotency_key
req GET /api/clinical/notes/nonsense "${A[@]}"
check "an invalid note id is 400 invalid_id" test "$status:$(jget 'd["error"]["code"]')" = 400:invalid_id
req GET /api/clinical/notes/note_000000000000000000000000 "${A[@]}"
check "an unknown note id is 404 not_found" test "$status:$(jget 'd["error"]["code"]')" = 404:not_found
req GET /api/clinical/nothing "${A[@]}"
check "an unknown path is 404" test "$status" = 404
req DELETE /api/clinical/notes/$N1 "${A[@]}"
check "a wrong method is 405 with Allow" test "$status:$(hdr Allow)" = "405:GET, PATCH"
req POST /api/clinical/notes -H "X-API-KEY: $READER" "${json_hdr[@]}" -d "$note_body"
check "a read-only key cannot write: 403 insufficient_scope" test "$status:$(jget 'd["error"]["code"]')" = 403:insufficient_scope

# ---- read, cross-organisation ----
req GET /api/clinical/notes/$N1 "${A[@]}"
check "GET /api/clinical/notes/:id returns the sections" test "$status:$(jget 'd["sections"][0]["text"]')" = 200:Palpitations.
check "GET carries the version as ETag" test "$(hdr ETag)" = '"1"'
req GET /api/clinical/notes/$N1 -H "X-API-KEY: $READER"
check "a notes:read key reads" test "$status" = 200
req GET /api/clinical/notes/$N1 "${B[@]}"
check "another organisation's note is 404, not 403" test "$status" = 404
req PATCH /api/clinical/notes/$N1 "${B[@]}" "${json_hdr[@]}" -H 'If-Match: "1"' -d '{"specialty":"x"}'
check "another organisation cannot change it (404)" test "$status" = 404
req GET "/api/clinical/notes?limit=100" "${B[@]}"
check "another organisation's list holds only its own note" test "$(jget 'len(d["data"])'):$(jget 'd["data"][0]["id"]')" = "1:$N_OTHER"
req PATCH /api/clinical/notes/$N_OTHER "${B[@]}" "${json_hdr[@]}" -H "If-Match: $(jget 'd["data"][0]["version"]')" -d '{"provider":"Dr Changed"}'
req GET "/api/clinical/notes?limit=100" "${B[@]}"
check "the same list page after a change shows it (no stale page)" test "$(jget 'd["data"][0]["provider"]'):$(jget 'd["data"][0]["version"]')" = "Dr Changed:2"

# ---- PATCH with If-Match ----
req PATCH /api/clinical/notes/$N1 "${A[@]}" "${json_hdr[@]}" -d '{"specialty":"x"}'
check "PATCH without If-Match is 428" test "$status:$(jget 'd["error"]["code"]')" = 428:precondition_required
req PATCH /api/clinical/notes/$N1 "${A[@]}" "${json_hdr[@]}" -H 'If-Match: "1"' -d '{"sections":[{"key":"hpi","title":"HPI","text":"Palpitations, worse at night."}]}'
check "PATCH with the current version is 200, version 2" test "$status:$(jget 'd["version"]')" = 200:2
req PATCH /api/clinical/notes/$N1 "${A[@]}" "${json_hdr[@]}" -H 'If-Match: "1"' -d '{"sections":[]}'
check "a stale PATCH is 409 version_conflict" test "$status:$(jget 'd["error"]["code"]')" = 409:version_conflict
check "the 409 carries the server's version and note" test "$(jget 'd["current_version"]'):$(jget 'd["note"]["sections"][0]["text"]')" = "2:Palpitations, worse at night."
req PATCH /api/clinical/notes/$N1 "${A[@]}" "${json_hdr[@]}" -H 'If-Match: nope' -d '{"sections":[]}'
check "a malformed If-Match is 400" test "$status" = 400
req PATCH /api/clinical/notes/$N1 "${A[@]}" "${json_hdr[@]}" -H 'If-Match: "2"' -d '{}'
check "an empty PATCH is 400" test "$status" = 400
req PATCH /api/clinical/notes/$N1 "${A[@]}" "${json_hdr[@]}" -H 'If-Match: W/"2"' -d '{"status":"signed","signed_by":"Dr Who"}'
check "signing is a PATCH to status signed" test "$status:$(jget 'd["status"]'):$(jget 'd["signed_by"]')" = "200:signed:Dr Who"
req PATCH /api/clinical/notes/$N1 "${A[@]}" "${json_hdr[@]}" -H 'If-Match: "3"' -d '{"sections":[]}'
check "a signed note is never overwritten (409 note_signed)" test "$status:$(jget 'd["error"]["code"]')" = 409:note_signed
req GET /api/clinical/notes/$N1 "${A[@]}"
check "the signed note kept its text" test "$(jget 'd["sections"][0]["text"]')" = "Palpitations, worse at night."

req POST /api/clinical/notes "${A[@]}" "${json_hdr[@]}" -d '{"noteType":"clinicNote","provider":"Dr \"Q\" \\ \u00e9\t\u0001/","sections":[{"key":"a","title":"T\n","text":"line1\nline2 \"q\""}]}'
ESC=$(jget 'd["id"]')
req GET "/api/clinical/notes/$ESC" "${A[@]}"
check "quotes, backslashes, control characters and UTF-8 round-trip" test "$(jget 'd["provider"] == "Dr \"Q\" \\ \u00e9\t\u0001/" and d["sections"][0]["text"] == "line1\nline2 \"q\""')" = true
req GET "/api/clinical/notes?limit=1" "${A[@]}"
check "... in lists too" test "$(jget 'd["data"][0]["provider"] == "Dr \"Q\" \\ \u00e9\t\u0001/"')" = true
req PATCH /api/clinical/notes/$ESC "${A[@]}" "${json_hdr[@]}" -H 'If-Match: 1' -d '{"status":"signed"}'

# ---- lists: filters and cursor pagination ----
for i in 1 2 3 4 5; do
  req POST /api/clinical/notes "${A[@]}" "${json_hdr[@]}" -d "{\"noteType\":\"handoff\",\"provider\":\"Dr P$((i % 2))\",\"sections\":[{\"key\":\"s\",\"text\":\"n$i\"}]}"
done
seen=""
cursor=""
pages=0
while :; do
  req GET "/api/clinical/notes?noteType=handoff&limit=2&include=sections${cursor:+&cursor=$cursor}" "${A[@]}"
  [ "$status" = 200 ] || break
  pages=$((pages + 1))
  seen="$seen $(jget '" ".join(n["sections"][0]["text"] for n in d["data"])')"
  [ "$(jget 'd["pagination"]["has_more"]')" = true ] || break
  cursor=$(jget 'd["pagination"]["next_cursor"]')
  [ $pages -lt 10 ] || break
done
check "cursor pagination walks 5 notes in 3 pages, newest first, no repeats" test "$pages:$(echo $seen)" = "3:n5 n4 n3 n2 n1"
req GET "/api/clinical/notes?include=everything" "${B[@]}"
check "an unknown include is 400" test "$status:$(jget 'd["error"]["code"]')" = 400:invalid_parameter
req GET "/api/clinical/notes?provider=dr%20p1&limit=100" "${A[@]}"
check "a list entry is the note without its sections (section_count instead)" test "$(jget '"sections" in d["data"][0]'):$(jget 'd["data"][0]["section_count"]'):$(jget 'd["data"][0]["noteType"]')" = "false:1:handoff"
check "filter by provider" test "$(jget 'len(d["data"])')" = 3
list_rid=$(hdr X-Request-Id)
list_ids=$(jget '",".join(n["id"] for n in d["data"])')
req GET "/api/clinical/notes?patient_id=$P1&limit=100" "${A[@]}"
check "filter by patient" test "$(jget 'len(d["data"])')" = 2 || cat "$tmp/body"
req GET "/api/clinical/notes?status=signed" "${A[@]}"
check "filter by status" test "$(jget 'len(d["data"])'):$(jget 'd["data"][1]["id"]')" = "2:$N1"
today=$(date -u +%Y-%m-%d)
req GET "/api/clinical/notes?from=$today&to=$today&limit=100" "${A[@]}"
check "filter by date range (today)" test "$(jget 'len(d["data"])')" = 8
req GET "/api/clinical/notes?to=2000-01-01" "${A[@]}"
check "a date range before any note is empty" test "$(jget 'len(d["data"])')" = 0
req GET "/api/clinical/notes?cursor=garbage" "${A[@]}"
check "a bad cursor is 400 invalid_cursor" test "$status:$(jget 'd["error"]["code"]')" = 400:invalid_cursor
req GET "/api/clinical/notes?limit=0" "${A[@]}"
check "limit 0 is 400" test "$status" = 400
req GET "/api/clinical/notes?from=yesterday" "${A[@]}"
check "a bad date is 400" test "$status" = 400
req GET "/api/clinical/notes?noteType=bogus" "${A[@]}"
check "a bad noteType filter is 400" test "$status" = 400

# ---- pull changes since a cursor (sync) ----
req GET "/api/clinical/notes?updated_since=0&limit=100" "${A[@]}"
check "updated_since=0 pulls every note of the organisation" test "$(jget 'len(d["data"])')" = 8
sync_cursor=$(jget 'd["pagination"]["next_cursor"]')
req GET "/api/clinical/notes?updated_since=$sync_cursor" "${A[@]}"
check "nothing changed since the cursor" test "$(jget 'len(d["data"])'):$(jget 'd["pagination"]["next_cursor"]')" = "0:$sync_cursor"
req GET "/api/clinical/notes?updated_since=0&limit=1" "${A[@]}"
H1=$(jget 'd["data"][0]["id"]')
check "pulls page too (has_more)" test "$(jget 'd["pagination"]["has_more"]')" = true
req GET "/api/clinical/notes/$H1" "${A[@]}"
v=$(jget 'd["version"]')
N2=$(jget 'd["id"]')
req GET "/api/clinical/notes?noteType=handoff&limit=1" "${A[@]}"
N5=$(jget 'd["data"][0]["id"]')
req PATCH /api/clinical/notes/$N5 "${A[@]}" "${json_hdr[@]}" -H 'If-Match: 1' -d '{"provider":"Dr Q"}'
req GET "/api/clinical/notes?updated_since=$sync_cursor" "${A[@]}"
check "after an edit the pull returns just that note" test "$(jget 'len(d["data"])'):$(jget 'd["data"][0]["id"]'):$(jget 'd["data"][0]["version"]')" = "1:$N5:2"
req GET "/api/clinical/notes?updated_since=$sync_cursor&cursor=x" "${A[@]}"
check "cursor and updated_since together are 400" test "$status" = 400

# ---- addenda ----
req POST /api/clinical/notes "${A[@]}" "${json_hdr[@]}" -d '{"noteType":"clinicNote","status":"signed","signed_by":"Dr Who","sections":[{"key":"ap","title":"Plan","text":"Rest."}]}'
NS=$(jget 'd["id"]')
req POST /api/clinical/notes/$NS/addenda "${A[@]}" "${json_hdr[@]}" -H 'Idempotency-Key: add-1' -d '{"text":"Seen again: better.","author":"Dr Who"}'
check "POST .../addenda on a signed note is 201, version 2, the addendum last" test "$status:$(jget 'd["version"]'):$(jget 'd["sections"][-1]["key"]'):$(jget 'd["sections"][-1]["text"]')" = "201:2:addendum_2:Seen again: better."
check "... the signed section unchanged and the note still signed" test "$(jget 'd["sections"][0]["text"]'):$(jget 'd["status"]')" = "Rest.:signed"
req POST /api/clinical/notes/$NS/addenda "${A[@]}" "${json_hdr[@]}" -H 'Idempotency-Key: add-1' -d '{"text":"Seen again: better.","author":"Dr Who"}'
req GET /api/clinical/notes/$NS "${A[@]}"
check "a retried addendum is added once" test "$(jget 'd["version"]'):$(jget 'len(d["sections"])')" = 2:2
req POST /api/clinical/notes/$NS/addenda "${B[@]}" "${json_hdr[@]}" -d '{"text":"Not mine."}'
check "another organisation's note is 404 for an addendum" test "$status" = 404
req POST /api/clinical/notes "${A[@]}" "${json_hdr[@]}" -d '{"noteType":"clinicNote","sections":[{"key":"ap","text":"Draft."}]}'
req POST /api/clinical/notes/$(jget 'd["id"]')/addenda "${A[@]}" "${json_hdr[@]}" -d '{"text":"Too early."}'
check "an addendum to a draft is 409 note_not_signed" test "$status:$(jget 'd["error"]["code"]')" = 409:note_not_signed
req POST /api/clinical/notes/$NS/addenda "${A[@]}" "${json_hdr[@]}" -d '{"text":"   "}'
check "a blank addendum is 400 missing_field" test "$status:$(jget 'd["error"]["code"]')" = 400:missing_field

# ---- webhooks ----
"$listener" "$tmp/hook.port" "$tmp/hooks.jsonl" &
hook_pid=$!
for _ in $(seq 1 100); do [ -s "$tmp/hook.port" ] && break; sleep 0.05; done
hook_url="http://127.0.0.1:$(cat "$tmp/hook.port")/hook"
req POST /webhooks "${A[@]}" "${json_hdr[@]}" -d "{\"url\":\"$hook_url\",\"events\":[\"note.created\",\"note.updated\",\"note.exported\"]}"
check "POST /webhooks is 201 with a signing secret" bash -c "[ '$status' = 201 ] && [[ '$(jget 'd["signing_secret"]')' == whsec_* ]]"
secret=$(jget 'd["signing_secret"]')
W1=$(jget 'd["id"]')
req POST /webhooks "${A[@]}" "${json_hdr[@]}" -d '{"url":"ftp://x","events":["note.created"]}'
check "a non-http webhook url is 400" test "$status" = 400
req POST /webhooks "${A[@]}" "${json_hdr[@]}" -d "{\"url\":\"$hook_url\",\"events\":[\"note.deleted\"]}"
check "an unknown event is 400" test "$status" = 400
req GET /webhooks "${A[@]}"
check "GET /webhooks lists it without the secret" bash -c "[ '$(jget 'd["data"][0]["id"]')' = '$W1' ] && ! grep -q whsec_ '$tmp/body'"
req GET /webhooks "${B[@]}"
check "another organisation sees no webhooks" test "$(jget 'len(d["data"])')" = 0
req POST /api/clinical/notes "${A[@]}" "${json_hdr[@]}" -d '{"noteType":"edTriageNote","sections":[{"key":"cc","text":"Fall."}]}'
N6=$(jget 'd["id"]')
req POST /api/clinical/notes/$N6/export "${A[@]}" "${json_hdr[@]}" -d "{\"format\":\"markdown\",\"webhook_url\":\"$hook_url/job\"}"
check "POST .../export is 202 with a queued job" test "$status:$(jget 'd["status"]')" = 202:queued
J1=$(jget 'd["id"]')
check "the job id is typed" bash -c "[[ '$J1' == job_* ]]"
for _ in $(seq 1 100); do
  req GET /jobs/$J1 "${A[@]}"
  [ "$(jget 'd["status"]')" = completed ] && break
  sleep 0.05
done
check "the export job completes with progress 100" test "$(jget 'd["status"]'):$(jget 'd["progress"]["percent"]')" = completed:100
check "the export holds the markdown note" bash -c "grep -q '## cc' '$tmp/body'"
for _ in $(seq 1 100); do
  [ "$(grep -c . "$tmp/hooks.jsonl" 2>/dev/null)" -ge 4 ] && break
  sleep 0.05
done
events=$(python3 -c 'import json,sys; print(" ".join(sorted(json.loads(l)["event"] for l in open(sys.argv[1]))))' "$tmp/hooks.jsonl")
check "webhooks delivered: note.created, note.exported, queued, completed" test "$events" = "completed note.created note.exported queued"
check "each webhook is signed with the organisation's secret" python3 - "$tmp/hooks.jsonl" "$secret" <<'PY'
import hmac, hashlib, json, sys
ok = True
for line in open(sys.argv[1]):
    h = json.loads(line)
    parts = dict(p.split("=", 1) for p in h["signature"].split(","))
    mac = hmac.new(sys.argv[2].encode(), (parts["t"] + "." + h["body"]).encode(), hashlib.sha256).hexdigest()
    good = hmac.compare_digest(mac, parts["v1"])
    if not good:
        print("bad signature:", h["event"], h["signature"], repr(h["body"][:300]), file=sys.stderr)
    ok &= good
sys.exit(0 if ok else 1)
PY
check "job webhooks carry seed 001's fields" python3 - "$tmp/hooks.jsonl" "$J1" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    h = json.loads(line)
    if h["event"] == "completed":
        b = json.loads(h["body"])
        assert b["job_id"] == sys.argv[2] and b["status"] == "completed" and "created_at" in b and "updated_at" in b
        assert b["format"] == "markdown" and b["note_id"]
        sys.exit(0)
sys.exit(1)
PY
check "note events hold ids, never note text" python3 -c 'import json,sys; sys.exit(any(json.loads(l)["event"].startswith("note.") and "Fall." in l for l in open(sys.argv[1])))' "$tmp/hooks.jsonl"
req DELETE /webhooks/$W1 "${B[@]}"
check "another organisation cannot delete it (404)" test "$status" = 404
req DELETE /webhooks/$W1 "${A[@]}"
check "DELETE /webhooks/{id} is 200" test "$status" = 200

# ---- jobs ----
req GET /jobs "${A[@]}"
check "GET /jobs lists the organisation's jobs" test "$(jget 'd["data"][0]["id"]')" = "$J1"
req GET "/jobs?status=completed&limit=1" "${A[@]}"
check "GET /jobs filters by status" test "$(jget 'len(d["data"])')" = 1
req GET "/jobs?status=nope" "${A[@]}"
check "GET /jobs with a bad status is 400" test "$status" = 400
req GET /jobs/$J1 "${B[@]}"
check "another organisation's job is 404" test "$status" = 404
req GET /jobs/job_12 "${A[@]}"
check "an invalid job id is 400 Invalid job_id format" bash -c "[ '$status' = 400 ] && grep -q 'Invalid job_id format' '$tmp/body'"
req GET /jobs/job_000000000000000000000000 "${A[@]}"
check "an unknown job is 404" test "$status" = 404
req POST /jobs/$J1/cancel "${A[@]}"
check "a completed job cannot be cancelled (409)" test "$status:$(jget 'd["error"]["code"]')" = 409:job_not_cancellable
req POST /api/clinical/notes/note_000000000000000000000000/export "${A[@]}" "${json_hdr[@]}" -d '{}'
check "exporting an unknown note is 404" test "$status" = 404
req POST /api/clinical/notes/$N6/export "${A[@]}" "${json_hdr[@]}" -d '{"format":"pdf"}'
check "an unknown export format is 400" test "$status" = 400

# ---- engines: note drafting and the template catalogue ----
req POST /api/clinical/notes/generate "${A[@]}" "${json_hdr[@]}" -H 'Idempotency-Key: gen-1' -d '{"noteType":"progressNote","text":"Chief complaint cough for three days. Plan: chest x-ray.","patient_id":"'"$P1"'"}'
check "POST /api/clinical/notes/generate drafts and stores a note (201)" test "$status:$(jget 'd["noteType"]'):$(jget 'd["patient_id"]')" = "201:progressNote:$P1"
check "the draft has sections and a faithfulness issue list" test "$(jget 'len(d["sections"]) > 0 and isinstance(d["issues"], list)')" = true
G1=$(jget 'd["id"]')
req POST /api/clinical/notes/generate "${A[@]}" "${json_hdr[@]}" -H 'Idempotency-Key: gen-1' -d '{"noteType":"progressNote","text":"Chief complaint cough for three days. Plan: chest x-ray.","patient_id":"'"$P1"'"}'
check "a retried generate replays the same note" test "$(jget 'd["id"]')" = "$G1"
req GET /api/clinical/notes/$G1 "${A[@]}"
check "the generated note reads back" test "$status" = 200
req POST /api/clinical/notes/generate "${A[@]}" "${json_hdr[@]}" -d '{"noteType":"progressNote","text":"   "}'
check "generate with blank text is 400" test "$status:$(jget 'd["error"]["code"]')" = 400:missing_field
req POST /api/clinical/notes/generate "${A[@]}" "${json_hdr[@]}" -d '{"noteType":"soap","text":"cough"}'
check "generate with an unknown noteType is 400 invalid_note_type" test "$status:$(jget 'd["error"]["code"]')" = 400:invalid_note_type
req POST /api/clinical/notes/generate "${A[@]}" "${json_hdr[@]}" -d '{"noteType":"progressNote","text":"cough","mode":"telepathy"}'
check "generate with an unknown mode is 400" test "$status" = 400
req GET "/api/v1/pcr/templates/community" "${A[@]}"
check "GET /api/v1/pcr/templates/community lists _id, name, short_description" test "$status:$(jget 'sorted(d["data"][0].keys())')" = '200:["_id", "name", "short_description"]'
check "... with a count" test "$(jget 'd["count"] >= len(d["data"]) > 0')" = true
req GET "/api/v1/pcr/templates/community?search=soap&limit=5" "${A[@]}"
check "templates search matches the name or description" test "$(jget 'd["data"][0]["name"]')" = "SOAP NOTE"
req GET "/api/v1/pcr/templates/community?name=general&skip=0" "${A[@]}"
check "templates filter by name" test "$(jget 'd["data"][0]["name"]')" = "GENERAL TEMPLATE"
req GET "/api/v1/pcr/templates/community?skip=1000" "${A[@]}"
check "skip past the end is an empty page" test "$(jget 'len(d["data"])')" = 0
req GET "/api/v1/pcr/templates/community?limit=101" "${A[@]}"
check "limit over 100 is 400 with seed 001's detail body" test "$status:$(jget '"detail" in d and "error" not in d')" = 400:true
req GET "/api/v1/pcr/templates/community"
check "seed 001 paths answer 401 with a detail too" test "$status:$(jget '"detail" in d')" = 401:true

# ---- engines: ICD-10 jobs (seed 001) and billing ----
req POST /api/v1/pcr/icd10/text "${A[@]}" "${json_hdr[@]}" -d "{\"text\":\"67-year-old male with long-standing hypertension and type 2 diabetes mellitus.\",\"webhook_url\":\"$hook_url/icd\"}"
check "POST /api/v1/pcr/icd10/text is 202 with seed 001's fields" test "$status:$(jget 'd["status"]'):$(jget 'd["message"]')" = "202:queued:ICD-10 request accepted; processing has started"
IJ=$(jget 'd["job_id"]')
for _ in $(seq 1 100); do
  req GET /api/v1/pcr/icd10/$IJ "${A[@]}"
  [ "$(jget 'd["status"]')" = completed ] && break
  sleep 0.05
done
check "GET /api/v1/pcr/icd10/{job_id} returns the codes with evidence" test "$(jget '" ".join(c["icd10_code"] + "=" + c["evidence"] for c in d["icd10_codes"])')" = "I10=hypertension E11.9=type 2 diabetes"
req GET /api/v1/pcr/icd10/12345 "${A[@]}"
check "a malformed job_id is 400 Invalid job_id format" test "$status:$(jget 'd["detail"]')" = "400:Invalid job_id format"
req GET /api/v1/pcr/icd10/job_000000000000000000000000 "${A[@]}"
check "an unknown ICD-10 job is 404 with seed 001's message" test "$status:$(jget 'd["detail"]')" = "404:No ICD-10 job found for the given ID"
req GET /api/v1/pcr/icd10/$J1 "${A[@]}"
check "an export job is not an ICD-10 job (404)" test "$status" = 404
req GET /api/v1/pcr/icd10/$IJ "${B[@]}"
check "another organisation's ICD-10 job is 404" test "$status" = 404
req POST /api/v1/pcr/icd10/text "${A[@]}" "${json_hdr[@]}" -d '{"text":"  "}'
check "blank text is 400 Invalid or blank text input" test "$status:$(jget 'd["detail"]')" = "400:Invalid or blank text input"
req POST /api/v1/pcr/icd10/text -H "X-API-KEY: $READER" "${json_hdr[@]}" -d '{"text":"x"}'
check "a key without the codes scope gets 403" test "$status" = 403
for _ in $(seq 1 100); do
  grep -q '/hook/icd' "$tmp/hooks.jsonl" && [ "$(grep -c '/hook/icd' "$tmp/hooks.jsonl")" -ge 2 ] && break
  sleep 0.05
done
check "the ICD-10 job's completed webhook carries icd10_codes" python3 - "$tmp/hooks.jsonl" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    h = json.loads(line)
    if h["path"] == "/hook/icd" and h["event"] == "completed":
        b = json.loads(h["body"])
        sys.exit(0 if b["icd10_codes"][0]["icd10_code"] == "I10" else 1)
sys.exit(1)
PY
req POST /api/clinical/notes "${A[@]}" "${json_hdr[@]}" -d '{"noteType":"progressNote","sections":[{"key":"ap","title":"Assessment and Plan","text":"Hypertension, uncontrolled. Type 2 diabetes with CKD stage 3. Increase lisinopril."}]}'
NB=$(jget 'd["id"]')
req GET /api/clinical/notes/$NB/billing "${A[@]}"
check "GET /api/clinical/notes/:id/billing has ICD-10, E/M, HCC and CPT" test "$status:$(jget '",".join(sorted(k for k in d if k in ("icd10_codes","em","hcc","cpt")))'):$(jget 'd["note_id"]')" = "200:cpt,em,hcc,icd10_codes:$NB"
check "billing finds the combination code" test "$(jget '"E11.22" in [c["icd10_code"] for c in d["icd10_codes"]]')" = true
req GET /api/clinical/notes/$NB/billing "${B[@]}"
check "another organisation's billing is 404" test "$status" = 404
req GET /api/clinical/notes/$NB/billing -H "X-API-KEY: $READER"
check "billing needs the codes scope too (403 naming it)" bash -c "[ '$status' = 403 ] && grep -q codes '$tmp/body'"

req POST /api/v1/pcr/upload/text/ "${A[@]}" "${json_hdr[@]}" -d "{\"user_input\":\"Chief complaint: cough for three days. Plan: chest x-ray.\",\"extra_information\":\"ctx\",\"webhook_url\":\"$hook_url/text\",\"unique_identifier\":\"note-5678\",\"foo\":\"bar\"}"
check "POST /api/v1/pcr/upload/text/ summarises at once with seed 001's fields" test "$status:$(jget 'sorted(d.keys())')" = '200:["extra_information", "metadata", "response", "webhook_url"]'
check "... extra properties come back as metadata" test "$(jget 'd["metadata"]')" = '{"unique_identifier": "note-5678", "foo": "bar"}'
check "... and the summary holds the text's content" bash -c "grep -q 'x-ray' '$tmp/body'"
for _ in $(seq 1 100); do grep -q '/hook/text' "$tmp/hooks.jsonl" && break; sleep 0.05; done
check "... and is forwarded to the webhook" grep -q 'note-5678' "$tmp/hooks.jsonl"
req POST /api/v1/pcr/upload/text/ "${A[@]}" "${json_hdr[@]}" -d '{"user_input":""}'
check "blank user_input is 400 with a detail" test "$status:$(jget '"detail" in d')" = 400:true
req POST /api/v1/pcr/upload/text "${A[@]}" "${json_hdr[@]}" -d '{"user_input":"x"}'
check "the documented path has its trailing slash (without: 404)" test "$status" = 404

# ---- revocation, audit, stop ----
"$dictum" keys revoke --db "$db" "$(cat "$tmp/last_key_id")" >/dev/null
req GET /health/auth -H "X-API-KEY: $READER"
check "a revoked key is refused on the next request" test "$status" = 401
check "keys revoke of an unknown id fails" bash -c "! '$dictum' keys revoke --db '$db' key_000000000000000000000000 2>/dev/null"
check "SIGTERM stops the server cleanly" stop_server
audit=$(sqlite3 "$db" "SELECT group_concat(action, ' ') FROM (SELECT action FROM audit WHERE entity = '$N1' ORDER BY id)")
check "the audit log has who created, read and changed the note" bash -c "grep -q '^note.create note.read' <<<'$audit' && grep -q 'note.update' <<<'$audit'"
check "audit rows name the key" test "$(sqlite3 "$db" "SELECT count(*) FROM audit WHERE entity = '$N1' AND key_uid = '$KEY_ID'")" -gt 3
check "a list page is one audit row (entity notes)" test "$(sqlite3 "$db" "SELECT count(*) || ':' || max(entity) FROM audit WHERE request_id = '$list_rid'")" = 1:notes
check "... holding the ids it showed, in order" test "$(sqlite3 "$db" "SELECT group_concat(j.value, ',') FROM audit a, json_each(a.entities) j WHERE a.request_id = '$list_rid'")" = "$list_ids"
check "audit_entities has a row per note read through a list" test "$(sqlite3 "$db" "SELECT count(*) FROM audit_entities WHERE request_id = '$list_rid' AND action = 'note.read' AND key_uid = '$KEY_ID'")" = 3
check "... and the note's own reads and changes" test "$(sqlite3 "$db" "SELECT count(*) FROM audit_entities WHERE entity = '$N1'")" -gt "$(sqlite3 "$db" "SELECT count(*) FROM audit WHERE entity = '$N1'")"
check "the export is audited" test "$(sqlite3 "$db" "SELECT count(*) FROM audit WHERE entity = '$N6' AND action = 'note.export'")" = 1
check "the server log holds no note text" bash -c "! grep -q -e Palpitations -e Fall. '$tmp/serve.err'"
finish
