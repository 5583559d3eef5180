// Package mockserver is esimhooks' mock provider: New starts a server that
// registers receiver endpoints, turns triggered events into signed
// deliveries with each provider's timeout, retry schedule and retry rules,
// records every attempt, and serves the control API, the providers' own
// registration APIs, the live stream and the dashboard. The registration
// APIs are mounted from Config.ProviderAPIs (package mockserver/providerapi
// has the built-in ones).
//
// This package is the façade: Config, New, Server (URL, Handler, Engine,
// Close) and Version, over two packages:
//
//	mockserver/engine   the delivery core (model, Store, memory store,
//	                    retention, Engine, typed errors, and the Endpoints
//	                    service that owns the endpoint rules); no HTTP
//	                    server code
//	mockserver/api      the control API (routing and validation from
//	                    openapi/mockserver.yaml, problems, SSE), the
//	                    token/Host/Origin guard, health, metrics, the
//	                    ProviderHost the registration mocks are mounted on,
//	                    and Start, which wires them
//
// The wiring (engine and Endpoints service from the Config, the API on
// them, the listener, the engine's start, the retention's pruner, and
// Close in reverse) is api.Start's, not this package's: the API's tests
// (package api, which cannot import this one) start exactly the server New
// starts, and the wiring is written once. Config is api.Options. Package
// engine imports neither this package nor api (engine's
// TestEngineImportsNoServer checks it).
//
// One HTTP attempt is package wire's (mockserver/wire): the engine hands
// it the signed request, the provider's ack deadline and whether chaos
// cuts the answer, and records the wire.Result it gets back; whether the
// answer counts as delivered is the profile's (providers.AckSpec.Accepts).
package mockserver
