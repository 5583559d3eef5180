// A correct eSIM-provider webhook receiver for Express 5, with the esimhooks
// conformance probe. Copy it, then replace the in-memory maps with your
// database (the key under a unique constraint, in the same transaction as the
// status change).
//
//   RECEIVER_SECRET=... node server.js --provider esimfly --variant 2026-09 --addr 127.0.0.1:9000
//
// Flags fall back to RECEIVER_PROVIDER, RECEIVER_VARIANT and RECEIVER_ADDR;
// the secret comes from RECEIVER_SECRET only (never the command line), and may
// hold several secrets separated by spaces while you rotate keys.
'use strict';
const crypto = require('node:crypto');
const { parseArgs } = require('node:util');
const express = require('express');

const MAX_BODY = 1 << 20; // 1 MiB: far above any event, 413 past it
const TOLERANCE_S = 300; // Standard Webhooks: webhook-timestamp within 5 minutes
const SIMPLIFYTRIP_WINDOW_MS = 24 * 3600e3; // SimplifyTrip: accept an event within 24 hours

// What each provider variant documents (esimhooks' providers.md): how it signs,
// where the event type, idempotency key and event time are, and which resource
// each event moves to which status. Paths are dot-separated, "*" walks an
// array, "=x" is a literal status. Keys: "sha256" of the raw body,
// "header:NAME" or "body:PATH".
const hmacHex = (header, hash, over, prefix = '') => ({ scheme: 'hmac', header, hash, over, prefix });
const ESIMFLY_2026 = hmacHex('x-webhook-signature', 'sha256', 'raw', 'sha256=');
const ROAMIFY_COMMON = {
  'partner/low_balance': [], 'partner/insufficient_balance': [], 'partner/top_up': [],
  'affiliate/order': [['data.order_data.order_id', 'data.order_data.order_status']],
};
const VARIANTS = {
  // Airalo signs PHP's json_encode of the body; the bytes it sends are that
  // string (providers.md), so the HMAC of the raw body is the one to check.
  'airalo@default': {
    sig: hmacHex('airalo-signature', 'sha512', 'raw'), headCheck: true, type: airaloType, key: 'sha256', time: null,
    events: {
      async_order: [['request_id', '=completed']], async_order_failed: [['request_id', '=failed']],
      low_data: [], credit_limit: [],
    },
    keys: { async_order: 'body:request_id', async_order_failed: 'body:request_id' },
  },
  // eSIMfly 2025-01 signs JSON.stringify of its event object (its Express sample).
  'esimfly@2025-01': {
    sig: hmacHex('x-esimfly-signature', 'sha256', 'js'), type: ['event'], key: 'header:x-esimfly-delivery-id', time: 'timestamp',
    events: {
      'order.created': [['data.order_id', 'data.status']],
      'order.completed': [['data.order_id', '=completed'], ['data.esims.*.iccid', 'data.esims.*.status']],
      'order.failed': [['data.order_id', '=failed']],
      'esim.activated': [['data.iccid', '=activated']], 'esim.expired': [['data.iccid', '=expired']],
      'balance.low': [], 'topup.completed': [], 'topup.failed': [],
    },
  },
  'esimfly@2026-04': {
    sig: ESIMFLY_2026, type: ['event'], key: 'header:x-webhook-id', time: 'timestamp',
    events: {
      'esim.provisioned': [['data.iccid', '=provisioned']],
      'order.completed': [['data.order_id', '=completed'], ['data.esims.*.iccid', 'data.esims.*.status']],
    },
  },
  'esimfly@2026-09': {
    sig: ESIMFLY_2026, type: ['event'], key: 'header:x-webhook-id', time: 'timestamp',
    events: {
      'esim.provisioned': [['data.iccid', '=provisioned']], 'esim.installed': [['data.iccid', '=installed']],
      'esim.status.changed': [['data.iccid', 'data.new_status']],
      'esim.profile.updated': [], 'esim.usage.threshold': [], 'order.completed': [],
    },
  },
  // eSIM Access signs nothing: allow only its source IPs at your edge.
  'esimaccess@open-api': {
    sig: { scheme: 'none' }, type: ['eventType'], key: 'sha256', time: 'timestamp',
    events: {
      ORDER_STATUS: [['orderNo', 'status'], ['profiles.*.iccid', 'profiles.*.status']],
      PROFILE_STATUS: [['iccid', 'currentStatus']], DATA_USAGE: [],
    },
  },
  'esimaccess@api-reference': {
    sig: { scheme: 'none' }, type: ['notifyType'], key: 'sha256', time: 'eventGenerateTime',
    events: {
      CHECK_HEALTH: [], ORDER_STATUS: [['content.orderNo', 'content.orderStatus']],
      SMDP_EVENT: [['content.iccid', 'content.smdpStatus']], ESIM_STATUS: [['content.iccid', 'content.esimStatus']],
      DATA_USAGE: [], VALIDITY_USAGE: [],
    },
  },
  'roamify@overview': {
    sig: hmacHex('x-roamify-signature', 'sha256', 'raw'), type: ['event_category', 'event_type'], key: 'sha256', time: 'data.timestamp',
    events: { 'esim/esim_usage': [['data.iccid', 'data.status']], 'esim/esim_status': [['data.iccid', 'data.status']], ...ROAMIFY_COMMON },
  },
  'roamify@per-type': {
    sig: hmacHex('x-roamify-signature', 'sha256', 'raw'), type: ['event_category', 'event_type'], key: 'sha256', time: 'data.timestamp',
    events: {
      'esim/usage': [['data.iccid', 'data.status']], 'esim/status': [['data.iccid', 'data.status']], ...ROAMIFY_COMMON,
      'refund/refunded': [['data.refund_id', 'data.status']], 'refund/rejected': [['data.refund_id', 'data.status']],
    },
    keys: { 'refund/refunded': 'body:event_id', 'refund/rejected': 'body:event_id' },
  },
  // SimplifyTrip signs a flattened, key-sorted form of the payload.
  'simplifytrip@default': {
    sig: hmacHex('x-simplify-trip-signature', 'sha256', 'flatten'), type: ['type'], key: 'body:id', time: 'createdAt',
    replayWindowMs: SIMPLIFYTRIP_WINDOW_MS,
    events: {
      PURCHASE_ORDER_SUCCESS: [['data.orderId', 'data.status']], PHYSICAL_SIM_ORDER_STATUS: [['data.orderId', 'data.status']],
      RETURN_REQUEST_STATUS: [['data.returnRequestId', 'data.status']],
    },
  },
  'standard@v1': {
    sig: { scheme: 'standard' }, type: ['type'], key: 'header:webhook-id', time: 'timestamp',
    events: {
      'order.created': [['data.order_id', 'data.status']],
      'order.completed': [['data.order_id', 'data.status'], ['data.esims.*.iccid', 'data.esims.*.status']],
      'esim.activated': [['data.iccid', 'data.status']], 'esim.usage': [], 'balance.low': [],
    },
  },
};
const DEFAULT_VARIANT = { airalo: 'default', esimfly: '2025-01', esimaccess: 'open-api', roamify: 'overview', simplifytrip: 'default', standard: 'v1' };

// Airalo's notifications carry no type: tell them apart by shape.
function airaloType(b) {
  if (b.request_id !== undefined) return b.reason !== undefined ? 'async_order_failed' : b.data !== undefined ? 'async_order' : null;
  if (b.level !== undefined && b.iccid !== undefined) return 'low_data';
  if (b.message !== undefined && b.remaining !== undefined) return 'credit_limit';
  return null;
}

// values returns every value at a dot path; "*" walks an array.
function values(v, path) {
  let cur = [v];
  for (const seg of path.split('.')) {
    cur = cur.flatMap((x) => (seg === '*' ? (Array.isArray(x) ? x : [])
      : x !== null && typeof x === 'object' && !Array.isArray(x) && Object.hasOwn(x, seg) ? [x[seg]] : []));
  }
  return cur.filter((x) => x !== null && typeof x !== 'object').map(String);
}

// eventTime is the event's own time in ms (unix seconds or ms, or ISO 8601), or null.
function eventTime(body, path) {
  const v = path === null ? undefined : [body].concat(path.split('.')).reduce((x, k) => (x !== null && typeof x === 'object' ? x[k] : undefined));
  if (typeof v === 'number') return v > 1e12 ? v : v * 1000;
  if (typeof v !== 'string') return null;
  const t = Date.parse(v.replace(/([+-]\d\d)(\d\d)$/, '$1:$2')); // "+0000" -> "+00:00"
  return Number.isNaN(t) ? null : t;
}

// SimplifyTrip's signed string: nested keys joined with "_", array indexes as
// segments, keys sorted, "k=v" joined with "&"; null prints empty.
function flatten(v, prefix = '', out = []) {
  if (v !== null && typeof v === 'object') {
    for (const k of Object.keys(v)) flatten(v[k], prefix === '' ? k : `${prefix}_${k}`, out);
  } else {
    out.push([prefix, v === null ? '' : String(v)]);
  }
  return out;
}
const flattenSorted = (obj) => flatten(obj).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, v]) => `${k}=${v}`).join('&');

// safeEqual compares in constant time and never throws (timingSafeEqual
// throws on unequal lengths, which would answer 500 instead of 401).
function safeEqual(expected, given) {
  const a = Buffer.from(expected, 'latin1');
  const b = Buffer.from(typeof given === 'string' ? given : '', 'latin1');
  return a.length === b.length && crypto.timingSafeEqual(a, b);
}

// verify returns null when the signature is right, else [status, reason].
function verify(sig, secrets, headers, raw) {
  if (sig.scheme === 'none') return null;
  if (sig.scheme === 'standard') {
    const id = headers['webhook-id'], ts = headers['webhook-timestamp'], given = headers['webhook-signature'];
    if (!id || !ts || !given) return [401, 'missing webhook-id, webhook-timestamp or webhook-signature'];
    if (!/^\d{1,12}$/.test(ts) || Math.abs(Date.now() / 1000 - Number(ts)) > TOLERANCE_S) return [401, 'webhook-timestamp outside the 5-minute tolerance'];
    const signed = Buffer.concat([Buffer.from(`${id}.${ts}.`), raw]);
    for (const secret of secrets) {
      const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
      const mac = crypto.createHmac('sha256', key).update(signed).digest('base64');
      if (given.split(' ').some((s) => s.startsWith('v1,') && safeEqual(mac, s.slice(3)))) return null;
    }
    return [401, 'invalid signature'];
  }
  const given = headers[sig.header];
  if (!given) return [401, `missing ${sig.header}`];
  let signed = raw;
  if (sig.over !== 'raw') {
    try { // not JSON, or nested too deep to re-serialise: malformed, not forged
      const obj = JSON.parse(raw.toString('utf8'));
      signed = Buffer.from(sig.over === 'js' ? JSON.stringify(obj) : flattenSorted(obj), 'utf8');
    } catch {
      return [400, 'malformed JSON'];
    }
  }
  for (const secret of secrets) {
    if (safeEqual(sig.prefix + crypto.createHmac(sig.hash, secret).update(signed).digest('hex'), given)) return null;
  }
  return [401, 'invalid signature'];
}

// The receiver's memory: how many times each key was applied, and each
// resource's status with the time of the event that set it.
const applied = new Map();
const resources = new Map();

// claim applies an event once per key and reports whether it did. It is
// synchronous, so nothing runs between the check and the mark: two copies
// arriving together apply once. An older event (by its own time) never
// overwrites a newer status; events without a time apply in arrival order.
function claim(key, effects, at) {
  if (applied.has(key)) return false;
  applied.set(key, 1);
  for (const [id, status] of effects) {
    const cur = resources.get(id);
    if (cur && at !== null && cur.at !== null && at < cur.at) continue;
    resources.set(id, { status, at: at ?? cur?.at ?? null });
  }
  return true;
}

function effectsOf(rules, body) {
  return rules.flatMap(([idPath, statusPath]) => {
    const ids = values(body, idPath);
    const statuses = statusPath.startsWith('=') ? ids.map(() => statusPath.slice(1)) : values(body, statusPath);
    return ids.slice(0, statuses.length).map((id, i) => [id, statuses[i]]);
  });
}

function keyOf(spec, headers, body, raw) {
  const [from, name] = spec.split(/:(.*)/);
  const k = from === 'header' ? headers[name] : from === 'body' ? values(body, name)[0] : undefined;
  return k || crypto.createHash('sha256').update(raw).digest('hex'); // no key sent: dedupe exact copies
}

function receiver(v, secrets) {
  const answer = (res, status, outcome) => res.status(status).json({ outcome });
  return (req, res) => {
    if (req.method === 'HEAD' && v.headCheck) return res.status(200).end(); // Airalo's opt-in check
    if (req.method !== 'POST') return answer(res.set('Allow', v.headCheck ? 'POST, HEAD' : 'POST'), 405, 'method not allowed');
    const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const bad = verify(v.sig, secrets, req.headers, raw); // first, over the exact bytes
    if (bad) {
      console.error(`rejected: ${bad[1]}`); // never the secret or the signature
      return answer(res, bad[0], bad[0] === 401 ? 'invalid signature' : bad[1]);
    }
    let body;
    try { body = JSON.parse(raw.toString('utf8')); } catch { return answer(res, 400, 'malformed JSON'); }
    if (body === null || typeof body !== 'object' || Array.isArray(body)) return answer(res, 200, 'ignored: unknown event type');
    const at = eventTime(body, v.time);
    if (v.replayWindowMs && at !== null && Date.now() - at > v.replayWindowMs) return answer(res, 400, 'stale event');
    const type = typeof v.type === 'function' ? v.type(body) : v.type.map((p) => values(body, p)[0]).join('/');
    const rules = Object.hasOwn(v.events, type) ? v.events[type] : null;
    if (!rules) return answer(res, 200, 'ignored: unknown event type'); // new types appear without notice
    const key = keyOf(v.keys?.[type] ?? v.key, req.headers, body, raw);
    return answer(res, 200, claim(key, effectsOf(rules, body), at) ? 'applied' : 'duplicate');
  };
}

function main() {
  const { values: f } = parseArgs({ options: { provider: { type: 'string' }, variant: { type: 'string' }, addr: { type: 'string' } } });
  let [provider, variant] = (f.provider ?? process.env.RECEIVER_PROVIDER ?? '').split('@');
  variant = variant || f.variant || process.env.RECEIVER_VARIANT || DEFAULT_VARIANT[provider];
  const v = VARIANTS[`${provider}@${variant}`];
  if (!v) throw new Error(`unknown provider variant ${provider}@${variant}; known: ${Object.keys(VARIANTS).join(', ')}`);
  const secrets = (process.env.RECEIVER_SECRET ?? '').split(/\s+/).filter(Boolean);
  if (v.sig.scheme !== 'none' && secrets.length === 0) throw new Error(`${provider} signs its webhooks: set RECEIVER_SECRET`);
  const [host, port] = (f.addr ?? process.env.RECEIVER_ADDR ?? '127.0.0.1:9000').split(/:(?=\d+$)/);

  const app = express();
  // The probe (openapi/probe.yaml): what was applied, for the conformance suite.
  app.get('/probe/events/:key', (req, res) => (applied.has(req.params.key)
    ? res.json({ applied: applied.get(req.params.key) }) : res.status(404).json({ error: 'event never applied' })));
  app.get('/probe/resources/:id', (req, res) => (resources.has(req.params.id)
    ? res.json({ status: resources.get(req.params.id).status }) : res.status(404).json({ error: 'unknown resource' })));
  // Keep the raw bytes: the signature is over them, not over a re-parse.
  app.use(express.raw({ type: () => true, limit: MAX_BODY }));
  app.use(receiver(v, secrets));
  // The body parser's errors (413, bad length or encoding) are the client's;
  // anything else is a bug here, and Express answers it with 500.
  app.use((err, req, res, next) => (err.expose && err.status >= 400 && err.status < 500
    ? res.status(err.status).json({ outcome: err.type === 'entity.too.large' ? 'body too large' : 'body unreadable' })
    : next(err)));
  const server = app.listen(Number(port), host, () => {
    const a = server.address();
    const base = `http://${a.address}:${a.port}`;
    console.log(`receiving ${provider}@${variant} webhooks\nwebhook: ${base}/hook\nprobe:   ${base}/probe`);
  });
}

try {
  main();
} catch (e) {
  console.error(`receiver: ${e.message}`);
  process.exit(2);
}
