package providerapi

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"

	"github.com/esimhooks/esimhooks/mockserver/api"
)

// This file holds what the providers' registration mocks share: routing
// with the provider's own 404/405 shapes, body reading and account keys
// (the registration checks are the host's, ProviderHost.CheckRegistration). Each mock
// registers or updates an Endpoint whose Source is the provider's name and
// whose id is derived from the caller's credential, so registering again
// updates the same endpoint.

// providerRoute is one route of a provider mock.
type providerRoute struct {
	method, path string
	handler      http.HandlerFunc
}

// providerRoutes dispatches a provider mock's routes by exact path and
// method, answering unknown paths and methods in the provider's shape.
type providerRoutes struct {
	routes []providerRoute
	// notFound answers a path no route has.
	notFound http.HandlerFunc
	// notAllowed answers a known path with another method; Allow is set.
	notAllowed http.HandlerFunc
}

func (t *providerRoutes) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p := r.URL.Path
	if len(p) > 1 {
		p = strings.TrimSuffix(p, "/")
	}
	var allow []string
	for _, rt := range t.routes {
		if rt.path != p {
			continue
		}
		if rt.method == r.Method {
			rt.handler(w, r)
			return
		}
		allow = append(allow, rt.method)
	}
	if len(allow) > 0 {
		w.Header().Set("Allow", strings.Join(allow, ", "))
		t.notAllowed(w, r)
		return
	}
	t.notFound(w, r)
}

// readBody reads a registration request's body, at most max bytes;
// tooLarge reports a body over the limit.
func readBody(w http.ResponseWriter, r *http.Request, max int64) (body []byte, tooLarge bool, err error) {
	if r.ContentLength > max {
		return nil, true, nil
	}
	body, err = io.ReadAll(http.MaxBytesReader(w, r.Body, max))
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return nil, true, nil
	}
	return body, false, err
}

// accountKey derives a short, stable account id from a credential (a
// bearer token, an access code), so endpoint ids never carry the
// credential itself.
func accountKey(credential string) string {
	sum := sha256.Sum256([]byte(credential))
	return hex.EncodeToString(sum[:6])
}

// sourceAddr is the host of r's peer (forwarding headers are not
// trusted).
func sourceAddr(r *http.Request) string {
	if h, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		return h
	}
	return r.RemoteAddr
}

// All returns the built-in providers' registration APIs, Airalo's
// (/airalo/), eSIM Access's (/esimaccess/) and eSIMfly's (/esimfly/), for
// mockserver.Config.ProviderAPIs. Each call makes new ProviderAPI values;
// each server that mounts them builds its own mocks, with their own state
// (Airalo's token key, client secrets, e-mail opt-ins and rate limits).
func All() []api.ProviderAPI {
	return []api.ProviderAPI{
		{Prefix: "/airalo/", New: func(h api.ProviderHost) http.Handler { return newAiraloMock(h) }},
		{Prefix: "/esimaccess/", New: func(h api.ProviderHost) http.Handler { return newEsimaccessMock(h) }},
		{Prefix: "/esimfly/", New: func(h api.ProviderHost) http.Handler { return newEsimflyMock(h) }},
	}
}
