package api

// ProviderAPIsForTest returns the providers' APIs newTestServer mounts, so
// the server's tests (guard, bounds, fuzz) cover the real ones. Package
// api cannot import mockserver/providerapi, which imports it, so
// providerapi_test.go (package api_test, built into the same test
// binary) sets it to providerapi.All in its init, before any test runs.
var ProviderAPIsForTest func() []ProviderAPI
