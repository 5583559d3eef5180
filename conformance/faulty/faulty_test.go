package faulty_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/esimhooks/esimhooks/conformance/faulty"
	"github.com/esimhooks/esimhooks/examples/receiver/receiver/receivertest"
	"github.com/esimhooks/esimhooks/providers"
	"github.com/esimhooks/esimhooks/providers/signing"
)

var start = time.Now().Add(-time.Hour)

// serve starts the named fault's receiver for v.
func serve(t *testing.T, name string, v *providers.Variant) *receivertest.Client {
	t.Helper()
	f, ok := faulty.ByName(name)
	if !ok {
		t.Fatalf("no fault %q", name)
	}
	if !f.Applies(v) {
		t.Fatalf("%s does not apply to %s", name, v.ID())
	}
	secret := receivertest.Secret(t, v)
	r, err := f.New(v, secret)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.Close)
	return receivertest.Serve(t, v, secret, r)
}

// withDeadline returns a copy of v whose ack deadline is d, to keep the
// timing faults quick.
func withDeadline(v *providers.Variant, d time.Duration) *providers.Variant {
	c := *v
	c.Ack.Deadline = providers.Duration(d)
	return &c
}

func first(v *providers.Variant) *providers.Event { return v.Public()[0] }

func wantStatus(t *testing.T, what string, got, want int) {
	t.Helper()
	if got != want {
		t.Errorf("%s: status %d, want %d", what, got, want)
	}
}

func wantApplied(t *testing.T, c *receivertest.Client, d *providers.Delivery, want int) {
	t.Helper()
	if got := c.Applied(d.Key()); got != want {
		t.Errorf("%s applied %d times, want %d", d.Event.Name, got, want)
	}
}

func TestCatalogue(t *testing.T) {
	id := regexp.MustCompile(`^[A-Z]{3}-\d{3}$`)
	seen := map[string]bool{}
	for _, f := range faulty.All() {
		if f.Name == "" || seen[f.Name] || f.Doc == "" || len(f.Breaks) == 0 || f.Stops != nil || f.Applies == nil || f.New == nil {
			t.Errorf("fault %+v is incomplete or repeated", f.Name)
		}
		seen[f.Name] = true
		for _, b := range f.Breaks {
			if !id.MatchString(b) {
				t.Errorf("%s breaks %q, not a requirement ID", f.Name, b)
			}
		}
	}
	// A setup fault breaks no requirement: it stops the run.
	for _, f := range faulty.Setup() {
		if f.Name == "" || seen[f.Name] || f.Doc == "" || len(f.Breaks) != 0 || f.Stops == nil || f.Applies == nil || f.New == nil {
			t.Errorf("setup fault %+v is incomplete, repeated or breaks a requirement", f.Name)
		}
		seen[f.Name] = true
	}
}

// TestHappyPathIntact checks that every fault (but the slow one) still
// applies an ordinary delivery of every event once and answers 200 (202
// for ack-202): each breaks only its own requirement.
func TestHappyPathIntact(t *testing.T) {
	for _, f := range append(faulty.All(), faulty.Conforming()...) {
		if f.Name == "slow-ack" {
			continue
		}
		for _, v := range receivertest.Variants(t) {
			if !f.Applies(v) {
				continue
			}
			t.Run(f.Name+"/"+v.ID(), func(t *testing.T) {
				t.Parallel()
				if f.Name == "serial-burst" {
					v = withDeadline(v, 200*time.Millisecond)
				}
				c := serve(t, f.Name, v)
				ok := http.StatusOK
				switch f.Name {
				case "ack-202":
					ok = http.StatusAccepted
				case "ack-201":
					ok = http.StatusCreated
				}
				for i, ev := range v.Public() {
					if f.Name == "rejects-one-event-type" && ev == faulty.RejectedEvent(v) {
						continue
					}
					d := c.Delivery(ev, uint64(i+1), start)
					wantStatus(t, ev.Name, c.Send(d), ok)
					wantApplied(t, c, d, 1)
				}
			})
		}
	}
}

func TestReserialisedSignature(t *testing.T) {
	v := receivertest.Variant(t, "roamify", "")
	c := serve(t, "reserialised-signature", v)
	d := c.Delivery(first(v), 1, start)
	pretty := *d
	var buf bytes.Buffer
	if err := json.Indent(&buf, d.Body, "", "  "); err != nil {
		t.Fatal(err)
	}
	pretty.Body = buf.Bytes()
	wantStatus(t, "pretty-printed, signed raw", c.Do(http.MethodPost, c.Headers(&pretty, c.Signer), pretty.Body), http.StatusUnauthorized)
	wantStatus(t, "canonical", c.Send(d), http.StatusOK)
}

// timedDelivery serves fault for provider's default variant with the
// given ack deadline, sends it one delivery, which must get 200, and
// returns the client and how long the answer took.
func timedDelivery(t *testing.T, fault, provider string, deadline time.Duration) (*receivertest.Client, time.Duration) {
	t.Helper()
	v := withDeadline(receivertest.Variant(t, provider, ""), deadline)
	c := serve(t, fault, v)
	began := time.Now()
	wantStatus(t, "single delivery", c.Send(c.Delivery(first(v), 1, start)), http.StatusOK)
	return c, time.Since(began)
}

func TestSlowAck(t *testing.T) {
	const deadline = 100 * time.Millisecond
	if _, took := timedDelivery(t, "slow-ack", "roamify", deadline); took < deadline {
		t.Errorf("answered in %s, within the %s deadline", took, deadline)
	}
}

func TestSerialBurst(t *testing.T) {
	const deadline = 200 * time.Millisecond
	c, took := timedDelivery(t, "serial-burst", "standard", deadline)
	if took >= deadline {
		t.Errorf("a single delivery took %s, past the %s deadline", took, deadline)
	}
	v := c.Variant
	const n = 50
	type req struct {
		h    http.Header
		body []byte
	}
	reqs := make([]req, n)
	for i := range reqs {
		d := c.Delivery(first(v), uint64(100+i), start)
		reqs[i] = req{c.Headers(d, c.Signer), d.Body}
	}
	gun := make(chan struct{})
	var (
		mu      sync.Mutex
		slowest time.Duration
		wg      sync.WaitGroup
	)
	began := time.Now()
	for _, r := range reqs {
		wg.Go(func() {
			<-gun
			if _, err := c.Post(http.MethodPost, r.h, r.body); err != nil {
				t.Error(err)
			}
			mu.Lock()
			slowest = max(slowest, time.Since(began))
			mu.Unlock()
		})
	}
	close(gun)
	wg.Wait()
	if slowest < deadline {
		t.Errorf("the slowest of %d concurrent deliveries took %s, within the %s deadline", n, slowest, deadline)
	}
}

func TestCheckThenAct(t *testing.T) {
	v := receivertest.Variant(t, "esimfly", "")
	c := serve(t, "check-then-act", v)
	d := c.Delivery(first(v), 1, start)
	h := c.Headers(d, c.Signer)
	gun := make(chan struct{})
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			<-gun
			if st, err := c.Post(http.MethodPost, h, d.Body); err != nil || st != http.StatusOK {
				t.Errorf("concurrent copy: %d %v", st, err)
			}
		})
	}
	close(gun)
	wg.Wait()
	wantApplied(t, c, d, 2)

	seq := c.Delivery(first(v), 2, start)
	c.Send(seq)
	c.Send(seq)
	wantApplied(t, c, seq, 1) // one at a time, copies are deduplicated
}

// outOfOrder serves fault for eSIMfly's default variant and returns the
// client, two deliveries of one life, esim.activated (newer) and
// order.completed (older: its eSIM status is "new"), and the eSIM's ICCID.
func outOfOrder(t *testing.T, fault string) (c *receivertest.Client, newer, older *providers.Delivery, iccid string) {
	t.Helper()
	v := receivertest.Variant(t, "esimfly", "")
	c = serve(t, fault, v)
	activated, _ := v.Event("esim.activated")
	completed, _ := v.Event("order.completed")
	newer = c.Delivery(activated, 1, start)
	return c, newer, c.Delivery(completed, 1, start), activated.Effects(newer.Payload)[0].ID
}

func TestLastArrivalWins(t *testing.T) {
	c, newer, older, iccid := outOfOrder(t, "last-arrival-wins")
	c.Send(newer)
	c.Send(older)
	if st, _ := c.Status(iccid); st != "new" {
		t.Errorf("eSIM status %q, want the late older event's \"new\"", st)
	}
}

func TestMalformed500(t *testing.T) {
	for _, pv := range [][2]string{{"roamify", ""}, {"airalo", ""}} {
		v := receivertest.Variant(t, pv[0], pv[1])
		c := serve(t, "malformed-500", v)
		d := *c.Delivery(first(v), 1, start)
		d.Body = d.Body[:len(d.Body)/2]
		raw := c.Signer
		if v.Signature.Message != "raw" {
			// As the conformance suite does: the provider's header and
			// hash over the raw bytes, which is all a non-JSON body has.
			spec := v.Signature
			var err error
			raw, err = signing.New(signing.Spec{Scheme: spec.Scheme, Hash: spec.Hash, Header: spec.Header,
				Prefix: spec.Prefix, Message: signing.MessageRaw}, "any")
			if err != nil {
				t.Fatal(err)
			}
		}
		wantStatus(t, v.ID()+" malformed", c.Do(http.MethodPost, c.Headers(&d, raw), d.Body), http.StatusInternalServerError)
	}
}

func TestNoBodyCap(t *testing.T) {
	v := receivertest.Variant(t, "roamify", "")
	c := serve(t, "no-body-cap", v)
	d := *c.Delivery(first(v), 1, start)
	d.Body = append(d.Body, bytes.Repeat([]byte(" "), 5<<20)...)
	wantStatus(t, "5 MiB", c.Do(http.MethodPost, c.Headers(&d, c.Signer), d.Body), http.StatusOK)
}

func TestNoReplayCheck(t *testing.T) {
	st := receivertest.Variant(t, "simplifytrip", "")
	c := serve(t, "no-replay-check", st)
	ev := first(st)
	stale := c.Delivery(ev, 1, time.Now().Add(-48*time.Hour-ev.At.D()))
	wantStatus(t, "simplifytrip createdAt 48 h ago", c.Send(stale), http.StatusOK)

	sw := receivertest.Variant(t, "standard", "")
	c = serve(t, "no-replay-check", sw)
	c.Now = func() time.Time { return time.Now().Add(-time.Hour) }
	wantStatus(t, "standard signed an hour ago", c.Send(c.Delivery(first(sw), 1, start)), http.StatusOK)
}

func TestFailsRegistrationCheck(t *testing.T) {
	v := receivertest.Variant(t, "airalo", "")
	c := serve(t, "fails-registration-check", v)
	wantStatus(t, "airalo HEAD", c.Do(http.MethodHead, nil, nil), http.StatusMethodNotAllowed)

	v = receivertest.Variant(t, "esimaccess", "api-reference")
	c = serve(t, "fails-registration-check", v)
	check, err := v.Event(v.Registration.Event)
	if err != nil {
		t.Fatal(err)
	}
	wantStatus(t, "CHECK_HEALTH", c.Send(c.Delivery(check, 1, start)), http.StatusBadRequest)
}

func TestRejectsOutOfOrder(t *testing.T) {
	c, newer, older, iccid := outOfOrder(t, "rejects-out-of-order")
	wantStatus(t, "newer", c.Send(newer), http.StatusOK)
	wantStatus(t, "older", c.Send(older), http.StatusConflict)
	wantStatus(t, "newer again", c.Send(newer), http.StatusOK)
	if st, _ := c.Status(iccid); st != "activated" {
		t.Errorf("eSIM status %q, want activated", st)
	}
}

func TestRejectedEventSparesOtherRequirements(t *testing.T) {
	for _, tc := range []struct{ provider, variant, want string }{
		{"esimfly", "", "topup.failed"},
		{"simplifytrip", "", "RETURN_REQUEST_STATUS"},
		{"airalo", "", "credit_limit"},
		{"esimfly", "2026-04", ""},
	} {
		v := receivertest.Variant(t, tc.provider, tc.variant)
		got := ""
		if e := faulty.RejectedEvent(v); e != nil {
			got = e.Name
		}
		if got != tc.want {
			t.Errorf("%s: RejectedEvent %q, want %q", v.ID(), got, tc.want)
		}
	}
}

func TestRejectsOneEventType(t *testing.T) {
	v := receivertest.Variant(t, "esimfly", "")
	c := serve(t, "rejects-one-event-type", v)
	d := c.Delivery(faulty.RejectedEvent(v), 1, start)
	wantStatus(t, d.Event.Name, c.Send(d), http.StatusUnprocessableEntity)
	wantApplied(t, c, d, 0)
}
