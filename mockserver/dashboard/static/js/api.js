// The control API client: JSON requests with the optional bearer token,
// RFC 9457 problems as ApiError, and a single retry after the user gives a
// token when the server answers 401.

const TOKEN_KEY = "esimhooks.token";

/** An error answer of the control API, carrying its problem document. */
export class ApiError extends Error {
  constructor(status, problem) {
    const p = problem || {};
    super(p.detail || p.title || `HTTP ${status}`);
    this.status = status;
    this.problem = p;
  }

  /** The problem's field errors as "pointer: message" lines. */
  fieldMessages() {
    return (this.problem.errors || []).map((e) => {
      const where = e.pointer ? e.pointer : e.parameter ? `${e.parameter} (${e.in || "parameter"})` : "";
      return where ? `${where}: ${e.message}` : e.message;
    });
  }

  /** The message with its field errors and valid choices, for a notice. */
  describe() {
    const parts = [this.message, ...this.fieldMessages()];
    if (this.problem.choices?.length) parts.push(`Valid: ${this.problem.choices.join(", ")}`);
    return parts.join(" · ");
  }
}

/**
 * Takes ?token= from the page URL into sessionStorage and removes it from
 * the address bar, so that shared links never carry it.
 */
export function initToken() {
  const url = new URL(location.href);
  const t = url.searchParams.get("token");
  if (t !== null) {
    if (t) sessionStorage.setItem(TOKEN_KEY, t);
    url.searchParams.delete("token");
    history.replaceState(history.state, "", url.pathname + url.search + url.hash);
  }
}

/** The stored token, or "". */
export function token() {
  return sessionStorage.getItem(TOKEN_KEY) || "";
}

/** Stores (or with "" forgets) the token. */
export function setToken(t) {
  if (t) sessionStorage.setItem(TOKEN_KEY, t);
  else sessionStorage.removeItem(TOKEN_KEY);
}

/** Request headers with the token, if any. */
export function authHeaders(extra = {}) {
  const t = token();
  return t ? { ...extra, Authorization: `Bearer ${t}` } : extra;
}

let askToken = null;
let asking = null;

/**
 * Registers fn, called on a 401: it asks the user for a token and resolves
 * when one is stored (concurrent 401s share one question).
 */
export function onUnauthorized(fn) {
  askToken = fn;
}

/** Asks for a token once for every concurrent caller. */
export function requestToken(reason) {
  if (!askToken) return Promise.reject(new Error("a token is required"));
  asking ??= askToken(reason).finally(() => {
    asking = null;
  });
  return asking;
}

/** Encodes one path segment (a "/" inside an event name becomes %2F). */
export function seg(s) {
  return encodeURIComponent(s);
}

/** Builds a query string from an object, skipping empty values. */
export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null && v !== "") q.set(k, String(v));
  }
  const s = q.toString();
  return s ? `?${s}` : "";
}

/**
 * Calls the API. body is an object (sent as JSON) or a string (sent as is,
 * already JSON). Resolves with the parsed answer (null for 204); rejects
 * with ApiError.
 */
export async function api(method, path, body, retried = false) {
  const headers = authHeaders({ Accept: "application/json, application/problem+json" });
  let payload;
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    payload = typeof body === "string" ? body : JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(path, { method, headers, body: payload, cache: "no-store" });
  } catch (err) {
    throw new ApiError(0, { title: "The mock server does not answer", detail: `Is esimhooks serve still running? (${err.message})` });
  }
  if (res.status === 401 && !retried) {
    await requestToken(token() ? "The token was not accepted." : "This server needs a token.");
    return api(method, path, body, true);
  }
  if (res.status === 204) return null;
  const text = await res.text();
  let data = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = { title: text.slice(0, 200) };
    }
  }
  if (!res.ok) throw new ApiError(res.status, data);
  return data;
}

/** Like api for a GET, but also returns the answer's text (to slice raw JSON from). */
export async function apiText(path) {
  let res;
  try {
    res = await fetch(path, { headers: authHeaders({ Accept: "application/json" }), cache: "no-store" });
  } catch (err) {
    throw new ApiError(0, { title: "The mock server does not answer", detail: err.message });
  }
  if (res.status === 401) {
    await requestToken(token() ? "The token was not accepted." : "This server needs a token.");
    return apiText(path);
  }
  const text = await res.text();
  let data = null;
  try {
    data = JSON.parse(text);
  } catch {
    data = { title: text.slice(0, 200) };
  }
  if (!res.ok) throw new ApiError(res.status, data);
  return { data, text };
}
