package receiver_test

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/esimhooks/esimhooks/examples/receiver/receiver/receivertest"
	"github.com/esimhooks/esimhooks/providers"
)

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// orderRule returns an event of v with its own time and the path of a
// status field one of its resource rules reads (the first element's, for
// a rule over an array), so a test can set the status.
func orderRule(v *providers.Variant) (*providers.Event, string, bool) {
	for _, ev := range v.Public() {
		if ev.Time == "" {
			continue
		}
		for _, r := range ev.Resources {
			if !strings.HasPrefix(r.Status, "=") {
				return ev, strings.ReplaceAll(r.Status, "*", "0"), true
			}
		}
	}
	return nil, "", false
}

// statusOf returns the id of the resource d moves to status want.
func statusOf(t *testing.T, d *providers.Delivery, want string) string {
	t.Helper()
	for _, e := range d.Event.Effects(d.Payload) {
		if e.Status == want {
			return e.ID
		}
	}
	t.Fatalf("%s moves no resource to %q", d.Event.Name, want)
	return ""
}

// uniqueKey returns the override that gives a delivery its own idempotency
// key where the key is a body field (it is a header or the body's hash
// otherwise, which differ anyway).
func uniqueKey(v *providers.Variant, ev *providers.Event, key string) []providers.Override {
	if ks := v.KeySpec(ev); ks.From == "body" {
		return []providers.Override{{Path: ks.Name, Raw: key}}
	}
	return nil
}

func TestOlderEventNeverOverwritesNewer(t *testing.T) {
	forEachVariant(t, func(t *testing.T, v *providers.Variant) {
		ev, status, ok := orderRule(v)
		if !ok {
			t.Skip("no event with its own time moves a resource to a status it names")
		}
		for _, newerFirst := range []bool{true, false} {
			c := serve(t, v, nil)
			newer := c.Delivery(ev, 21, start.Add(time.Hour),
				append(uniqueKey(v, ev, "key-newer"), providers.Override{Path: status, Raw: "NEWER"})...)
			older := c.Delivery(ev, 21, start,
				append(uniqueKey(v, ev, "key-older"), providers.Override{Path: status, Raw: "OLDER"})...)
			order := []*providers.Delivery{older, newer}
			if newerFirst {
				order = []*providers.Delivery{newer, older}
			}
			for _, d := range order {
				if st := c.Send(d); st != http.StatusOK {
					t.Fatalf("status %d, want 200", st)
				}
			}
			id := statusOf(t, newer, "NEWER")
			if st, _ := c.Status(id); st != "NEWER" {
				t.Errorf("newer first %v: %s has status %q, want NEWER", newerFirst, id, st)
			}
			if n := c.Applied(older.Key()); n != 1 {
				t.Errorf("the older event counts %d applications, want 1 (applied, its status superseded)", n)
			}
		}
	})
}

func TestLateOrderCompletedKeepsActivatedESIM(t *testing.T) {
	// eSIMfly: order.completed (15 s into the life) says the eSIM is
	// "new"; esim.activated (2 h) says "activated". Delivered late, the
	// older event must not win.
	v := receivertest.Variant(t, "esimfly", "")
	c := serve(t, v, nil)
	activated, err := v.Event("esim.activated")
	if err != nil {
		t.Fatal(err)
	}
	completed, err := v.Event("order.completed")
	if err != nil {
		t.Fatal(err)
	}
	a, o := c.Delivery(activated, 22, start), c.Delivery(completed, 22, start)
	for _, d := range []*providers.Delivery{a, o} {
		if st := c.Send(d); st != http.StatusOK {
			t.Fatalf("%s: status %d", d.Event.Name, st)
		}
	}
	iccid := a.Event.Effects(a.Payload)[0].ID
	if st, _ := c.Status(iccid); st != "activated" {
		t.Errorf("eSIM %s: status %q, want activated", iccid, st)
	}
	orderID := o.Event.Effects(o.Payload)[0].ID
	if st, _ := c.Status(orderID); st != "completed" {
		t.Errorf("order %s: status %q, want completed", orderID, st)
	}
}

func TestProbeEscapedKeys(t *testing.T) {
	v := receivertest.Variant(t, "simplifytrip", "")
	c := serve(t, v, nil)
	ev := v.Public()[0]
	key := "evt/with spaces?and%percent"
	d := c.Delivery(ev, 23, start, providers.Override{Path: "/id", Raw: key}, providers.Override{Path: "/data/orderId", Raw: "ST/0001 x"})
	if st := c.Send(d); st != http.StatusOK {
		t.Fatalf("status %d", st)
	}
	if n := c.Applied(key); n != 1 {
		t.Errorf("probe for %q: applied %d, want 1", key, n)
	}
	if st, ok := c.Status("ST/0001 x"); !ok || st != "SUCCESS" {
		t.Errorf("probe for an escaped id: %q %v", st, ok)
	}
	for path, want := range map[string]int{
		"/probe/events/never-sent":                  http.StatusNotFound,
		"/probe/resources/" + url.PathEscape("nil"): http.StatusNotFound,
		"/probe/elsewhere":                          http.StatusNotFound,
	} {
		resp, err := http.Get(strings.TrimSuffix(c.Probe, "/probe") + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("GET %s: %d, want %d", path, resp.StatusCode, want)
		}
	}
	resp, err := http.Post(c.Probe+"/events/"+url.PathEscape(key), "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST to the probe: %d, want 405", resp.StatusCode)
	}
}
