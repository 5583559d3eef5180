package conformance

import (
	"context"
	"os"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"
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
		for _, p := range variantsDefault() {
			t.Run(p.ID()+"#"+strconv.Itoa(i), func(t *testing.T) {
				t.Parallel()
				sem <- struct{}{}
				defer func() { <-sem }()
				secret := secretFor(t, p)
				target, probe := serveReceiver(t, p, secret, nil)
				res := runChild(context.Background(), t, childOptions{Provider: p.Provider.Name, Variant: p.Name,
					Target: target, Secret: secret, Probe: probe, Strict: true, Timeout: 2 * time.Minute})
				if res.Code != 0 {
					t.Errorf("exit %d:\n%s", res.Code, res.Stderr)
				}
			})
		}
	}
}
