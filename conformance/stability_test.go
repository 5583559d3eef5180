package conformance_test

import (
	"context"
	"os"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/esimhooks/esimhooks/conformance/conformancetest"
	"github.com/esimhooks/esimhooks/examples/receiver/receiver"
	"github.com/esimhooks/esimhooks/examples/receiver/receiver/receivertest"
	"github.com/esimhooks/esimhooks/providers"
)

// TestStability is the "no false failure on a loaded 2-core machine"
// check: it runs the suite against the correct receiver of every default
// variant ESIMHOOKS_STABILITY_RUNS times (20 for the release check), two
// child runs at a time while busy goroutines keep every core loaded, and
// fails on any failed requirement. It is skipped unless the variable is
// set:
//
//	ESIMHOOKS_STABILITY_RUNS=20 go test ./conformance -run TestStability -timeout 30m
func TestStability(t *testing.T) {
	runs, _ := strconv.Atoi(os.Getenv("ESIMHOOKS_STABILITY_RUNS"))
	if runs <= 0 {
		t.Skip("set ESIMHOOKS_STABILITY_RUNS=20 to run")
	}
	stop := make(chan struct{})
	var load sync.WaitGroup
	for range runtime.NumCPU() {
		load.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
					for i := 0; i < 1e5; i++ {
						_ = i * i
					}
				}
			}
		})
	}
	defer func() { close(stop); load.Wait() }()
	sem := make(chan struct{}, 2)
	for i := range runs {
		for _, p := range providers.MustBuiltin().Defaults() {
			t.Run(p.ID()+"#"+strconv.Itoa(i), func(t *testing.T) {
				t.Parallel()
				sem <- struct{}{}
				defer func() { <-sem }()
				secret := receivertest.Secret(t, p)
				rcv, err := receiver.New(receiver.Config{Variant: p, Secret: secret})
				if err != nil {
					t.Fatal(err)
				}
				c := receivertest.Serve(t, p, secret, rcv)
				res := conformancetest.Run(context.Background(), t, conformancetest.Options{Provider: p.Provider.Name, Variant: p.Name,
					Target: c.Hook, Secret: secret, Probe: c.Probe, Strict: true, Timeout: 2 * time.Minute})
				if res.Code != 0 {
					t.Errorf("exit %d:\n%s", res.Code, res.Stderr)
				}
			})
		}
	}
}
