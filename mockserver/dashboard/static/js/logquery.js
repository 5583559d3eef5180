// The Log's filters as the URL names them and the list request they make:
// shared by the store and the prefetch, which asks for the list before the
// rest of the page has loaded.

import { query } from "./api.js";

/** The Log's filters (URL names) and the list API's names for them. */
export const logFilterParams = {
  provider: "provider", event: "event", endpoint: "endpoint", outcome: "state", status: "status",
  q: "q", since: "since", until: "until", run_id: "run_id",
};

/** The Log's filters from a route's params ("" for each one absent). */
export function logFilters(params) {
  return Object.fromEntries(Object.keys(logFilterParams).map((k) => [k, params[k] || ""]));
}

/** The list API's query for the Log's filters. */
export function logQuery(filters) {
  const q = {};
  for (const [k, p] of Object.entries(logFilterParams)) if (filters[k]) q[p] = filters[k];
  return q;
}

/** The path of a page of the list for query q (logQuery), after cursor before. */
export function logListPath(q, before) {
  return `/api/deliveries${query({ ...q, limit: 100, before })}`;
}
