package providers_test

// The runtimes' side of TestProofOfficialVerifiersAcceptEveryDelivery. Each
// script reads the JSON array of proofCase on stdin and prints a JSON array
// with, per case, an object {verifier: accepted}. A verifier that throws
// counts as rejecting (the receiver would answer 5xx).

// nodeProof runs, from the npm packages in the directory given as its
// argument, Airalo's Node SDK Signature helper (airalo-sdk,
// src/helpers/Signature.js: checkSignature with the body string and with
// the parsed object), standardwebhooks' and svix's Webhook.verify, all
// unmodified; and, written from providers.md, eSIMfly's 2025-01 Express
// sample (HMAC-SHA256 of JSON.stringify of the parsed body), the raw-body
// HMACs of eSIMfly 2026-xx ("sha256=" prefix) and Roamify, SimplifyTrip's
// flatten-sort-join (nested objects and arrays joined with "_", array
// indexes as segments, null as empty, numbers as String(n): the assumed
// formats that package jsonv's Flatten documents) and Airalo's raw-body
// HMAC-SHA512.
const nodeProof = `
const fs = require('fs');
const path = require('path');
const crypto = require('crypto');
const mods = process.argv[1];
function load(p) { try { return require(path.join(mods, p)); } catch (e) { return null; } }
const AiraloSignature = load('airalo-sdk/src/helpers/Signature.js');
const standard = load('standardwebhooks');
const svix = load('svix');
const hmacHex = (algo, key, data) => crypto.createHmac(algo, key).update(data).digest('hex');
const same = (a, b) => typeof a === 'string' && a.length === b.length && crypto.timingSafeEqual(Buffer.from(a), Buffer.from(b));
function flatten(v, prefix, out) {
  if (v !== null && typeof v === 'object') {
    for (const k of Object.keys(v)) flatten(v[k], prefix === '' ? k : prefix + '_' + k, out);
    return;
  }
  out.push([prefix, v === null ? '' : String(v)]);
}
const cases = JSON.parse(fs.readFileSync(0, 'utf8'));
const out = cases.map((c) => {
  const raw = Buffer.from(c.body, 'base64');
  const text = raw.toString('utf8');
  const h = c.headers;
  const r = {};
  const run = (name, fn) => { try { r[name] = fn() === true; } catch (e) { r[name] = false; } };
  switch (c.kind) {
    case 'airalo':
      run('node:raw', () => same(h['airalo-signature'], hmacHex('sha512', c.secret, raw)));
      if (AiraloSignature) {
        run('node:airalo-sdk(str)', () => new AiraloSignature(c.secret).checkSignature(h['airalo-signature'], text));
        run('node:airalo-sdk(obj)', () => new AiraloSignature(c.secret).checkSignature(h['airalo-signature'], JSON.parse(text)));
      }
      break;
    case 'esimfly-js':
      run('node:express-sample', () => crypto.timingSafeEqual(Buffer.from(h['x-esimfly-signature']),
        Buffer.from(hmacHex('sha256', c.secret, JSON.stringify(JSON.parse(text))))));
      break;
    case 'sha256-prefixed-raw':
      run('node:raw', () => same(h['x-webhook-signature'], 'sha256=' + hmacHex('sha256', c.secret, raw)));
      break;
    case 'raw-sha256':
      run('node:raw', () => hmacHex('sha256', c.secret, raw) === h['x-roamify-signature']);
      break;
    case 'simplifytrip':
      run('node:flatten', () => {
        const pairs = [];
        flatten(JSON.parse(text), '', pairs);
        pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
        const data = pairs.map(([k, v]) => k + '=' + v).join('&');
        return hmacHex('sha256', c.secret, data) === h['x-simplify-trip-signature'];
      });
      break;
    case 'standard':
      if (standard) run('node:standardwebhooks', () => { new standard.Webhook(c.secret).verify(text, h); return true; });
      if (svix) run('node:svix', () => { new svix.Webhook(c.secret).verify(text, h); return true; });
      break;
  }
  return r;
});
process.stdout.write(JSON.stringify(out));
`

// phpProof reproduces, as providers.md documents them: Airalo's PHP SDK
// Signature::checkSignature (json_encode(json_decode($p, true)) for a
// string, json_encode($p) for an array, hash_hmac('sha512'), hash_equals),
// eSIMfly's PHP sample (raw body) and 2026-xx raw-body "sha256=" HMAC,
// Roamify's hash_hmac over the raw body, and SimplifyTrip's
// hash_hmac("sha256", data, checksum_key) over the flattened, ksorted
// k=v&… string (numbers printed as JavaScript prints them: json_encode's
// shortest form, which differs only for negative zero among the values
// sent here).
const phpProof = `<?php
function airalo_check($hash, $payload, $secret) {
    if (!$hash || !$payload) {
        return false;
    }
    $payload = is_string($payload) ? json_encode(json_decode($payload, true)) : json_encode($payload);
    if ($payload === false) {
        return false;
    }
    return hash_equals(hash_hmac('sha512', $payload, $secret), $hash);
}
function st_flatten($v, $prefix, &$out) {
    if (is_array($v)) {
        foreach ($v as $k => $c) {
            st_flatten($c, $prefix === '' ? (string)$k : $prefix . '_' . $k, $out);
        }
        return;
    }
    if ($v === null) {
        $s = '';
    } elseif (is_bool($v)) {
        $s = $v ? 'true' : 'false';
    } elseif (is_int($v)) {
        $s = (string)$v;
    } elseif (is_float($v)) {
        $s = $v == 0.0 ? '0' : json_encode($v);
    } else {
        $s = $v;
    }
    $out[$prefix] = $s;
}
$cases = json_decode(stream_get_contents(STDIN), true);
$out = [];
foreach ($cases as $c) {
    $raw = base64_decode($c['body']);
    $h = $c['headers'];
    $secret = $c['secret'];
    $r = [];
    switch ($c['kind']) {
    case 'airalo':
        $sig = $h['airalo-signature'] ?? '';
        $r['php:sdk-algorithm(str)'] = airalo_check($sig, $raw, $secret);
        $arr = json_decode($raw, true);
        $r['php:sdk-algorithm(arr)'] = is_array($arr) && airalo_check($sig, $arr, $secret);
        break;
    case 'esimfly-js':
        $r['php:raw-sample'] = hash_equals(hash_hmac('sha256', $raw, $secret), $h['x-esimfly-signature'] ?? '');
        break;
    case 'sha256-prefixed-raw':
        $r['php:raw'] = hash_equals('sha256=' . hash_hmac('sha256', $raw, $secret), $h['x-webhook-signature'] ?? '');
        break;
    case 'raw-sha256':
        $r['php:raw'] = hash_equals(hash_hmac('sha256', $raw, $secret), $h['x-roamify-signature'] ?? '');
        break;
    case 'simplifytrip':
        $pairs = [];
        st_flatten(json_decode($raw, true), '', $pairs);
        ksort($pairs, SORT_STRING);
        $data = [];
        foreach ($pairs as $k => $v) {
            $data[] = $k . '=' . $v;
        }
        $r['php:flatten'] = hash_equals(hash_hmac('sha256', implode('&', $data), $secret), $h['x-simplify-trip-signature'] ?? '');
        break;
    }
    $out[] = (object)$r;
}
echo json_encode($out);
`

// pythonProof reproduces, as providers.md documents it, Airalo's Python
// SDK check_signature (str: "/" to "\/" on the raw text, json.loads,
// json.dumps(separators=(",", ":"), ensure_ascii=False); dict: json.dumps
// then "/" to "\/"; HMAC-SHA512, hmac.compare_digest), and the raw-body
// HMACs of eSIMfly 2026-xx and Roamify (over
// request.get_data(as_text=True).encode('utf-8')).
const pythonProof = `
import base64, hashlib, hmac, json, sys

def airalo_check(hash_value, payload, secret):
    if not hash_value:
        return False
    if isinstance(payload, str):
        payload = json.dumps(json.loads(payload.replace("/", "\\/")), separators=(",", ":"), ensure_ascii=False)
    else:
        payload = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).replace("/", "\\/")
    expected = hmac.new(secret.encode("utf-8"), payload.encode("utf-8"), hashlib.sha512).hexdigest()
    return hmac.compare_digest(expected, hash_value)

def run(r, name, fn):
    try:
        r[name] = fn() is True
    except Exception:
        r[name] = False

out = []
for c in json.load(sys.stdin):
    raw = base64.b64decode(c["body"])
    h, secret, kind, r = c["headers"], c["secret"], c["kind"], {}
    if kind == "airalo":
        text = raw.decode("utf-8")
        sig = h.get("airalo-signature", "")
        run(r, "python:sdk-algorithm(str)", lambda: airalo_check(sig, text, secret))
        run(r, "python:sdk-algorithm(dict)", lambda: airalo_check(sig, json.loads(text), secret))
    elif kind == "sha256-prefixed-raw":
        run(r, "python:raw", lambda: hmac.compare_digest("sha256=" + hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest(), h.get("x-webhook-signature", "")))
    elif kind == "raw-sha256":
        data = raw.decode("utf-8", "replace").encode("utf-8")
        run(r, "python:raw", lambda: hmac.compare_digest(hmac.new(secret.encode(), data, hashlib.sha256).hexdigest(), h.get("x-roamify-signature", "")))
    out.append(r)
sys.stdout.write(json.dumps(out))
`
