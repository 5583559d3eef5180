package conformance

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/esimhooks/esimhooks/providers"
)

// TestBlockedByAck grades receivers that accept no valid delivery: a 404
// target (the wrong URL, unless the preflight stops the run first) and
// ones that answer 500 or 502 to everything. ACK-001
// fails; the requirements that lean on it are blocked by ACK-001, never
// passed (a 404 is no signature check) nor failed for their own reason;
// the run exits 1.
func TestBlockedByAck(t *testing.T) {
	for _, tc := range []struct {
		name   string
		status int
	}{
		{"404 to everything", http.StatusNotFound},
		{"500 to everything", http.StatusInternalServerError},
		{"502 to everything", http.StatusBadGateway},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				w.WriteHeader(tc.status)
			}))
			defer srv.Close()
			var out bytes.Buffer
			sum, err := Run(context.Background(), Options{Provider: "roamify", Target: srv.URL + "/hook",
				Secret: secretFor(t, mustVariant(t, "roamify")), LabelFilter: "!" + CategoryScenario, Output: &out})
			if errors.Is(err, ErrUsage) && tc.status == http.StatusNotFound {
				// The preflight may catch a wrong URL first (exit 2).
				t.Skipf("the preflight stopped the run: %v", err)
			}
			if err != nil {
				t.Fatalf("Run: %v\n%s", err, out.String())
			}
			got := map[string]string{}
			for _, r := range sum.Requirements {
				got[r.ID] = r.Outcome
				if isBlocked(r.Evidence) {
					got[r.ID] = OutcomeBlocked
				}
			}
			if got["ACK-001"] != OutcomeFailed {
				t.Errorf("ACK-001 %s, want failed", got["ACK-001"])
			}
			for _, id := range []string{"SIG-001", "SIG-002", "SIG-003", "SIG-006", "ROB-003", "ROB-004", "ROB-005",
				"IDM-001", "EVT-001", "ROB-001", "ROB-002", "ORD-001", "SIG-004"} {
				if got[id] != OutcomeBlocked {
					t.Errorf("%s %s, want blocked by ACK-001", id, got[id])
				}
			}
			if code := ExitCode(sum, nil); code != 1 {
				t.Errorf("exit %d, want 1", code)
			}
			if t.Failed() {
				t.Log("\n" + out.String())
			}
		})
	}
}

// mustVariant returns the named provider's default variant.
func mustVariant(t testing.TB, provider string) *providers.Variant {
	t.Helper()
	v, err := providers.MustBuiltin().Variant(provider, "")
	if err != nil {
		t.Fatal(err)
	}
	return v
}
