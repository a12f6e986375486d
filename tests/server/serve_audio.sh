#!/usr/bin/env bash
# Audio through a real `dictum serve` on 127.0.0.1: multipart uploads of a
# WAV spoken by flite at test time, transcribed by the local PocketSphinx
# engine. Seed 000's transcribe and transcriptions/{id} (then notes/generate
# from the transcription), seed 001's upload/ and audio/notes jobs with
# their webhooks, the OpenAI-compatible /v1/audio/transcriptions (and the
# http speech engine of `dictum transcribe` pointed at it), every documented
# error, cross-organisation 404s, idempotent replay, and a SIGKILL with an
# audio job in flight.
dictum=$1
listener=$2
. "$(dirname "$0")/../lib.sh"
model=/usr/share/pocketsphinx/model/en-us/en-us
if [ ! -d "$model" ] || ! command -v flite >/dev/null || ! command -v sox >/dev/null; then
  echo "skip: needs pocketsphinx-en-us, flite and sox (scripts/install-deps.sh)"
  exit 77
fi
. "$(dirname "$0")/srv_lib.sh"

flite -voice slt -t "chief complaint cough for three days. the patient denies fever." -o "$tmp/raw.wav"
sox "$tmp/raw.wav" -r 16000 -c 1 -b 16 "$tmp/clip.wav"
sox "$tmp/raw.wav" -r 44100 -c 2 "$tmp/clip.flac"
printf 'Patient reports a cough for three days.\nPlan: rest and fluids.\n' >"$tmp/doc.txt"
head -c 3000000 /dev/urandom >"$tmp/big.wav"

KEY=$(new_key acme)
OTHER=$(new_key globex)
NOAUDIO=$(new_key acme --scopes notes:read,notes:write)
A=(-H "X-API-KEY: $KEY")
B=(-H "Authorization: Bearer $OTHER")

"$listener" "$tmp/hook.port" "$tmp/hooks.jsonl" &
hook_pid=$!
for _ in $(seq 1 100); do [ -s "$tmp/hook.port" ] && break; sleep 0.05; done
hook_url="http://127.0.0.1:$(cat "$tmp/hook.port")/hook"

start_server DICTUM_SERVE_MAX_UPLOAD=2000000 DICTUM_SERVE_RATE_TEAM_MINUTE=100000 || { not_ok "server starts"; finish; exit 1; }

# poll PATH FIELD: waits (up to 60 s) until the last body's FIELD is final.
poll() {
  for _ in $(seq 1 300); do
    req GET "$1" "${A[@]}"
    case "$(jget "d[\"$2\"]")" in completed | failed) return 0 ;; esac
    sleep 0.2
  done
  return 1
}

# ---- seed 000: transcribe ----
req POST /api/clinical/transcribe "${A[@]}" -H 'Idempotency-Key: trn-1' -F "file=@$tmp/clip.wav"
check "POST /api/clinical/transcribe is 202 with a trn_ id and a job" bash -c "[ '$status' = 202 ] && [[ '$(jget 'd["id"]')' == trn_* && '$(jget 'd["job_id"]')' == job_* ]]"
T1=$(jget 'd["id"]')
check "Location names the transcription" test "$(hdr Location)" = "/api/clinical/transcriptions/$T1"
req POST /api/clinical/transcribe "${A[@]}" -H 'Idempotency-Key: trn-1' -F "file=@$tmp/clip.wav"
check "a retried upload replays the first answer" test "$status:$(jget 'd["id"]'):$(hdr Idempotent-Replayed)" = "202:$T1:true"
req POST /api/clinical/transcribe "${A[@]}" -H 'Idempotency-Key: trn-1' -F "file=@$tmp/clip.flac"
check "the same key with another file is 422" test "$status:$(jget 'd["error"]["code"]')" = 422:idempotency_key_reused
poll /api/clinical/transcriptions/$T1 status
check "the transcription completes" test "$(jget 'd["status"]')" = completed
check "its text has the spoken words" bash -c "grep -q patient <<<'$(jget 'd["text"]')'"
check "it has timed segments within the duration" python3 - "$tmp/body" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert d["engine"] == "sphinx" and 2.0 < d["duration"] < 8.0, d
assert d["segments"] and all(0 <= s["start"] <= s["end"] <= d["duration"] + 0.05 for s in d["segments"])
PY
T1_FILE=$(sqlite3 "$db" "SELECT json_extract(input, '$.path') FROM jobs WHERE alias = '$T1'")
check "the job read the audio decoded on arrival (a WAV), not the upload again" bash -c "[[ '$T1_FILE' == '$db.files/file_'*.wav ]]"
check "a finished job's file is removed" test ! -e "$T1_FILE"
req GET /api/clinical/transcriptions/$T1 "${B[@]}"
check "another organisation gets 404 for it" test "$status:$(jget 'd["error"]["code"]')" = 404:not_found
req GET /api/clinical/transcriptions/trn_x "${A[@]}"
check "a malformed transcription id is 400" test "$status" = 400
req GET /api/clinical/transcriptions/trn_000000000000000000000000 "${A[@]}"
check "an unknown transcription is 404" test "$status" = 404
req POST /api/clinical/notes/generate "${A[@]}" "${json_hdr[@]}" -d "{\"noteType\":\"progressNote\",\"transcriptionId\":\"$T1\"}"
check "notes/generate drafts a note from the transcription" bash -c "[ '$status' = 201 ] && grep -qi patient '$tmp/body'"
req POST /api/clinical/notes/generate "${B[@]}" "${json_hdr[@]}" -d "{\"noteType\":\"progressNote\",\"transcriptionId\":\"$T1\"}"
check "... but not from another organisation's transcription" test "$status" = 404
req POST /api/clinical/transcribe "${A[@]}" -F "file=@$tmp/clip.flac"
check "FLAC at 44.1 kHz stereo is accepted" test "$status" = 202

# ---- a note's recordings (resumable upload of a recording) ----
req POST /api/clinical/notes "${A[@]}" "${json_hdr[@]}" -d '{"noteType":"clinicNote","sections":[]}'
RN=$(jget 'd["id"]')
check "a new note has no recordings" test "$(jget 'd["recordings"]')" = "[]"
# Read before the upload: the server keeps notes and list pages it answered
# until something changes; the completed recording must show afterwards.
req GET "/api/clinical/notes/$RN" "${A[@]}"
req GET "/api/clinical/notes?limit=1&include=sections" "${A[@]}"
check "a full-note list shows it without recordings" test "$(jget 'd["data"][0]["id"]'):$(jget 'len(d["data"][0]["recordings"])')" = "$RN:0"
req POST /api/clinical/uploads "${A[@]}" "${json_hdr[@]}" -d "{\"size\":$(stat -c %s "$tmp/clip.wav"),\"sha256\":\"$(sha256sum "$tmp/clip.wav" | cut -d' ' -f1)\",\"kind\":\"recording\",\"note_id\":\"$RN\",\"filename\":\"clip.wav\"}"
RU=$(jget 'd["id"]')
check "a resumable upload has its own id prefix (rup_)" bash -c "[[ '$RU' == rup_* ]]"
req PATCH "/api/clinical/uploads/$RU" "${A[@]}" -H 'Content-Type: application/offset+octet-stream' -H 'Upload-Offset: 0' --data-binary "@$tmp/clip.wav"
check "the recording's upload completes" test "$status:$(jget 'd["status"]')" = 200:complete
req GET "/api/clinical/notes/$RN" "${A[@]}"
check "GET /api/clinical/notes/:id lists the recording: id, content type, duration, created" python3 - "$tmp/body" "$RU" "$tmp/clip.wav" <<'PY'
import json, sys, wave
d = json.load(open(sys.argv[1]))
w = wave.open(sys.argv[3])
ms = w.getnframes() * 1000 // w.getframerate()
r = d["recordings"]
assert len(r) == 1 and r[0]["id"] == sys.argv[2], r
assert r[0]["content_type"] == "audio/wav" and abs(r[0]["duration_ms"] - ms) <= 50, (r, ms)
assert r[0]["created_at"] and r[0]["filename"] == "clip.wav", r
PY
req GET "/api/clinical/notes?limit=1&include=sections" "${A[@]}"
check "... and the full-note list shows the recording" test "$(jget 'd["data"][0]["id"]'):$(jget 'd["data"][0]["recordings"][0]["id"]')" = "$RN:$RU"

# ---- bad input on transcribe ----
req POST /api/clinical/transcribe "${A[@]}" -F "note=hello"
check "no file is 400 missing_file" test "$status:$(jget 'd["error"]["code"]')" = 400:missing_file
req POST /api/clinical/transcribe "${A[@]}" -F "file=@$tmp/doc.txt;type=audio/wav"
check "a text file called audio is 400 unsupported_audio" test "$status:$(jget 'd["error"]["code"]')" = 400:unsupported_audio
req POST /api/clinical/transcribe "${A[@]}" -F "file=@$tmp/doc.txt"
check "a declared text/plain file is 400 unsupported_audio" test "$status:$(jget 'd["error"]["code"]')" = 400:unsupported_audio
req POST /api/clinical/transcribe "${A[@]}" -H 'Content-Type: application/json' -d '{}'
check "a JSON body is 415" test "$status:$(jget 'd["error"]["code"]')" = 415:unsupported_media_type
req POST /api/clinical/transcribe "${A[@]}" -F "file=@$tmp/big.wav"
check "a file over max_upload is 413" test "$status:$(jget 'd["error"]["code"]')" = 413:payload_too_large
req POST /api/clinical/transcribe -F "file=@$tmp/clip.wav"
check "no key is 401" test "$status" = 401
req POST /api/clinical/transcribe -H "X-API-KEY: $NOAUDIO" -F "file=@$tmp/clip.wav"
check "a key without the transcribe scope is 403" test "$status:$(jget 'd["error"]["code"]')" = 403:insufficient_scope
check "refused uploads leave no files behind" bash -c "[ -z \"\$(ls '$db.files' | grep '^part-')\" ]"

# ---- seed 001: upload/ ----
req POST /api/v1/pcr/upload/ "${A[@]}" -F "files=@$tmp/clip.wav" -F "files=@$tmp/doc.txt" \
  -F extra_information="June notes" -F unique_identifier=case-1234 -F foo=bar \
  -F email=tony@example.com -F first_name=Tony -F last_name=Stark -F "webhook_url=$hook_url/upload"
check "POST /api/v1/pcr/upload/ is 200 with seed 001's message" test "$status:$(jget 'd["message"]')" = "200:Files uploaded successfully; processing is underway."
U1=$(jget 'd["upload_id"]')
P1=$(jget 'd["patient_id"]')
check "the upload has an upl_ id and found or made a patient" bash -c "[[ '$U1' == upl_* && '$P1' == pat_* ]]"
check "every extra field is metadata" test "$(jget 'd["metadata"]["foo"]+"/"+d["metadata"]["unique_identifier"]+"/"+d["metadata"]["email"]')" = bar/case-1234/tony@example.com
check "extra_information and webhook_url are echoed" test "$(jget 'd["extra_information"]'):$(jget 'd["webhook_url"]')" = "June notes:$hook_url/upload"
req POST /api/v1/pcr/upload/ "${A[@]}" -F "files=@$tmp/doc.txt" -F first_name=Stark -F last_name=Tony
check "swapped names find the same patient" test "$(jget 'd["patient_id"]')" = "$P1"
poll /api/v1/pcr/$U1 status
check "GET /api/v1/pcr/{upload_id} completes with a summary of both files" bash -c "[ '$(jget 'd["status"]')' = completed ] && grep -q 'fluids' '$tmp/body' && grep -qi 'cough' '$tmp/body'"
check "... and keeps extra_information and metadata" test "$(jget 'd["extra_information"]'):$(jget 'd["metadata"]["foo"]')" = "June notes:bar"
req GET /api/v1/pcr/$U1 "${B[@]}"
check "another organisation's upload is 404 with seed 001's detail" test "$status:$(jget 'd["detail"]')" = "404:No upload found for the given ID"
req GET /api/v1/pcr/123 "${A[@]}"
check "a malformed upload_id is 400 Invalid upload_id format" test "$status:$(jget 'd["detail"]')" = "400:Invalid upload_id format"
req POST /api/v1/pcr/upload/ "${A[@]}" -F foo=bar
check "an upload without files is 400 with a detail" bash -c "[ '$status' = 400 ] && [ -n '$(jget 'd["detail"]')' ]"
req POST /api/v1/pcr/upload/ "${A[@]}" -F "files=@$tmp/doc.txt" -F webhook_url=ftp://x
check "a bad webhook_url is 400" test "$status" = 400

# ---- seed 001: audio notes ----
req GET "/api/v1/pcr/templates/community?name=soap" "${A[@]}"
TPL=$(jget 'd["data"][0]["_id"]')
TPL_TYPE=$(awk -v id="[template $TPL]" '$0 == id {t = 1} t && /^note_type/ {print $3; exit}' "$DICTUM_SOURCE/data/templates/catalogue.ini")
req POST /api/v1/pcr/audio/notes "${A[@]}" -F "file=@$tmp/clip.wav;type=audio/wav" -F template_id=$TPL -F "webhook_url=$hook_url/audio"
check "POST /api/v1/pcr/audio/notes is 202 with seed 001's message" test "$status:$(jget 'd["status"]'):$(jget 'd["message"]')" = "202:queued:Audio note request accepted; processing has started"
AJ=$(jget 'd["job_id"]')
poll /api/v1/pcr/audio/notes/$AJ status
check "the audio-note job completes with a transcript and a note" bash -c "[ '$(jget 'd["status"]')' = completed ] && grep -q patient <<<'$(jget 'd["transcript"]')' && [ -n '$(jget 'd["note"]')' ]"
check "the note is drafted in the template's type" bash -c "[ -n '$TPL_TYPE' ] && [ '$(jget 'd["note_type"]')' = '$TPL_TYPE' ]"
req GET /api/v1/pcr/audio/notes/$AJ "${B[@]}"
check "another organisation's audio job is 404" test "$status:$(jget 'd["detail"]')" = "404:No audio-note job found for the given ID"
req GET /api/v1/pcr/audio/notes/nope "${A[@]}"
check "a malformed job_id is 400 Invalid job_id format" test "$status:$(jget 'd["detail"]')" = "400:Invalid job_id format"
req POST /api/v1/pcr/icd10/text "${A[@]}" "${json_hdr[@]}" -d '{"text":"Hypertension."}'
req GET /api/v1/pcr/audio/notes/$(jget 'd["job_id"]') "${A[@]}"
check "an ICD-10 job is not an audio-note job (404)" test "$status" = 404
req POST /api/v1/pcr/audio/notes "${A[@]}" -F "file=@$tmp/clip.wav" -F template_id=000000000000000000000000
check "an unknown template is 400 Invalid template selection" bash -c "[ '$status' = 400 ] && grep -q 'Invalid template selection' '$tmp/body'"
req POST /api/v1/pcr/audio/notes "${A[@]}" -F "file=@$tmp/clip.wav"
check "a missing template_id is 400" test "$status" = 400
req POST /api/v1/pcr/audio/notes "${A[@]}" -F "file=@$tmp/doc.txt" -F template_id=$TPL
check "a text file is 400 Invalid file type" bash -c "[ '$status' = 400 ] && grep -q 'Invalid file type' '$tmp/body'"
req POST /api/v1/pcr/audio/notes "${A[@]}" -F "file=@$tmp/big.wav" -F template_id=$TPL
check "a file too large is 400 (seed 001) with a detail" bash -c "[ '$status' = 400 ] && grep -q 'File too large' '$tmp/body'"
for _ in $(seq 1 100); do
  [ "$(grep -c . "$tmp/hooks.jsonl" 2>/dev/null)" -ge 3 ] && break
  sleep 0.1
done
check "webhooks: upload completed (with metadata), audio queued then completed (with transcript and note)" python3 - "$tmp/hooks.jsonl" "$U1" "$AJ" <<'PY'
import json, sys
hooks = [json.loads(l) for l in open(sys.argv[1])]
up = [json.loads(h["body"]) for h in hooks if h["path"] == "/hook/upload"]
au = [(h["event"], json.loads(h["body"])) for h in hooks if h["path"] == "/hook/audio"]
assert len(up) == 1 and up[0]["status"] == "completed" and up[0]["upload_id"] == sys.argv[2], up
assert up[0]["metadata"]["foo"] == "bar" and up[0]["response"], up
assert [e for e, _ in au] == ["queued", "completed"], au
assert au[1][1]["job_id"] == sys.argv[3] and au[1][1]["transcript"] and au[1][1]["note"], au
PY

# ---- OpenAI-compatible ----
req POST /v1/audio/transcriptions "${A[@]}" -F "file=@$tmp/clip.wav" -F model=whisper-1
check "/v1/audio/transcriptions json is {text}" bash -c "[ '$status' = 200 ] && grep -q patient <<<'$(jget 'd["text"]')'"
req POST /v1/audio/transcriptions "${A[@]}" -F "file=@$tmp/clip.wav" -F response_format=text
check "response_format=text is text/plain" bash -c "[ '$status' = 200 ] && [[ '$(hdr Content-Type)' == text/plain* ]] && grep -q patient '$tmp/body'"
req POST /v1/audio/transcriptions "${A[@]}" -F "file=@$tmp/clip.wav" -F response_format=verbose_json
check "verbose_json has timed segments with words" python3 - "$tmp/body" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert d["task"] == "transcribe" and d["duration"] > 2 and d["segments"], d
s = d["segments"][0]
assert s["id"] == 0 and s["start"] <= s["end"] and s["words"] and "avg_logprob" in s, s
PY
req POST /v1/audio/transcriptions "${A[@]}" -F "file=@$tmp/clip.wav" -F response_format=srt
check "an unknown response_format is 400" test "$status:$(jget 'd["error"]["code"]')" = 400:invalid_field
req POST /v1/audio/transcriptions "${A[@]}" -F "file=@$tmp/doc.txt"
check "text is not audio: 400" test "$status" = 400

# ---- the http speech engine against this server ----
mkdir -p "$HOME/.config/dictum"
printf '[asr.http]\nurl = %s\nkey = %s\nretries = 0\n' "$base" "$KEY" >"$HOME/.config/dictum/config.ini"
chmod 600 "$HOME/.config/dictum/config.ini"
"$dictum" --json transcribe --engine http "$tmp/clip.wav" >"$tmp/http.json" 2>"$tmp/http.err"
check "dictum transcribe --engine http works against dictum serve" python3 - "$tmp/http.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert d["engine"] == "http" and "fell_back" not in d, d
assert "patient" in d["text"] and d["segments"][0]["words"], d
PY
"$dictum" transcribe "$tmp/clip.wav" >"$tmp/local.txt" 2>/dev/null
check "... with the same words as the local engine" test "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["text"])' "$tmp/http.json")" = "$(tr '\n' ' ' <"$tmp/local.txt" | sed 's/ $//')"
printf '[asr.http]\nurl = %s\nkey = dk_wrong\nretries = 0\n' "$base" >"$HOME/.config/dictum/config.ini"
check "a wrong key fails with a one-line reason" bash -c "! '$dictum' transcribe --engine http '$tmp/clip.wav' 2>'$tmp/err' && grep -q 401 '$tmp/err'"
rm -f "$HOME/.config/dictum/config.ini"

# ---- restart with an audio job in flight ----
stop_server
check "the server stops cleanly" test $? = 0
start_server DICTUM_SERVE_JOB_DELAY_MS=30000 DICTUM_SERVE_RATE_TEAM_MINUTE=100000 || { not_ok "server restarts"; finish; exit 1; }
req POST /api/v1/pcr/audio/notes "${A[@]}" -F "file=@$tmp/clip.wav" -F template_id=$TPL
AJ2=$(jget 'd["job_id"]')
for _ in $(seq 1 100); do
  req GET /jobs/$AJ2 "${A[@]}"
  [ "$(jget 'd["status"]')" = processing ] && break
  sleep 0.05
done
check "the audio job is processing" test "$(jget 'd["status"]')" = processing
AJ2_FILE=$(sqlite3 "$db" "SELECT json_extract(input, '$.path') FROM jobs WHERE uid = '$AJ2'")
kill_server
: >"$db.files/file_0123456789abcdef01234567"
: >"$db.files/part-stray"
start_server DICTUM_SERVE_RATE_TEAM_MINUTE=100000 || { not_ok "server restarts after SIGKILL"; finish; exit 1; }
check "the restart says the job is queued again" grep -q "queued again" "$tmp/serve.err"
check "the restart removes files no job needs ..." bash -c "[ ! -e '$db.files/file_0123456789abcdef01234567' ] && [ ! -e '$db.files/part-stray' ]"
check "... and keeps the queued job's" bash -c "[ -n '$AJ2_FILE' ] && { [ -e '$AJ2_FILE' ] || sqlite3 '$db' \"SELECT status FROM jobs WHERE uid = '$AJ2'\" | grep -qx completed; }"
poll /api/v1/pcr/audio/notes/$AJ2 status
check "after SIGKILL and a restart the audio job completes" bash -c "[ '$(jget 'd["status"]')' = completed ] && grep -q patient <<<'$(jget 'd["transcript"]')'"
req GET /jobs/$AJ2 "${A[@]}"
check "... on its second attempt" test "$(jget 'd["attempts"]')" = 2
stop_server
check "the server stops cleanly again" test $? = 0

# ---- the speech engine takes config.ini's [asr.sphinx] tuning ----
mkdir -p "$HOME/.config/dictum"
printf '[asr.sphinx]\nhmm = %s/no-such-model\n' "$tmp" >"$HOME/.config/dictum/config.ini"
start_server DICTUM_SERVE_RATE_TEAM_MINUTE=100000 || { not_ok "server starts with an [asr.sphinx] setting"; finish; exit 1; }
req POST /v1/audio/transcriptions "${A[@]}" -F "file=@$tmp/clip.wav"
check "config.ini's [asr.sphinx] hmm reaches the server's engine (a missing model: 503)" test "$status" = 503
grep -q 'no-such-model' "$tmp/serve.err"
check "... and the log names the configured model" test $? = 0
stop_server
rm -f "$HOME/.config/dictum/config.ini"
finish
