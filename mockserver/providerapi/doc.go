// Package providerapi mocks the providers' own registration APIs, the
// calls a partner makes to tell a provider where to send webhooks:
//
//	/airalo/v2/...                       Airalo: token, notification opt-in/opt-out, webhook simulator (airalo*.go)
//	/esimaccess/api/v1/open/webhook/...  eSIM Access: webhook save and query (esimaccess.go)
//	/esimfly/api/v1/business/webhooks    eSIMfly 2026-04 and 2026-09: webhook PUT and GET (esimfly.go)
//
// Each answers in its provider's own shapes (providers.md), 404 and 405
// included (routes.go), checks the provider's credentials when the server
// has a token (rt_auth.go for the RT-* headers; Airalo's access tokens in
// airalo_token.go), and registers an Endpoint whose Source is the provider
// and whose id derives from the caller's credential, so registering again
// updates it. openapi/registration.yaml describes every route and answer;
// contract_test.go holds the mocks to it.
//
// The mocks know the server only through api.ProviderHost (package
// mockserver/api): they read and write endpoints under the server's
// endpoint rules (the engine's Endpoints service), run the provider's
// registration check, and push one-off deliveries (Airalo's
// simulator) through the engine, so a push is in the delivery log, on the
// live stream and in /metrics. The import goes one way: this package
// imports mockserver/api and mockserver/engine, and a server mounts the
// mocks when its Config says so:
//
//	srv, err := mockserver.New(mockserver.Config{Store: st, ProviderAPIs: providerapi.All()})
//
// as `esimhooks serve` does.
package providerapi
