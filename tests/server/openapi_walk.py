#!/usr/bin/env python3
"""Walks api/openapi.yaml against a running `dictum serve`: every documented
operation is called (a good request, no key, a malformed id, an unknown id,
malformed JSON, a wrong content type where they apply) and each answer must
be a documented status whose body has the documented required fields and
the rate-limit headers. Prints TAP-like lines and 'N passed, N failed'.
usage: openapi_walk.py SPEC BASE_URL KEY"""
import io
import json
import math
import re
import struct
import sys
import uuid
import wave
import urllib.error
import urllib.request

import yaml

spec_path, base, key = sys.argv[1:4]
spec = yaml.safe_load(open(spec_path))
passed = failed = 0


def ok(cond, what):
    global passed, failed
    if cond:
        passed += 1
        print("ok - " + what)
    else:
        failed += 1
        print("not ok - " + what)


def resolve(node):
    while isinstance(node, dict) and "$ref" in node:
        cur = spec
        for part in node["$ref"].lstrip("#/").split("/"):
            cur = cur[part]
        node = cur
    return node


def required_missing(schema, value, where="body"):
    """Names of required fields absent from value, recursively."""
    schema = resolve(schema)
    missing = []
    for sub in schema.get("allOf", []):
        missing += required_missing(sub, value, where)
    if schema.get("type") == "array" and isinstance(value, list):
        if value and "items" in schema:
            missing += required_missing(schema["items"], value[0], where + "[0]")
        return missing
    if isinstance(value, dict):
        for name in schema.get("required", []):
            if name not in value:
                missing.append(where + "." + name)
        for name, sub in schema.get("properties", {}).items():
            if name in value and value[name] is not None:
                missing += required_missing(sub, value[name], where + "." + name)
    elif schema.get("required"):
        missing.append(where + " (not an object)")
    return missing


def call(method, path, body=None, headers=None, raw=None):
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    req = urllib.request.Request(base + path, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def auth(extra=None):
    h = {"X-API-KEY": key}
    h.update(extra or {})
    return h


JSON = {"Content-Type": "application/json"}


def tone_wav():
    """One second of a 440 Hz tone, 16 kHz mono: real audio the server decodes."""
    buf = io.BytesIO()
    w = wave.open(buf, "wb")
    w.setnchannels(1)
    w.setsampwidth(2)
    w.setframerate(16000)
    w.writeframes(b"".join(struct.pack("<h", int(8000 * math.sin(2 * math.pi * 440 * i / 16000))) for i in range(16000)))
    w.close()
    return buf.getvalue()


WAV = tone_wav()


def multipart(fields, files):
    """(content type, body) of a multipart/form-data request."""
    b = uuid.uuid4().hex
    out = b""
    for name, value in fields.items():
        out += ("--%s\r\nContent-Disposition: form-data; name=\"%s\"\r\n\r\n%s\r\n" % (b, name, value)).encode()
    for name, filename, data in files:
        out += ("--%s\r\nContent-Disposition: form-data; name=\"%s\"; filename=\"%s\"\r\n"
                "Content-Type: audio/wav\r\n\r\n" % (b, name, filename)).encode() + data + b"\r\n"
    out += ("--%s--\r\n" % b).encode()
    return "multipart/form-data; boundary=" + b, out


def call_form(method, path, fields, files, headers):
    ctype, body = multipart(fields, files)
    h = dict(headers)
    h["Content-Type"] = ctype
    return call(method, path, None, h, raw=body)


# Fixtures the walk needs: a draft note and a finished job.
st, _, b = call("POST", "/api/clinical/notes", {"noteType": "clinicNote", "sections": [{"key": "cc", "title": "Chief Complaint", "text": "Cough."}]}, auth(JSON))
note_id = json.loads(b)["id"]
st, _, b = call("POST", "/api/clinical/notes", {"noteType": "clinicNote", "status": "signed", "sections": [{"key": "cc", "title": "Chief Complaint", "text": "Cough."}]}, auth(JSON))
signed_note_id = json.loads(b)["id"]
st, _, b = call("POST", "/api/clinical/notes/%s/export" % note_id, {}, auth(JSON))
job_id = json.loads(b)["id"]
st, _, b = call("POST", "/api/v1/pcr/icd10/text", {"text": "Hypertension."}, auth(JSON))
icd_job_id = json.loads(b)["job_id"]
import hashlib
CHUNK_FILE = b"abcdefgh"
st, _, b = call("POST", "/api/clinical/uploads", {"size": len(CHUNK_FILE), "sha256": hashlib.sha256(CHUNK_FILE).hexdigest()}, auth(JSON))
upl_id = json.loads(b)["id"]
st, _, b = call("GET", "/api/v1/pcr/templates/community", None, auth())
template_id = json.loads(b)["data"][0]["_id"]
forms = {
    "/api/clinical/transcribe": ({}, [("file", "tone.wav", WAV)]),
    "/api/v1/pcr/upload/": ({"foo": "bar", "first_name": "Tony", "last_name": "Stark"}, [("files", "tone.wav", WAV)]),
    "/api/v1/pcr/audio/notes": ({"template_id": template_id}, [("file", "tone.wav", WAV)]),
    "/v1/audio/transcriptions": ({"model": "whisper-1", "response_format": "verbose_json"}, [("file", "tone.wav", WAV)]),
}
st, _, b = call_form("POST", "/api/clinical/transcribe", *forms["/api/clinical/transcribe"], auth())
trn_id = json.loads(b)["id"]
st, _, b = call_form("POST", "/api/v1/pcr/upload/", *forms["/api/v1/pcr/upload/"], auth())
upload_id = json.loads(b)["upload_id"]
st, _, b = call_form("POST", "/api/v1/pcr/audio/notes", *forms["/api/v1/pcr/audio/notes"], auth())
audio_job_id = json.loads(b)["job_id"]

bodies = {
    ("post", "/api/clinical/notes"): {"noteType": "progressNote", "sections": [{"key": "hpi", "text": "x"}]},
    ("post", "/api/clinical/notes/generate"): {"noteType": "progressNote", "text": "Cough for two days. Plan: rest."},
    ("patch", "/api/clinical/notes/{id}"): {"specialty": "family medicine"},
    ("post", "/api/clinical/notes/{id}/export"): {"format": "text"},
    ("post", "/api/clinical/notes/{id}/addenda"): {"text": "Seen again: better.", "author": "Dr Who"},
    ("post", "/api/clinical/uploads"): {"size": 10, "sha256": "0" * 64, "kind": "recording"},
    ("post", "/webhooks"): {"url": "http://127.0.0.1:9/x", "events": ["note.updated"]},
    ("post", "/api/v1/pcr/icd10/text"): {"text": "Type 2 diabetes mellitus."},
    ("post", "/api/v1/pcr/upload/text/"): {"user_input": "Cough for two days. Plan: rest.", "foo": "bar"},
}
documented = 0


def ids_for(path):
    if path.startswith("/api/clinical/uploads/{id}"):
        return upl_id, "upl_000000000000000000000000"
    if path.startswith("/api/clinical/notes/{id}/addenda"):
        return signed_note_id, "note_000000000000000000000000"
    if path.startswith("/api/clinical/transcriptions/{id}"):
        return trn_id, "trn_000000000000000000000000"
    if path.startswith("/api/v1/pcr/{upload_id}"):
        return upload_id, "upl_000000000000000000000000"
    if path.startswith("/api/v1/pcr/audio/notes/{job_id}"):
        return audio_job_id, "job_000000000000000000000000"
    if path.startswith("/api/v1/pcr/icd10/{job_id}"):
        return icd_job_id, "job_000000000000000000000000"
    if path.startswith("/api/clinical/notes/{id}"):
        return note_id, "note_000000000000000000000000"
    if path.startswith("/jobs/{id}"):
        return job_id, "job_000000000000000000000000"
    if path.startswith("/webhooks/{id}"):
        st, _, b = call("POST", "/webhooks", bodies[("post", "/webhooks")], auth(JSON))
        return json.loads(b)["id"], "whk_000000000000000000000000"
    return None, None


def check_answer(op, what, status, headers, body, expect=None):
    responses = op["responses"]
    ok(str(status) in responses, "%s: %d is documented" % (what, status))
    if expect is not None:
        ok(status == expect, "%s: answers %d (got %d)" % (what, expect, status))
    ok("X-RateLimit-Limit" in headers and "X-RateLimit-Remaining" in headers and "X-RateLimit-Reset" in headers,
       "%s: carries X-RateLimit-*" % what)
    resp = resolve(responses.get(str(status), {}))
    schema = resp.get("content", {}).get("application/json", {}).get("schema")
    if schema and body:
        try:
            value = json.loads(body)
        except ValueError:
            ok(False, "%s: body is JSON" % what)
            return
        missing = required_missing(schema, value)
        ok(not missing, "%s: has the documented fields %s" % (what, " ".join(missing)))


for path, item in spec["paths"].items():
    for method, op in item.items():
        if method == "parameters":
            continue
        documented += 1
        good_id, unknown_id = ids_for(path)
        url = re.sub(r"\{[a-z_]+\}", good_id, path) if good_id else path
        name = "%s %s" % (method.upper(), path)
        headers = auth()
        body = bodies.get((method, path))
        if body is not None:
            headers.update(JSON)
        if method == "patch":
            st, h, b = call("GET", url, None, auth())
            headers["If-Match"] = h.get("ETag", '"1"')
        if method == "post" and path == "/jobs/{id}/cancel":
            # A finished job cannot be cancelled: 409 is the documented answer.
            st, h, b = call("POST", url, None, headers)
            check_answer(op, name + " (finished job)", st, h, b, 409)
        elif op.get("x-chunk"):
            chunk = dict(auth({"Content-Type": "application/offset+octet-stream"}))
            st, h, b = call("PATCH", url, None, dict(chunk, **{"Upload-Offset": "0"}), raw=CHUNK_FILE[:4])
            check_answer(op, name, st, h, b, 200)
            ok(h.get("Upload-Offset") == "4", name + ": Upload-Offset moves to 4")
            st, h, b = call("PATCH", url, None, dict(chunk, **{"Upload-Offset": "0"}), raw=CHUNK_FILE[4:])
            check_answer(op, name + " at a stale offset", st, h, b, 409)
            ok(json.loads(b).get("offset") == 4, name + ": the 409 names the offset")
            st, h, b = call("PATCH", url, None, chunk, raw=CHUNK_FILE[4:])
            check_answer(op, name + " without Upload-Offset", st, h, b, 400)
            st, h, b = call("PATCH", url, None, {"Content-Type": "application/offset+octet-stream", "Upload-Offset": "4"}, raw=CHUNK_FILE[4:])
            check_answer(op, name + " without a key", st, h, b, 401)
            st, h, b = call("PATCH", url, None, auth({"Content-Type": "application/json", "Upload-Offset": "4"}), raw=b"{}")
            check_answer(op, name + " with a wrong content type", st, h, b, 415)
            for bad, want in (("not-an-id", 400), (unknown_id, 404)):
                st, h, b = call("PATCH", re.sub(r"\{[a-z_]+\}", bad, path), None, dict(chunk, **{"Upload-Offset": "4"}), raw=CHUNK_FILE[4:])
                check_answer(op, name + " with id " + bad, st, h, b, want)
            st, h, b = call("PATCH", url, None, dict(chunk, **{"Upload-Offset": "4"}), raw=CHUNK_FILE[4:])
            check_answer(op, name + " (last chunk)", st, h, b, 200)
            ok(json.loads(b).get("status") == "complete", name + ": the last chunk completes it")
            continue
        elif op.get("x-multipart"):
            st, h, b = call_form(method.upper(), url, *forms[path], headers)
            good = sorted(c for c in op["responses"] if c.startswith("2"))[0]
            check_answer(op, name, st, h, b, int(good))
            st, h, b = call_form(method.upper(), url, *forms[path], {})
            check_answer(op, name + " without a key", st, h, b, 401)
            ctype = "multipart/form-data; boundary=xyz"
            bad = b'--xyz\r\nContent-Disposition: form-data; name="file"; filename="a.wav"\r\n\r\nRIFF'
            st, h, b = call(method.upper(), url, None, auth({"Content-Type": ctype}), raw=bad)
            check_answer(op, name + " with a malformed multipart body", st, h, b, 400)
            st, h, b = call_form(method.upper(), url, forms[path][0], [(forms[path][1][0][0], "x.txt", b"not audio at all")], auth())
            if path != "/api/v1/pcr/upload/":
                check_answer(op, name + " with a file that is not audio", st, h, b, 400)
            st, h, b = call(method.upper(), url, None, auth({"Content-Type": "text/plain"}), raw=b"{}")
            check_answer(op, name + " with a wrong content type", st, h, b, 415)
            continue
        else:
            st, h, b = call(method.upper(), url, body, headers)
            good = sorted(c for c in op["responses"] if c.startswith("2"))[0]
            check_answer(op, name, st, h, b, int(good))
        if op.get("security", spec["security"]):
            st, h, b = call(method.upper(), url, body, JSON if body is not None else {})
            check_answer(op, name + " without a key", st, h, b, 401)
        if good_id:
            bad_url = re.sub(r"\{[a-z_]+\}", "not-an-id", path)
            st, h, b = call(method.upper(), bad_url, body, headers)
            check_answer(op, name + " with a malformed id", st, h, b, 400)
            st, h, b = call(method.upper(), re.sub(r"\{[a-z_]+\}", unknown_id, path), body, headers)
            check_answer(op, name + " with an unknown id", st, h, b, 404)
        if "requestBody" in op:
            st, h, b = call(method.upper(), url, None, headers, raw=b'{"noteType": ')
            check_answer(op, name + " with malformed JSON", st, h, b, 400)
            st, h, b = call(method.upper(), url, None, auth({"Content-Type": "text/plain"}), raw=b"{}")
            check_answer(op, name + " with a wrong content type", st, h, b, 415)

ok(documented >= 10, "the spec documents %d operations" % documented)
print("%d passed, %d failed" % (passed, failed))
sys.exit(1 if failed else 0)
