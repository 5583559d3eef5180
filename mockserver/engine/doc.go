// Package engine is esimhooks' delivery core, without HTTP server code: it
// holds the model (Endpoint, Delivery, Attempt, AttemptSummary, Chaos,
// Trigger, the delivery states), the Store interface with the memory store
// (NewMemoryStore) and retention (Retention, PruneRule, the pruner), and
// the Engine, which turns triggered events into signed deliveries with each
// provider's timeout, retry schedule and retry rules, schedules and retries
// them (scheduler.go: per-endpoint concurrency over a shared worker pool),
// applies chaos (duplicates, reordering, delays, cut answers), records
// every attempt, streams attempts to subscribers and counts them in
// Metrics. Engine.Send and Engine.Check make one-off attempts (the
// providers' registration mocks, the scenario player).
//
// Endpoints is the one owner of the endpoint rules (URL, events, headers,
// secrets, chaos bounds, the maximum of endpoints); the control API
// (package mockserver) and the registration mocks (mockserver/providerapi)
// register endpoints through it and validate nothing themselves.
//
// Refusals are typed: *Error (Pointer into the request, Reason, Rule;
// Unknown for a name that does not exist or fit, Unusable for a
// well-formed value the provider cannot use), *LimitError for a bound,
// *BoundError for a chaos value out of range, ErrNotFound, ErrNotPending
// and ErrClosed; package mockserver maps them to HTTP problems.
//
// The engine must not import net/http server code of this module: not
// package mockserver, its control API or dashboard (TestEngineImportsNoServer
// checks the dependency list). One HTTP attempt is package wire's.
package engine
