// The page's shared state: the provider catalogue, the endpoints, and the
// delivery log (deliveries and their attempts, from the list API and the
// live stream). Views subscribe to topics and re-render on change.

import { api, query, seg } from "./api.js";

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
};

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

/** Loads the provider catalogue. */
export async function loadCatalogue() {
  store.catalogue = await api("GET", "/api/providers");
  emit("catalogue");
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
  const old = store.deliveries.get(d.id) || {};
  const merged = { ...old, ...d };
  // The stream can run ahead of an answer (a trigger's 202 arrives after
  // the first attempt): more attempts is the newer state.
  if ((old.attempts || 0) > (d.attempts || 0)) {
    merged.state = old.state;
    merged.attempts = old.attempts;
    merged.next_attempt_at = old.next_attempt_at;
  }
  store.deliveries.set(d.id, merged);
  emit("log");
}

/** Applies one live attempt event to the log. */
export function applyAttempt(ev) {
  const a = normalise(ev);
  putAttempts([a]);
  const d = store.deliveries.get(a.delivery_id);
  if (d) {
    d.state = a.outcome;
    d.attempts = Math.max(d.attempts || 0, a.n);
    d.next_attempt_at = a.next_retry_at || undefined;
  } else {
    store.deliveries.set(a.delivery_id, {
      id: a.delivery_id, endpoint_id: a.endpoint_id, provider: a.provider, variant: a.variant,
      event: a.event, state: a.outcome, attempts: a.n, created_at: a.started_at, stub: true,
      next_attempt_at: a.next_retry_at || undefined,
    });
  }
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
 * Reads the newest deliveries and their attempts (a few requests at a
 * time): the log's history before the live stream, and the catch-up after
 * a reconnection.
 */
export async function loadHistory(limit = 200) {
  const page = await api("GET", `/api/deliveries${query({ limit })}`);
  const list = page.deliveries || [];
  for (const d of list) putDelivery({ ...d, stub: false });
  store.historyLoaded = true;
  emit("log");
  const need = list.filter((d) => d.attempts > 0 && attemptsOf(d.id).length < d.attempts).slice(0, 120);
  const workers = Array.from({ length: 4 }, async () => {
    while (need.length) {
      const d = need.shift();
      try {
        await loadAttempts(d.id);
      } catch {
        // A delivery removed meanwhile: its row stays as listed.
      }
    }
  });
  await Promise.all(workers);
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
