// Package api is the mock provider's HTTP side, without the listener: the
// control API under /api/ (routing and request validation from
// openapi/mockserver.yaml, query parsing, RFC 9457 problems, the live
// stream's SSE, scenario runs), the token/Host/Origin guard in front of
// everything, /healthz and /metrics, the provider credentials, and the
// ProviderHost on which the providers' registration APIs (Config.ProviderAPIs,
// package mockserver/providerapi) are mounted.
//
// The handlers decode a request, call the engine (Trigger, Resend,
// RetryNow, Send) or its Endpoints service (every endpoint rule is there,
// none here), and map the engine's typed errors (*engine.Error,
// *engine.LimitError, *engine.BoundError, engine.ErrNotFound, ...) to
// problems (problem.go). Package mockserver builds the engine, calls New
// with it, and serves Server.Handler on its listener; this package must not
// import mockserver (it cannot: mockserver imports it) nor the dashboard.
package api
