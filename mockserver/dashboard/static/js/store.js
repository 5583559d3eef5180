// The page's shared state: the provider catalogue, the endpoints, and the
// delivery log (deliveries and their attempts, from the list API and the
// live stream). Views subscribe to topics and re-render on change.

import { api, seg } from "./api.js";
import { logListPath, logQuery } from "./logquery.js";
import { prefetched } from "./prefetch.js";

/** The state every view reads. */
export const store = {
  /** @type {{providers: any[]}} */
  catalogue: { providers: [] },
  /** Endpoints, newest first. */
  endpoints: [],
  /** Delivery id → delivery (summary from the list or a stub from the stream). */
  deliveries: new Map(),
  /** "deliveryId#n" → attempt (normalised to the Attempt shape, n included). */
  attempts: new Map(),
  /** Endpoint id → stats. */
  stats: new Map(),
  /** Whether the first page of history has been read. */
  historyLoaded: false,
  /**
   * The Log's list: the deliveries the server matched to filters, newest
   * first, page after page (next is the cursor of the following page), and
   * those the stream brought since that match them too.
   */
  log: { key: null, filters: {}, ids: [], next: null, loading: false, error: null },
};

export { logFilterParams, logFilters } from "./logquery.js";

/**
 * Whether delivery d, as the page knows it, matches the Log's filters: a
 * delivery the stream brought joins the list when it does. A search term
 * is matched against the ids the page knows (the server also matches ids
 * in the body); a run against the run id when the page knows it.
 */
export function matchesLog(d, f = store.log.filters) {
  const la = d.last_attempt;
  return (!f.provider || d.provider === f.provider) && (!f.event || d.event === f.event) &&
    (!f.endpoint || d.endpoint_id === f.endpoint) && (!f.outcome || d.state === f.outcome) &&
    (!f.status || (la && String(la.status) === String(f.status))) && (!f.run_id || d.run_id === f.run_id) &&
    (!f.q || [d.id, d.event_id, d.wire_id].includes(f.q)) &&
    (!f.since || (d.created_at || "") >= new Date(f.since).toISOString()) &&
    (!f.until || (d.created_at || "") < new Date(f.until).toISOString());
}

/** Adds delivery d to the Log's list, in its place, if it matches. */
function joinLog(d) {
  const log = store.log;
  if (log.key === null || log.ids.includes(d.id) || !matchesLog(d)) return;
  const t = d.created_at || "";
  let i = 0;
  while (i < log.ids.length && (store.deliveries.get(log.ids[i])?.created_at || "") > t) i++;
  // Older than every row and more pages to come: the page that holds it will list it.
  if (i === log.ids.length && log.next) return;
  log.ids.splice(i, 0, d.id);
}

/**
 * Reads the first page of the Log for filters, or with older the next page
 * of the current list: one request. A list for the same filters already
 * read (or being read) is kept unless force.
 */
export async function loadLog(filters, { older = false, force = false } = {}) {
  const q = logQuery(filters);
  const key = JSON.stringify(q);
  let log = store.log;
  if (older) {
    if (!log.next || log.loading) return;
    log.loading = true;
  } else {
    if (!force && log.key === key) return;
    log = { key, filters: { ...filters }, ids: [], next: null, loading: true, error: null };
    store.log = log;
  }
  emit("log");
  let page;
  try {
    const path = logListPath(q, older ? log.next : undefined);
    page = (await prefetched(path)) ?? await api("GET", path);
  } catch (err) {
    if (store.log === log) {
      log.loading = false;
      log.error = err;
      emit("log");
    }
    return;
  }
  if (store.log !== log) return; // other filters since
  for (const d of page.deliveries || []) {
    setDelivery({ ...d, stub: false });
    if (!log.ids.includes(d.id)) log.ids.push(d.id);
  }
  log.next = page.next || null;
  log.loading = false;
  log.error = null;
  store.historyLoaded = true;
  emit("log");
}

const listeners = new Map();

/** Subscribes fn to topic ("endpoints", "log", "attempt", "catalogue"). */
export function on(topic, fn) {
  if (!listeners.has(topic)) listeners.set(topic, new Set());
  listeners.get(topic).add(fn);
  return () => listeners.get(topic).delete(fn);
}

/** Calls every listener of topic with data. */
export function emit(topic, data) {
  for (const fn of listeners.get(topic) || []) {
    try {
      fn(data);
    } catch (err) {
      console.error(`listener of ${topic}:`, err);
    }
  }
}

/**
 * Loads the catalogue and the endpoints together (what every view reads),
 * then announces them in that order: the views build their forms from the
 * catalogue before they list endpoints.
 */
export async function loadShell() {
  const [catalogue, eps] = await Promise.all([api("GET", "/api/providers"), api("GET", "/api/endpoints")]);
  store.catalogue = catalogue;
  store.endpoints = eps.endpoints || [];
  emit("catalogue");
  emit("endpoints");
}

/** Loads the endpoints. */
export async function loadEndpoints() {
  const r = await api("GET", "/api/endpoints");
  store.endpoints = r.endpoints || [];
  emit("endpoints");
}

/** The catalogue entry of a provider, or undefined. */
export function provider(name) {
  return store.catalogue.providers.find((p) => p.name === name);
}

/** A provider's variant by name; "" or "default" is the default variant. */
export function variant(providerName, name) {
  const p = provider(providerName);
  if (!p) return undefined;
  if (!name || name === "default") return p.variants.find((v) => v.default) || p.variants[0];
  return p.variants.find((v) => v.name === name);
}

/** The endpoint with id, or undefined. */
export function endpoint(id) {
  return store.endpoints.find((e) => e.id === id);
}

/** A short label for an endpoint: its URL without the scheme. */
export function endpointLabel(id) {
  const e = endpoint(id);
  if (!e) return id ? `${id} (removed)` : "—";
  return e.url.replace(/^https?:\/\//i, "");
}

/** Normalises a stream AttemptEvent or an API Attempt to one shape. */
function normalise(a) {
  return { ...a, n: a.n ?? a.attempt };
}

/** Records attempts of one delivery and announces the change. */
function putAttempts(list) {
  for (const a of list) {
    const n = normalise(a);
    store.attempts.set(`${n.delivery_id}#${n.n}`, { ...store.attempts.get(`${n.delivery_id}#${n.n}`), ...n });
  }
}

/** Records a delivery (from the list, a trigger, a resend or the detail). */
export function putDelivery(d) {
  setDelivery(d);
  joinLog(store.deliveries.get(d.id));
  emit("log");
}

/** Records a delivery without announcing it. */
function setDelivery(d) {
  const old = store.deliveries.get(d.id) || {};
  const merged = { ...old, ...d };
  // The stream can run ahead of an answer (a trigger's 202 arrives after
  // the first attempt): more attempts is the newer state.
  if ((old.attempts || 0) > (d.attempts || 0)) {
    merged.state = old.state;
    merged.attempts = old.attempts;
    merged.next_attempt_at = old.next_attempt_at;
    merged.last_attempt = old.last_attempt;
  }
  store.deliveries.set(d.id, merged);
}

/** Applies one live attempt event to the log. */
export function applyAttempt(ev) {
  const a = normalise(ev);
  putAttempts([a]);
  const summary = { n: a.n, status: a.status, outcome: a.outcome, latency_ns: Math.round((a.latency_ms || 0) * 1e6),
    at: a.started_at, error_kind: a.error_kind };
  const d = store.deliveries.get(a.delivery_id);
  if (d) {
    if (a.n >= (d.attempts || 0)) {
      d.state = a.outcome;
      d.next_attempt_at = a.next_retry_at || undefined;
      d.last_attempt = summary;
    }
    d.attempts = Math.max(d.attempts || 0, a.n);
  } else {
    store.deliveries.set(a.delivery_id, {
      id: a.delivery_id, endpoint_id: a.endpoint_id, provider: a.provider, variant: a.variant,
      event: a.event, state: a.outcome, attempts: a.n, created_at: a.started_at, stub: true,
      next_attempt_at: a.next_retry_at || undefined, last_attempt: summary, run_id: a.run_id, event_id: a.event_id,
    });
  }
  joinLog(store.deliveries.get(a.delivery_id));
  emit("attempt", a);
  emit("log");
}

/** Fetches the attempts of a delivery into the log and returns them. */
export async function loadAttempts(id) {
  const r = await api("GET", `/api/deliveries/${seg(id)}/attempts`);
  putAttempts(r.attempts || []);
  emit("log");
  return r.attempts || [];
}

/**
 * Reads the Log's list before the live stream, for the filters it shows
 * (none before the Log is opened), and again after a reconnection (force):
 * one request, each delivery with its latest attempt's summary.
 */
export function loadHistory(force = false) {
  return loadLog(store.log.filters, { force: force || store.log.key === null });
}

/** The known attempts of a delivery, first first. */
export function attemptsOf(id) {
  const out = [];
  for (const a of store.attempts.values()) if (a.delivery_id === id) out.push(a);
  return out.sort((x, y) => x.n - y.n);
}

/** The latest known attempt of a delivery, or undefined. */
export function lastAttempt(id) {
  const list = attemptsOf(id);
  return list[list.length - 1];
}

/** Loads the endpoints with every one's statistics: one request. */
export async function loadEndpointsWithStats() {
  try {
    const r = await api("GET", "/api/endpoints?stats=true");
    store.endpoints = r.endpoints || [];
    for (const s of r.stats || []) store.stats.set(s.endpoint_id, s);
  } catch {
    return; // Stats are a nicety: a failure leaves the old numbers.
  }
  emit("endpoints");
  for (const s of store.stats.values()) emit("stats", s.endpoint_id);
}

/** Loads the statistics of an endpoint. */
export async function loadStats(id) {
  try {
    const s = await api("GET", `/api/endpoints/${seg(id)}/stats`);
    store.stats.set(id, s);
    emit("stats", id);
  } catch {
    // Stats are a nicety: a failure leaves the old numbers.
  }
}
