// Package mockserver is esimhooks' mock provider: New starts a server that
// registers receiver endpoints, turns triggered events into signed
// deliveries with each provider's timeout, retry schedule and retry rules,
// records every attempt, and serves the control API, the providers' own
// registration APIs, the live stream and the dashboard. The registration
// APIs are mounted from Config.ProviderAPIs (package mockserver/providerapi
// has the built-in ones).
//
// This package is the façade: Config, New, Server (URL, Handler, Engine,
// Close) and Version. New wires the parts and owns the listener:
//
//	mockserver/engine   the delivery core (model, Store, memory store,
//	                    retention, Engine, typed errors, and the Endpoints
//	                    service that owns the endpoint rules); no HTTP
//	                    server code
//	mockserver/api      the control API (routing and validation from
//	                    openapi/mockserver.yaml, problems, SSE), the
//	                    token/Host/Origin guard, health, metrics, and the
//	                    ProviderHost the registration mocks are mounted on
//
// It builds the engine and its Endpoints service from Config, hands both
// to api.New with the API's settings, listens, starts the engine and the
// retention's pruner, and serves api's handler; Close undoes that in
// order. Package engine imports neither this package nor api
// (engine's TestEngineImportsNoServer checks it).
//
// One HTTP attempt is package wire's (mockserver/wire): the engine hands
// it the signed request, the provider's ack deadline and whether chaos
// cuts the answer, and records the wire.Result it gets back; whether the
// answer counts as delivered is the profile's (providers.AckSpec.Accepts).
package mockserver
