package conformance

import (
	"context"
	"runtime"
	"strings"
	"testing"
	"time"
)

// TestNoGoroutineLeak runs the suite in this process and checks that none
// of its goroutines (requests, bursts, the engine, idle connections)
// outlives Run. Ginkgo's own signal handler goroutines are not ours.
func TestNoGoroutineLeak(t *testing.T) {
	v := variantsDefault()[0]
	secret := secretFor(t, v)
	target, probe := serveReceiver(t, v, secret, nil)
	if _, err := Run(context.Background(), Options{Provider: v.Provider.Name, Target: target, Secret: secret, Probe: probe}); err != nil {
		t.Fatal(err)
	}
	ours := func() []string {
		buf := make([]byte, 1<<20)
		buf = buf[:runtime.Stack(buf, true)]
		var out []string
		for _, g := range strings.Split(string(buf), "\n\n") {
			if strings.Contains(g, "TestNoGoroutineLeak") || strings.Contains(g, "conformance.TestMain") || strings.Contains(g, "httptest") || strings.Contains(g, "net/http.(*conn).serve") {
				continue
			}
			if strings.Contains(g, "esimhooks/conformance.") || strings.Contains(g, "esimhooks/mockserver.") || strings.Contains(g, "net/http.(*persistConn)") {
				out = append(out, g)
			}
		}
		return out
	}
	// Connections close asynchronously; give them a moment, polling.
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	limit := time.After(5 * time.Second)
	for {
		left := ours()
		if len(left) == 0 {
			return
		}
		select {
		case <-tick.C:
		case <-limit:
			t.Fatalf("%d goroutines outlive Run:\n%s", len(left), strings.Join(left, "\n\n"))
		}
	}
}
