// The page's address: the view and its state live in the URL hash, so a
// filtered log or one delivery can be shared and reopened.
//
//   #/send?endpoint=ID&provider=P&variant=V&event=E
//   #/log?provider=P&event=E&endpoint=ID&outcome=O&status=N&q=TERM&since=T&until=T&run_id=R
//                               (the server filters: a shared link lists what it names)
//   #/deliveries/ID?attempt=N   (the log with one delivery open)
//   #/endpoints
//   #/scenarios

/** The views the page has. */
export const views = ["send", "log", "endpoints", "scenarios"];

/** Parses location.hash into { view, id, params }. */
export function current() {
  const raw = location.hash.replace(/^#\/?/, "");
  const q = raw.indexOf("?");
  const path = q < 0 ? raw : raw.slice(0, q);
  const params = Object.fromEntries(new URLSearchParams(q < 0 ? "" : raw.slice(q + 1)));
  const parts = path.split("/").filter(Boolean).map(decodeURIComponent);
  if (parts[0] === "deliveries" && parts[1]) return { view: "log", id: parts[1], params };
  const view = views.includes(parts[0]) ? parts[0] : "";
  return { view, id: "", params };
}

/** Builds a hash for a view, an optional delivery id and params. */
export function href(view, params = {}, id = "") {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v) q.set(k, v);
  const s = q.toString();
  const path = id ? `deliveries/${encodeURIComponent(id)}` : view;
  return `#/${path}${s ? `?${s}` : ""}`;
}

/**
 * Goes to a hash. replace keeps the browser history short for state
 * changes such as typing in a filter.
 */
export function go(hash, replace = false) {
  if (location.hash === hash) return;
  if (replace) {
    history.replaceState(history.state, "", hash);
    window.dispatchEvent(new HashChangeEvent("hashchange"));
  } else {
    location.hash = hash;
  }
}

/** The absolute URL of a hash, for "copy link". */
export function absolute(hash) {
  return `${location.origin}${location.pathname}${hash}`;
}
