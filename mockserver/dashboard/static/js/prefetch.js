// Loaded on its own, ahead of the page's other modules: a Log link asks
// for its list at once, while the rest of the page is still loading. The
// store takes the answer (prefetched) instead of asking again.

import { api, initToken } from "./api.js";
import { logFilters, logListPath, logQuery } from "./logquery.js";
import { current } from "./route.js";

const pending = new Map();

// The token of a ?token= link is stored first (main.js calls this again; the second call finds nothing to do).
initToken();
const first = current();
if (first.view === "log" && !first.id) {
  const path = logListPath(logQuery(logFilters(first.params)));
  // A failure (a 401 before the page can ask for the token) is the
  // store's to retry: it then asks as usual.
  pending.set(path, api("GET", path).catch(() => null));
}

/** The answer of the list request for path started as the page loaded, once; or undefined. */
export function prefetched(path) {
  const p = pending.get(path);
  pending.delete(path);
  return p;
}
