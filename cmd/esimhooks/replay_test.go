package main

import (
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	refreceiver "github.com/esimhooks/esimhooks/examples/receiver/receiver"
	"github.com/esimhooks/esimhooks/providers"
)

// referenceReceiver serves the reference receiver (which keeps each
// provider's replay window) for v on a loopback port.
func referenceReceiver(t *testing.T, v *providers.Variant, secret string) string {
	t.Helper()
	r, err := refreceiver.New(refreceiver.Config{Variant: v, Secret: secret})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(r)
	t.Cleanup(func() { srv.Close(); r.Close() })
	return srv.URL
}

// TestSeededSendsAreNotReplays: send --seed signs at the current time, so
// a Standard Webhooks receiver (5-minute tolerance) accepts it; a
// SimplifyTrip event keeps the seed's life, whose createdAt a receiver
// rejects as a replay, and send says so beforehand; --now now sends the
// same ids fresh.
func TestSeededSendsAreNotReplays(t *testing.T) {
	cat := providers.MustBuiltin()
	std, _ := cat.Variant("standard", "")
	stdSecret := "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	url := referenceReceiver(t, std, stdSecret)
	code, out, errs := cli(t, "", "send", "--provider", "standard", "--event", "order.completed", "--seed", "42", "--secret", stdSecret, "--to", url)
	if code != 0 || strings.Contains(errs, "replay") {
		t.Errorf("standard --seed: exit %d\n%s%s", code, out, errs)
	}
	// A dry run signs now too, unless --now fixes the life.
	before := time.Now().Unix()
	_, out, errs = cli(t, "", "send", "--provider", "standard", "--event", "order.completed", "--seed", "42", "--secret", stdSecret, "--dry-run")
	if ts := header(out, "Webhook-Timestamp"); ts < before || ts > time.Now().Unix() || strings.Contains(errs, "replay") {
		t.Errorf("dry run signed at %d, want now (%d…); stderr %s", ts, before, errs)
	}
	_, out, errs = cli(t, "", "send", "--provider", "standard", "--event", "order.completed", "--seed", "42", "--secret", stdSecret, "--dry-run", "--now", "2026-01-15T09:30:00Z")
	if ts := header(out, "Webhook-Timestamp"); ts != time.Date(2026, 1, 15, 9, 30, 15, 0, time.UTC).Unix() {
		t.Errorf("dry run with --now signed at %d, want the event's time in the life", ts)
	}
	if !strings.Contains(errs, "warning: standard@v1 receivers accept an event only within 5m of its replay time, webhook-timestamp (the signing time)") {
		t.Errorf("no replay warning for a stale dry run: %s", errs)
	}

	st, _ := cat.Variant("simplifytrip", "")
	url = referenceReceiver(t, st, "ck_test_secret")
	send := func(extra ...string) (int, string, string) {
		return cli(t, "", append([]string{"send", "--provider", "simplifytrip", "--event", "PURCHASE_ORDER_SUCCESS", "--seed", "4", "--secret", "ck_test_secret", "--to", url}, extra...)...)
	}
	code, out, errs = send()
	if code != 1 || !strings.Contains(out, " 400 in ") {
		t.Errorf("a stale createdAt was not rejected: exit %d\n%s", code, out)
	}
	for _, want := range []string{"/createdAt (the event's own time)", "2026-01-15T09:30:20Z", "a correct receiver rejects it as a replay", "add --now now"} {
		if !strings.Contains(errs, want) {
			t.Errorf("the warning lacks %q: %s", want, errs)
		}
	}
	code, out, errs = send("--now", "now")
	if code != 0 || strings.Contains(errs, "replay") {
		t.Errorf("--now now: exit %d\n%s%s", code, out, errs)
	}
}

// header returns a numeric header of a dry run's output.
func header(out, name string) int64 {
	for _, l := range strings.Split(out, "\n") {
		if v, ok := strings.CutPrefix(l, name+": "); ok {
			n, _ := strconv.ParseInt(v, 10, 64)
			return n
		}
	}
	return -1
}
