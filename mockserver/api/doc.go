// Package api is the mock provider's HTTP side: the control API under /api/ (routing and request validation from
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
// problems (problem.go). Start (start.go) wires a running server: the
// engine and its Endpoints service from Options, the API on them, the
// listener, the engine's start, the retention's pruner; Server.Close
// undoes it in order. Package mockserver's New is Start. This package must
// not import mockserver (it cannot: mockserver imports it) nor the
// dashboard.
package api
