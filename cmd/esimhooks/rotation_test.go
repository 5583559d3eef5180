package main

import (
	"strings"
	"testing"

	"github.com/esimhooks/esimhooks/providers"
)

// TestSendSignsWithEverySecret: --secret repeated sends one Standard
// Webhooks v1 signature per secret, so a receiver holding only the old key
// and one holding only the new key both verify; a provider with one
// secret refuses a second.
func TestSendSignsWithEverySecret(t *testing.T) {
	const oldKey, newKey = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
	v, _ := providers.MustBuiltin().Variant("standard", "")
	for _, held := range []string{oldKey, newKey} {
		srv, n := receiver(t, v, held, 200)
		code, out, errs := cli(t, "", "send", "--provider", "standard", "--event", "esim.activated", "--to", srv.URL, "--secret", newKey, "--secret", oldKey)
		if code != 0 || n.Load() != 1 {
			t.Errorf("receiver holding one key: exit %d, accepted %d\n%s%s", code, n.Load(), out, errs)
		}
	}
	srv, n := receiver(t, v, "whsec_BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB", 200)
	if code, _, _ := cli(t, "", "send", "--provider", "standard", "--event", "esim.activated", "--to", srv.URL, "--secret", newKey, "--secret", oldKey); code != 1 || n.Load() != 0 {
		t.Errorf("a receiver holding neither key: exit %d, accepted %d", code, n.Load())
	}
	_, out, _ := cli(t, "", "send", "--provider", "standard", "--event", "esim.activated", "--dry-run", "--secret", newKey, "--secret", oldKey)
	var sig string
	for _, l := range strings.Split(out, "\n") {
		sig, _ = strings.CutPrefix(l, "Webhook-Signature: ")
		if sig != l {
			break
		}
	}
	if f := strings.Fields(sig); len(f) != 2 || !strings.HasPrefix(f[0], "v1,") || !strings.HasPrefix(f[1], "v1,") {
		t.Errorf("webhook-signature %q, want two space-separated v1 signatures", sig)
	}
	code, _, errs := cli(t, "", "send", "--provider", "esimfly", "--event", "order.created", "--dry-run", "--secret", "a", "--secret", "b")
	if code != 2 || !strings.Contains(errs, "esimfly@2025-01 signs with one secret") {
		t.Errorf("two secrets for esimfly: exit %d: %s", code, errs)
	}
}
