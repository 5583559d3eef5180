package conformance

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/esimhooks/esimhooks/providers"
)

// TestBlockedByAck grades receivers that accept no valid delivery, answering
// 500 or 502 to everything: ACK-001 fails; the requirements that lean on
// it are blocked by ACK-001, never passed (a 5xx is no signature check) nor
// failed for their own reason; the run exits 1. A target answering 404 to
// everything is no receiver at all: the preflight ends the run before any
// requirement is graded, exit 2.
func TestBlockedByAck(t *testing.T) {
	t.Run("404 to everything", func(t *testing.T) {
		target, _ := answering(t, http.StatusNotFound, "404 page not found\n")
		var out bytes.Buffer
		sum, err := Run(context.Background(), Options{Provider: "roamify", Target: target + "/hook",
			Secret: secretFor(t, mustVariant(t, "roamify")), LabelFilter: "!" + CategoryScenario, Output: &out})
		if code := ExitCode(sum, err); code != 2 || !errors.Is(err, ErrUsage) {
			t.Fatalf("exit %d (%v), want 2 from the preflight", code, err)
		}
		if want := "every valid delivery got 404: is --target the webhook URL?"; !strings.HasPrefix(err.Error(), want) {
			t.Errorf("got  %s\nwant %s", err, want)
		}
		if out.Len() != 0 {
			t.Errorf("specs ran:\n%s", out.String())
		}
	})
	for _, status := range []int{http.StatusInternalServerError, http.StatusBadGateway} {
		t.Run(fmt.Sprintf("%d to everything", status), func(t *testing.T) {
			target, _ := answering(t, status, "")
			var out bytes.Buffer
			sum, err := Run(context.Background(), Options{Provider: "roamify", Target: target + "/hook",
				Secret: secretFor(t, mustVariant(t, "roamify")), LabelFilter: "!" + CategoryScenario, Output: &out})
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
