package providers_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/esimhooks/esimhooks/providers"
)

// statuses spans the edges of every success rule: interim, each end of
// 2xx, the 2xx codes receivers answer most, redirects and errors.
var statuses = []int{0, 100, 199, 200, 201, 202, 204, 299, 300, 302, 304, 400, 401, 409, 429, 500, 503}

// TestAckAccepts pins the two success rules on their own.
func TestAckAccepts(t *testing.T) {
	for _, rule := range []string{"200", "2xx"} {
		a := providers.AckSpec{Success: rule}
		for _, s := range statuses {
			want := s == 200 || rule == "2xx" && s >= 200 && s <= 299
			if got := a.Accepts(s); got != want {
				t.Errorf("AckSpec{Success: %q}.Accepts(%d) = %v, want %v", rule, s, got, want)
			}
		}
	}
}

// TestAckAcceptsEveryProfile checks each built-in variant's success rule
// against providers.md (the ack facts of facts, "deadline success"):
// Airalo accepts exactly 200, everyone else any 2xx; Standard Webhooks,
// which providers.md does not list, accepts any 2xx as the specification
// says.
func TestAckAcceptsEveryProfile(t *testing.T) {
	cat := providers.MustBuiltin()
	n := 0
	for _, p := range cat.Profiles() {
		for _, v := range p.Variants {
			rule := "2xx"
			if f, ok := facts[v.ID()]; ok {
				_, rule, _ = strings.Cut(f.ack, " ")
			} else if p.Name != "standard" {
				t.Errorf("%s: providers.md facts missing", v.ID())
				continue
			}
			n++
			accepted := []int{}
			for _, s := range statuses {
				if v.Ack.Accepts(s) {
					accepted = append(accepted, s)
				}
			}
			want := []int{200, 201, 202, 204, 299}
			if rule == "200" {
				want = []int{200}
			}
			if !slices.Equal(accepted, want) {
				t.Errorf("%s accepts %v of %v, providers.md (%s) says %v", v.ID(), accepted, statuses, rule, want)
			}
		}
	}
	if n < 2 {
		t.Fatalf("only %d variants checked", n)
	}
}
