package faulty_test

import (
	"net/http"
	"testing"

	"github.com/esimhooks/esimhooks/examples/receiver/receiver/receivertest"
	"github.com/esimhooks/esimhooks/providers"
)

// sequence is what a fault does, as a script: its receiver for the
// provider's variant gets the steps in order, each a request about d (the
// first public event's delivery of seed 1, with set applied), and must
// answer each with the step's status; then d must have been applied
// applied times.
type sequence struct {
	fault, provider, variant string
	set                      []providers.Override
	steps                    []step
	applied                  int
}

// step is one request of a sequence and the status it must get.
type step struct {
	what string
	send func(t *testing.T, c *receivertest.Client, d *providers.Delivery) int
	want int
}

// The requests of the steps.
var (
	// signed sends d as the provider does.
	signed = func(_ *testing.T, c *receivertest.Client, d *providers.Delivery) int { return c.Send(d) }
	// unsigned sends d without its signature headers.
	unsigned = func(_ *testing.T, c *receivertest.Client, d *providers.Delivery) int {
		return c.Do(http.MethodPost, c.Headers(d, nil), d.Body)
	}
	// otherSecret sends d signed with a secret the receiver does not have.
	otherSecret = func(t *testing.T, c *receivertest.Client, d *providers.Delivery) int {
		other := receivertest.Signer(t, c.Variant, receivertest.Secret(t, c.Variant))
		return c.Do(http.MethodPost, c.Headers(d, other), d.Body)
	}
	// head is the registration check's HEAD.
	head = func(_ *testing.T, c *receivertest.Client, _ *providers.Delivery) int {
		return c.Do(http.MethodHead, nil, nil)
	}
)

// signedWith sends d, signed, with another method.
func signedWith(method string) func(*testing.T, *receivertest.Client, *providers.Delivery) int {
	return func(_ *testing.T, c *receivertest.Client, d *providers.Delivery) int {
		return c.Do(method, c.Headers(d, c.Signer), d.Body)
	}
}

// TestSequences runs the faults whose behaviour is a few requests and
// their answers.
func TestSequences(t *testing.T) {
	for _, sq := range []sequence{
		{fault: "no-signature-check", provider: "roamify", applied: 1,
			steps: []step{{"unsigned", unsigned, http.StatusOK}}},
		{fault: "optional-signature-check", provider: "roamify", applied: 1,
			steps: []step{{"unsigned", unsigned, http.StatusOK}, {"another secret", otherSecret, http.StatusUnauthorized}}},
		{fault: "apply-before-verify", provider: "esimfly", applied: 1,
			steps: []step{{"another secret", otherSecret, http.StatusUnauthorized}}},
		{fault: "duplicate-500", provider: "esimaccess", applied: 1,
			steps: []step{{"first", signed, http.StatusOK}, {"duplicate", signed, http.StatusInternalServerError}}},
		{fault: "reject-duplicates", provider: "airalo", applied: 1,
			steps: []step{{"first", signed, http.StatusOK}, {"duplicate", signed, http.StatusConflict}}},
		{fault: "no-dedup", provider: "simplifytrip", applied: 2,
			steps: []step{{"first", signed, http.StatusOK}, {"duplicate", signed, http.StatusOK}}},
		{fault: "ack-201", provider: "airalo", applied: 1,
			steps: []step{{"delivery", signed, http.StatusCreated}}},
		{fault: "ack-202", provider: "airalo", applied: 1,
			steps: []step{{"delivery", signed, http.StatusAccepted}, {"registration HEAD", head, http.StatusOK}}},
		{fault: "head-404", provider: "airalo", applied: 1,
			steps: []step{{"HEAD", head, http.StatusNotFound}, {"delivery", signed, http.StatusOK}}},
		{fault: "any-method", provider: "esimfly", variant: "2026-04", applied: 1,
			steps: []step{{"signed PUT", signedWith(http.MethodPut), http.StatusOK}}},
		{fault: "unknown-type-500", provider: "standard", applied: 0,
			set:   []providers.Override{{Path: "/type", Raw: "from.the.future"}},
			steps: []step{{"unknown type", signed, http.StatusInternalServerError}}},
		{fault: "strict-fields", provider: "esimaccess", applied: 0,
			set:   []providers.Override{{Path: "/profiles/0/added_later", Raw: "1"}},
			steps: []step{{"extra field", signed, http.StatusBadRequest}}},
	} {
		t.Run(sq.fault, func(t *testing.T) {
			v := receivertest.Variant(t, sq.provider, sq.variant)
			c := serve(t, sq.fault, v)
			d := c.Delivery(first(v), 1, start, sq.set...)
			for _, s := range sq.steps {
				wantStatus(t, s.what, s.send(t, c, d), s.want)
			}
			wantApplied(t, c, d, sq.applied)
		})
	}
}
