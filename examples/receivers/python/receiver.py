"""A correct eSIM-provider webhook receiver in standard-library Python, with the
esimhooks conformance probe. Copy it, then replace the in-memory dicts with
your database (the key under a unique constraint, in the same transaction as
the status change).

    RECEIVER_SECRET=... python3 receiver.py --provider esimfly --variant 2026-09 --addr 127.0.0.1:9000

Flags fall back to RECEIVER_PROVIDER, RECEIVER_VARIANT and RECEIVER_ADDR; the
secret comes from RECEIVER_SECRET only (never the command line), and may hold
several secrets separated by spaces while you rotate keys.
"""

import argparse
import base64
import binascii
import hashlib
import hmac
import json
import os
import re
import sys
import threading
import time
from datetime import datetime
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote

MAX_BODY = 1 << 20  # 1 MiB: far above any event, 413 past it
TOLERANCE_S = 300  # Standard Webhooks: webhook-timestamp within 5 minutes
SIMPLIFYTRIP_WINDOW_S = 24 * 3600  # SimplifyTrip: accept an event within 24 hours


def hmac_hex(header, hash_name, over, prefix=""):
    return {"scheme": "hmac", "header": header, "hash": hash_name, "over": over, "prefix": prefix}


# What each provider variant documents (esimhooks' providers.md): how it signs,
# where the event type, idempotency key and event time are, and which resource
# each event moves to which status. Paths are dot-separated, "*" walks an
# array, "=x" is a literal status. Keys: "sha256" of the raw body,
# "header:NAME" or "body:PATH".
ESIMFLY_2026 = hmac_hex("x-webhook-signature", "sha256", "raw", "sha256=")
ROAMIFY_COMMON = {
    "partner/low_balance": [], "partner/insufficient_balance": [], "partner/top_up": [],
    "affiliate/order": [("data.order_data.order_id", "data.order_data.order_status")],
}
VARIANTS = {
    # Airalo signs PHP's json_encode of the body; the bytes it sends are that
    # string (providers.md), so the HMAC of the raw body is the one to check.
    "airalo@default": {
        "sig": hmac_hex("airalo-signature", "sha512", "raw"), "head_check": True, "type": "shape", "key": "sha256", "time": None,
        "events": {
            "async_order": [("request_id", "=completed")], "async_order_failed": [("request_id", "=failed")],
            "low_data": [], "credit_limit": [],
        },
        "keys": {"async_order": "body:request_id", "async_order_failed": "body:request_id"},
    },
    # eSIMfly 2025-01 signs JSON.stringify of its event object, which is the
    # exact body it sends: hash the raw bytes (json.dumps never reproduces them).
    "esimfly@2025-01": {
        "sig": hmac_hex("x-esimfly-signature", "sha256", "raw"), "type": ["event"], "key": "header:x-esimfly-delivery-id", "time": "timestamp",
        "events": {
            "order.created": [("data.order_id", "data.status")],
            "order.completed": [("data.order_id", "=completed"), ("data.esims.*.iccid", "data.esims.*.status")],
            "order.failed": [("data.order_id", "=failed")],
            "esim.activated": [("data.iccid", "=activated")], "esim.expired": [("data.iccid", "=expired")],
            "balance.low": [], "topup.completed": [], "topup.failed": [],
        },
    },
    "esimfly@2026-04": {
        "sig": ESIMFLY_2026, "type": ["event"], "key": "header:x-webhook-id", "time": "timestamp",
        "events": {
            "esim.provisioned": [("data.iccid", "=provisioned")],
            "order.completed": [("data.order_id", "=completed"), ("data.esims.*.iccid", "data.esims.*.status")],
        },
    },
    "esimfly@2026-09": {
        "sig": ESIMFLY_2026, "type": ["event"], "key": "header:x-webhook-id", "time": "timestamp",
        "events": {
            "esim.provisioned": [("data.iccid", "=provisioned")], "esim.installed": [("data.iccid", "=installed")],
            "esim.status.changed": [("data.iccid", "data.new_status")],
            "esim.profile.updated": [], "esim.usage.threshold": [], "order.completed": [],
        },
    },
    # eSIM Access signs nothing: allow only its source IPs at your edge.
    "esimaccess@open-api": {
        "sig": {"scheme": "none"}, "type": ["eventType"], "key": "sha256", "time": "timestamp",
        "events": {
            "ORDER_STATUS": [("orderNo", "status"), ("profiles.*.iccid", "profiles.*.status")],
            "PROFILE_STATUS": [("iccid", "currentStatus")], "DATA_USAGE": [],
        },
    },
    "esimaccess@api-reference": {
        "sig": {"scheme": "none"}, "type": ["notifyType"], "key": "sha256", "time": "eventGenerateTime",
        "events": {
            "CHECK_HEALTH": [], "ORDER_STATUS": [("content.orderNo", "content.orderStatus")],
            "SMDP_EVENT": [("content.iccid", "content.smdpStatus")], "ESIM_STATUS": [("content.iccid", "content.esimStatus")],
            "DATA_USAGE": [], "VALIDITY_USAGE": [],
        },
    },
    "roamify@overview": {
        "sig": hmac_hex("x-roamify-signature", "sha256", "raw"), "type": ["event_category", "event_type"], "key": "sha256", "time": "data.timestamp",
        "events": {"esim/esim_usage": [("data.iccid", "data.status")], "esim/esim_status": [("data.iccid", "data.status")], **ROAMIFY_COMMON},
    },
    "roamify@per-type": {
        "sig": hmac_hex("x-roamify-signature", "sha256", "raw"), "type": ["event_category", "event_type"], "key": "sha256", "time": "data.timestamp",
        "events": {
            "esim/usage": [("data.iccid", "data.status")], "esim/status": [("data.iccid", "data.status")], **ROAMIFY_COMMON,
            "refund/refunded": [("data.refund_id", "data.status")], "refund/rejected": [("data.refund_id", "data.status")],
        },
        "keys": {"refund/refunded": "body:event_id", "refund/rejected": "body:event_id"},
    },
    # SimplifyTrip signs a flattened, key-sorted form of the payload.
    "simplifytrip@default": {
        "sig": hmac_hex("x-simplify-trip-signature", "sha256", "flatten"), "type": ["type"], "key": "body:id", "time": "createdAt",
        "replay_window_s": SIMPLIFYTRIP_WINDOW_S,
        "events": {
            "PURCHASE_ORDER_SUCCESS": [("data.orderId", "data.status")], "PHYSICAL_SIM_ORDER_STATUS": [("data.orderId", "data.status")],
            "RETURN_REQUEST_STATUS": [("data.returnRequestId", "data.status")],
        },
    },
    "standard@v1": {
        "sig": {"scheme": "standard"}, "type": ["type"], "key": "header:webhook-id", "time": "timestamp",
        "events": {
            "order.created": [("data.order_id", "data.status")],
            "order.completed": [("data.order_id", "data.status"), ("data.esims.*.iccid", "data.esims.*.status")],
            "esim.activated": [("data.iccid", "data.status")], "esim.usage": [], "balance.low": [],
        },
    },
}
DEFAULT_VARIANT = {"airalo": "default", "esimfly": "2025-01", "esimaccess": "open-api", "roamify": "overview", "simplifytrip": "default", "standard": "v1"}


def airalo_type(b):
    """Airalo's notifications carry no type: tell them apart by shape."""
    if "request_id" in b:
        return "async_order_failed" if "reason" in b else "async_order" if "data" in b else None
    if "level" in b and "iccid" in b:
        return "low_data"
    if "message" in b and "remaining" in b:
        return "credit_limit"
    return None


def js_number(x):
    """A JSON number as JavaScript's String(n) prints it (SimplifyTrip's form)."""
    if isinstance(x, int) and abs(x) <= 2**53:
        return str(x)
    _, digits, exp = Decimal(repr(float(x))).normalize().as_tuple()  # shortest round-trip digits
    d, k = "".join(map(str, digits)), len(digits)
    n = k + exp  # the decimal point sits after n digits
    sign = "-" if x < 0 else ""
    if k <= n <= 21:
        return sign + d + "0" * (n - k)
    if 0 < n <= 21:
        return sign + d[:n] + "." + d[n:]
    if -6 < n <= 0:
        return sign + "0." + "0" * -n + d
    e = n - 1
    return sign + d[0] + ("." + d[1:] if k > 1 else "") + "e" + ("+" if e > 0 else "-") + str(abs(e))


def flatten(v, prefix="", out=None):
    """SimplifyTrip's signed pairs: nested keys joined with "_", array indexes
    as segments; null prints empty, booleans true/false."""
    out = [] if out is None else out
    items = v.items() if isinstance(v, dict) else enumerate(v) if isinstance(v, list) else None
    if items is None:
        text = "" if v is None else ("true" if v else "false") if isinstance(v, bool) else v if isinstance(v, str) else js_number(v)
        out.append((prefix, text))
        return out
    for k, x in items:
        flatten(x, f"{prefix}_{k}" if prefix else str(k), out)
    return out


def flatten_sorted(obj):
    return "&".join(f"{k}={v}" for k, v in sorted(flatten(obj), key=lambda kv: kv[0].encode()))


def values(v, path):
    """Every value at a dot path; "*" walks an array."""
    cur = [v]
    for seg in path.split("."):
        cur = [y for x in cur for y in (x if seg == "*" and isinstance(x, list) else [x[seg]] if isinstance(x, dict) and seg in x else [])]
    return [js_number(x) if isinstance(x, (int, float)) and not isinstance(x, bool) else str(x) for x in cur if x is not None and not isinstance(x, (dict, list))]


def event_time(body, path):
    """The event's own time in seconds (unix seconds or ms, or ISO 8601), or None."""
    v = body
    for seg in (path.split(".") if path else [None]):
        v = v.get(seg) if isinstance(v, dict) and seg is not None else None
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return v / 1000 if v > 1e12 else float(v)
    if isinstance(v, str):
        try:
            return datetime.fromisoformat(re.sub(r"Z$", "+00:00", v)).timestamp()
        except ValueError:
            return None
    return None


class Verify(Exception):
    def __init__(self, status, reason):
        super().__init__(reason)
        self.status = status


def verify(sig, secrets, headers, raw):
    """Raise Verify unless the signature over the exact bytes is right.
    hmac.compare_digest is constant-time and never raises on unequal lengths."""
    if sig["scheme"] == "none":
        return
    if sig["scheme"] == "standard":
        mid, ts, given = headers.get("webhook-id"), headers.get("webhook-timestamp"), headers.get("webhook-signature")
        if not (mid and ts and given):
            raise Verify(401, "missing webhook-id, webhook-timestamp or webhook-signature")
        if not re.fullmatch(r"\d{1,12}", ts) or abs(time.time() - int(ts)) > TOLERANCE_S:
            raise Verify(401, "webhook-timestamp outside the 5-minute tolerance")
        signed = f"{mid}.{ts}.".encode() + raw
        for secret in secrets:
            try:
                key = base64.b64decode(secret.removeprefix("whsec_"), validate=True)
            except binascii.Error:
                continue
            mac = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
            if any(s.startswith("v1,") and hmac.compare_digest(mac.encode(), s[3:].encode()) for s in given.split(" ")):
                return
        raise Verify(401, "invalid signature")
    given = headers.get(sig["header"])
    if not given:
        raise Verify(401, f"missing {sig['header']}")
    signed = raw
    if sig["over"] == "flatten":
        try:
            signed = flatten_sorted(json.loads(raw)).encode()
        except (ValueError, RecursionError):  # not JSON, or nested too deep
            raise Verify(400, "malformed JSON") from None
    for secret in secrets:
        mac = sig["prefix"] + hmac.new(secret.encode(), signed, getattr(hashlib, sig["hash"])).hexdigest()
        if hmac.compare_digest(mac.encode(), given.encode("latin-1", "replace")):
            return
    raise Verify(401, "invalid signature")


class State:
    """How many times each key was applied, and each resource's status with
    the time of the event that set it. One lock guards both, so the check and
    the mark are atomic: two copies arriving together apply once."""

    def __init__(self):
        self.lock = threading.Lock()
        self.applied = {}
        self.resources = {}

    def claim(self, key, effects, at):
        """Apply an event once per key; report whether it did. An older event
        (by its own time) never overwrites a newer status; events without a
        time apply in arrival order."""
        with self.lock:
            if key in self.applied:
                return False
            self.applied[key] = 1
            for rid, status in effects:
                cur = self.resources.get(rid)
                if cur and at is not None and cur[1] is not None and at < cur[1]:
                    continue
                self.resources[rid] = (status, at if at is not None else cur[1] if cur else None)
            return True


def effects_of(rules, body):
    out = []
    for id_path, status_path in rules:
        ids = values(body, id_path)
        statuses = [status_path[1:]] * len(ids) if status_path.startswith("=") else values(body, status_path)
        out += list(zip(ids, statuses))
    return out


def key_of(spec, headers, body, raw):
    source, _, name = spec.partition(":")
    k = headers.get(name) if source == "header" else (values(body, name) or [None])[0] if source == "body" else None
    return k or hashlib.sha256(raw).hexdigest()  # no key sent: dedupe exact copies


class Server(ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):  # a client that hung up is no error
            super().handle_error(request, client_address)


def make_handler(v, secrets, state):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        timeout = 30  # seconds a slow client may hold a thread

        def answer(self, status, doc, extra=None):
            data = json.dumps(doc).encode()
            self.send_response(status)
            for name, value in (extra or {}).items():
                self.send_header(name, value)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(data)

        def do_GET(self):
            # The probe (openapi/probe.yaml): what was applied, for the conformance suite.
            m = re.fullmatch(r"/probe/(events|resources)/([^/?]+)", self.path.split("?")[0])
            if not m:
                return self.not_allowed()
            name = unquote(m.group(2))
            with state.lock:
                if m.group(1) == "events":
                    found = name in state.applied and {"applied": state.applied[name]}
                else:
                    found = name in state.resources and {"status": state.resources[name][0]}
            self.answer(200, found) if found else self.answer(404, {"error": "not found"})

        def do_HEAD(self):
            if v.get("head_check"):  # Airalo's opt-in check
                return self.answer(200, {})
            self.not_allowed()

        def not_allowed(self):
            self.answer(405, {"outcome": "method not allowed"}, {"Allow": "POST, HEAD" if v.get("head_check") else "POST"})

        do_PUT = do_PATCH = do_DELETE = do_OPTIONS = not_allowed

        def do_POST(self):
            try:
                length = int(self.headers.get("Content-Length", "0"))
            except ValueError:
                length = -1
            if "chunked" in self.headers.get("Transfer-Encoding", "").lower():  # http.server reads no chunked bodies
                return self.answer(411, {"outcome": "Content-Length required"}, {"Connection": "close"})
            if length < 0 or length > MAX_BODY:
                # The rest of the body is not read: close, and say so.
                return self.answer(413 if length > MAX_BODY else 400, {"outcome": "body too large" if length > 0 else "bad Content-Length"}, {"Connection": "close"})
            raw = self.rfile.read(length)
            headers = {k.lower(): val for k, val in reversed(self.headers.items())}  # first value wins
            try:
                verify(v["sig"], secrets, headers, raw)  # first, over the exact bytes
            except Verify as e:
                print(f"rejected: {e}", file=sys.stderr)  # never the secret or the signature
                return self.answer(e.status, {"outcome": "invalid signature" if e.status == 401 else str(e)})
            try:
                body = json.loads(raw)
            except (ValueError, RecursionError):  # not JSON, or nested too deep
                return self.answer(400, {"outcome": "malformed JSON"})
            if not isinstance(body, dict):
                return self.answer(200, {"outcome": "ignored: unknown event type"})
            at = event_time(body, v["time"])
            if v.get("replay_window_s") and at is not None and time.time() - at > v["replay_window_s"]:
                return self.answer(400, {"outcome": "stale event"})
            kind = airalo_type(body) if v["type"] == "shape" else "/".join((values(body, p) or [""])[0] for p in v["type"])
            rules = v["events"].get(kind)
            if rules is None:  # new types appear without notice
                return self.answer(200, {"outcome": "ignored: unknown event type"})
            key = key_of(v.get("keys", {}).get(kind, v["key"]), headers, body, raw)
            self.answer(200, {"outcome": "applied" if state.claim(key, effects_of(rules, body), at) else "duplicate"})

        def log_message(self, fmt, *args):
            pass  # one line per rejection is enough; never log headers

    return Handler


def main():
    ap = argparse.ArgumentParser(description="eSIM-provider webhook receiver with the esimhooks probe")
    ap.add_argument("--provider", default=os.environ.get("RECEIVER_PROVIDER", ""))
    ap.add_argument("--variant", default=os.environ.get("RECEIVER_VARIANT", ""))
    ap.add_argument("--addr", default=os.environ.get("RECEIVER_ADDR", "127.0.0.1:9000"))
    a = ap.parse_args()
    provider, _, variant = a.provider.partition("@")
    variant = variant or a.variant or DEFAULT_VARIANT.get(provider, "")
    v = VARIANTS.get(f"{provider}@{variant}")
    if v is None:
        sys.exit(f"receiver: unknown provider variant {provider}@{variant}; known: {', '.join(VARIANTS)}")
    secrets = os.environ.get("RECEIVER_SECRET", "").split()
    if v["sig"]["scheme"] != "none" and not secrets:
        sys.exit(f"receiver: {provider} signs its webhooks: set RECEIVER_SECRET")
    host, _, port = a.addr.rpartition(":")
    server = Server((host, int(port)), make_handler(v, secrets, State()))
    base = "http://%s:%d" % server.server_address[:2]
    print(f"receiving {provider}@{variant} webhooks\nwebhook: {base}/hook\nprobe:   {base}/probe", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
