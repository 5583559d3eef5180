package api

import (
	"net/http"
	"strings"
	"testing"

	"github.com/esimhooks/esimhooks/mockserver/engine"
)

// TestProviderAPIMount: New refuses a ProviderAPI whose prefix is not
// /<name>/, is the server's own or is taken, naming the prefix; a mounted
// API gets every request under its prefix, full path included, behind the
// server's guard, and its host is the server's.
func TestProviderAPIMount(t *testing.T) {
	echo := func(h ProviderHost) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			WriteJSON(w, http.StatusTeapot, map[string]any{"path": r.URL.Path, "providers": len(h.Catalogue().Names())})
		})
	}
	for _, tc := range []struct {
		apis []ProviderAPI
		want string
	}{
		{[]ProviderAPI{{Prefix: "acme/", New: echo}}, `"acme/" must be /<name>/`},
		{[]ProviderAPI{{Prefix: "/acme", New: echo}}, `"/acme" must be /<name>/`},
		{[]ProviderAPI{{Prefix: "/", New: echo}}, `"/" must be /<name>/`},
		{[]ProviderAPI{{Prefix: "/a/b/", New: echo}}, `"/a/b/" must be /<name>/`},
		{[]ProviderAPI{{Prefix: "/api/", New: echo}}, `"/api/" is the server's own`},
		{[]ProviderAPI{{Prefix: "/metrics/", New: echo}}, `"/metrics/" is the server's own`},
		{[]ProviderAPI{{Prefix: "/acme/", New: echo}, {Prefix: "/acme/", New: echo}}, `"/acme/" is mounted twice`},
		{[]ProviderAPI{{Prefix: "/acme/"}}, `"/acme/" has no New`},
	} {
		s, err := Start(Options{Store: engine.NewMemoryStore(), ProviderAPIs: tc.apis}, "")
		if err == nil {
			s.Close()
			t.Errorf("New with %+v succeeded; want an error containing %s", tc.apis, tc.want)
			continue
		}
		if !strings.Contains(err.Error(), tc.want) {
			t.Errorf("New with %+v: %v; want it to contain %s", tc.apis, err, tc.want)
		}
	}

	s := newTestServer(t, func(c *Options) { c.ProviderAPIs = []ProviderAPI{{Prefix: "/acme/", New: echo}} })
	code, _, data := call(t, "POST", s.URL+"/acme/v1/hooks?x=1", `{}`)
	wantStatus(t, code, http.StatusTeapot, data)
	if m := decode(t, data); m["path"] != "/acme/v1/hooks" || m["providers"] != float64(len(s.cat.Names())) {
		t.Errorf("the mounted API saw %s", data)
	}
	code, _, data = call(t, "GET", s.URL+"/acme/x", nil, "Host", "attacker.example")
	wantStatus(t, code, http.StatusMisdirectedRequest, data)
	code, _, data = call(t, "POST", s.URL+"/airalo/v2/token", `{}`)
	wantStatus(t, code, http.StatusNotFound, data) // only what Config names is mounted
}
