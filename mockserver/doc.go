// Package mockserver is esimhooks' mock provider: New starts a server that
// registers receiver endpoints, turns triggered events into signed
// deliveries with each provider's timeout, retry schedule and retry rules,
// records every attempt, and serves the control API, the providers' own
// registration APIs, the live stream and the dashboard. The registration
// APIs are mounted from Config.ProviderAPIs (package mockserver/providerapi
// has the built-in ones).
//
// The package is the HTTP side: Config, New, Server (URL, Handler, Close),
// the control API's handlers, its validation against
// openapi/mockserver.yaml, problems, the live stream's SSE, the
// token/Host/Origin guard, health and metrics. Everything about deliveries
// is package mockserver/engine's: the model (Endpoint, Delivery, Attempt,
// Chaos), the Store interface and the memory store, retention, the Engine
// (Trigger, Resend, RetryNow, Send, Check), its typed errors, and the
// Endpoints service that owns the endpoint rules; the handlers decode a
// request, call the engine or the Endpoints service, and map its *Error,
// *LimitError or ErrNotFound to a problem. Package engine imports nothing
// of this one (engine's TestEngineImportsNoServer checks it).
//
// One HTTP attempt is package wire's (mockserver/wire): the engine hands
// it the signed request, the provider's ack deadline and whether chaos
// cuts the answer, and records the wire.Result it gets back; whether the
// answer counts as delivered is the profile's (providers.AckSpec.Accepts).
package mockserver
