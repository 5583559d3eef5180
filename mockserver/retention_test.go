package mockserver

import (
	"bytes"
	"fmt"
	"net/http"
	"testing"
	"time"
)

func TestParseRetention(t *testing.T) {
	day := 24 * time.Hour
	for _, c := range []struct {
		in   string
		want Retention
		str  string
	}{
		{"off", Retention{}, "off"},
		{"0", Retention{}, "off"},
		{"30d", Retention{MaxAge: 30 * day}, "30d"},
		{"12h", Retention{MaxAge: 12 * time.Hour}, "12h0m0s"},
		{"20000", Retention{MaxCount: 20000}, "20000"},
		{"7d,100000", Retention{MaxAge: 7 * day, MaxCount: 100000}, "7d,100000"},
		{" 100000 , 90m ", Retention{MaxAge: 90 * time.Minute, MaxCount: 100000}, "1h30m0s,100000"},
	} {
		got, err := ParseRetention(c.in)
		if err != nil || got != c.want || got.String() != c.str {
			t.Errorf("ParseRetention(%q) = %+v (%s), %v; want %+v (%s)", c.in, got, got, err, c.want, c.str)
		}
		if again, err := ParseRetention(got.String()); err != nil || again != got {
			t.Errorf("ParseRetention(%q) (its own String) = %+v, %v; want %+v", got.String(), again, err, got)
		}
	}
	for _, bad := range []string{"", "-1", "1,2", "7d,8d", "7d,1,2", "soon", "-5h", "0s", "36501d", "1000000001", "7x"} {
		if r, err := ParseRetention(bad); err == nil {
			t.Errorf("ParseRetention(%q) = %+v, want an error", bad, r)
		}
	}
}

func TestServerPrunesContinuously(t *testing.T) {
	st := NewMemoryStore()
	s := newTestServer(t, func(c *Config) {
		c.Store = st
		c.Retention = Retention{MaxCount: 5, Interval: 5 * time.Millisecond}
	})
	ctx := t.Context()
	// 20 delivered deliveries, the oldest first, then one pending older
	// than all of them: the pruner keeps the pending one, which counts,
	// and the newest 4.
	now := time.Now()
	for i := range 20 {
		d := &Delivery{ID: fmt.Sprintf("d%02d", i), EventID: fmt.Sprintf("e%02d", i), State: StateDelivered, CreatedAt: now.Add(time.Duration(i) * time.Millisecond)}
		if err := st.PutDelivery(ctx, d); err != nil {
			t.Fatal(err)
		}
		if err := st.AddAttempt(ctx, &Attempt{DeliveryID: d.ID, N: 1, Outcome: StateDelivered}, d); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.PutDelivery(ctx, &Delivery{ID: "old-pending", EventID: "ep", State: StatePending, CreatedAt: now.Add(-time.Hour)}); err != nil {
		t.Fatal(err)
	}
	engEventually(t, 10*time.Second, "the pruner to keep 5 with the pending delivery", func() bool {
		ds, err := st.ListDeliveries(ctx, DeliveryFilter{})
		return err == nil && len(ds) <= 5
	})
	ds, err := st.ListDeliveries(ctx, DeliveryFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, d := range ds {
		ids = append(ids, d.ID)
	}
	if want := "[d19 d18 d17 d16 old-pending]"; fmt.Sprint(ids) != want {
		t.Errorf("after pruning: %v, want %s", ids, want)
	}
	// The counters follow each batch (the store changes first).
	var data []byte
	engEventually(t, 10*time.Second, "the pruned counters", func() bool {
		_, _, data = call(t, "GET", s.URL+"/metrics", nil)
		return bytes.Contains(data, []byte("esimhooks_pruned_deliveries_total 16\n"))
	})
	for _, series := range []string{"esimhooks_pruned_deliveries_total 16\n", "esimhooks_pruned_attempts_total 16\n", "esimhooks_log_deliveries 5\n", "esimhooks_log_attempts 4\n"} {
		if !bytes.Contains(data, []byte(series)) {
			t.Errorf("metrics lack %q", series)
		}
	}
	code, _, data := call(t, "GET", s.URL+"/healthz", nil)
	wantStatus(t, code, http.StatusOK, data)
	if m := decode(t, data); m["retention"] != "5" {
		t.Errorf("healthz retention = %v, want \"5\": %s", m["retention"], data)
	}
}
