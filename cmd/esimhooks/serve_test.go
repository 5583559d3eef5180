package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/esimhooks/esimhooks/mockserver/api"
)

// TestMain lets a test re-run this binary as "esimhooks ARGS…" in a child
// process, so that the child can be killed with SIGKILL.
func TestMain(m *testing.M) {
	if args := os.Getenv("ESIMHOOKS_CHILD_ARGS"); args != "" {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		code := run(ctx, &env{os.Stdin, os.Stdout, os.Stderr, os.Getenv}, strings.Split(args, "\x1f"))
		stop()
		os.Exit(code)
	}
	os.Exit(m.Run())
}

// child is "esimhooks serve" running in another process.
type child struct {
	cmd *exec.Cmd
	url string
}

func startServe(t *testing.T, args ...string) *child {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "ESIMHOOKS_CHILD_ARGS="+strings.Join(append([]string{"serve"}, args...), "\x1f"))
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c := &child{cmd: cmd}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if _, u, ok := strings.Cut(sc.Text(), "listening on "); ok {
			c.url = strings.TrimSpace(u)
			break
		}
	}
	if c.url == "" {
		t.Fatal("serve printed no URL")
	}
	go io.Copy(io.Discard, out)
	return c
}

func apiPost(t *testing.T, url string, body any) map[string]any {
	t.Helper()
	b, _ := json.Marshal(body)
	resp, err := http.Post(url, "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	json.NewDecoder(resp.Body).Decode(&out)
	if resp.StatusCode >= 300 {
		t.Fatalf("POST %s: %d %v", url, resp.StatusCode, out)
	}
	return out
}

// eventually polls cond every 10 ms until it holds or the deadline passes.
func eventually(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.NewTimer(d)
	defer deadline.Stop()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case <-deadline.C:
			t.Fatalf("timed out after %s waiting for %s", d, what)
		case <-tick.C:
		}
	}
}

// TestPendingDeliveriesSurviveKill9 leaves 3,000 Standard Webhooks
// deliveries (600 under -race) to four endpoints pending with retries
// against a failing receiver, lets the receiver recover, kills the server
// with SIGKILL while it drains them,
// starts it again on the same SQLite file and checks that every delivery
// arrives (0 lost) and that the receiver saw at most the documented number
// of duplicates: the attempts in flight or awaiting their deferred write at
// the kill (workers + maxDeferred, see engine.CommitWaiter).
func TestPendingDeliveriesSurviveKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("starts server processes")
	}
	const (
		endpoints = 4
		// maxDups is the bound on duplicates a kill can cause: 64 workers
		// plus 1024 deferred final writes.
		maxDups = 64 + 1024
	)
	// 750 triggers × 4 endpoints = 3,000 deliveries; under the race
	// detector, whose server child runs several times slower, a fifth.
	triggers := 750
	if raceEnabled {
		triggers = 150
	}
	n := endpoints * triggers
	var failing atomic.Bool
	failing.Store(true)
	var mu sync.Mutex
	attempts := map[string]int{}
	delivered := map[string]int{} // 2xx answers per delivery
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		// A delivery: its endpoint and its webhook-id (the same on every
		// attempt, different for every trigger).
		k := r.URL.Path + " " + r.Header.Get("webhook-id")
		fail := failing.Load()
		mu.Lock()
		attempts[k]++
		if !fail {
			delivered[k]++
		}
		mu.Unlock()
		if fail {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	defer rcv.Close()
	count := func(m map[string]int) int { mu.Lock(); defer mu.Unlock(); return len(m) }

	db := filepath.Join(t.TempDir(), "log.db")
	// Standard Webhooks retries after 5s, 5m, 30m, 2h, 5h, 10h, 10h; at
	// 0.001 a delivery keeps retrying for about 100 s, so none exhausts its
	// retries before the receiver recovers, even on a loaded machine under
	// -race, and none waits more than 36 s for its next attempt.
	args := []string{"--store", "sqlite", "--db", db, "--addr", "127.0.0.1:0", "--time-scale", "0.001", "--log-level", "error"}
	a := startServe(t, args...)
	for i := range endpoints {
		apiPost(t, a.url+"/api/endpoints", map[string]any{"url": fmt.Sprintf("%s/e%d", rcv.URL, i), "provider": "standard"})
	}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			// Not apiPost: t.Fatal must not run on this goroutine.
			for i := g; i < triggers; i += 4 {
				resp, err := http.Post(a.url+"/api/triggers", "application/json",
					strings.NewReader(`{"provider":"standard","event":"order.created"}`))
				if err != nil {
					t.Error(err)
					return
				}
				resp.Body.Close()
				if resp.StatusCode != http.StatusAccepted {
					t.Errorf("trigger: status %d", resp.StatusCode)
					return
				}
			}
		})
	}
	wg.Wait()
	eventually(t, 60*time.Second, "every delivery's first (failing) attempt", func() bool { return count(attempts) == n })
	// The receiver recovers; kill the server while it drains the retries.
	failing.Store(false)
	eventually(t, 60*time.Second, "the drain to start", func() bool { return count(delivered) >= n/10 })
	if err := a.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	a.cmd.Wait()
	atKill := count(delivered)

	b := startServe(t, args...)
	eventually(t, 60*time.Second, "every delivery after the restart", func() bool { return count(delivered) == n })
	// The receiver sees a request before the server records its outcome:
	// wait for the log to show none pending.
	eventually(t, 30*time.Second, "no delivery pending in the log", func() bool {
		resp, err := http.Get(b.url + "/api/deliveries?state=pending&limit=1")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var list struct {
			Deliveries []map[string]any `json:"deliveries"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&list); err != nil {
			t.Fatal(err)
		}
		return len(list.Deliveries) == 0
	})
	mu.Lock()
	dups := 0
	for _, c := range delivered {
		dups += c - 1
	}
	mu.Unlock()
	t.Logf("%d deliveries, %d delivered before the kill, 0 lost, %d duplicates (bound %d)", n, atKill, dups, maxDups)
	if dups > maxDups {
		t.Errorf("%d duplicates after a kill; the bound is %d", dups, maxDups)
	}
	// A graceful stop exits 0.
	b.cmd.Process.Signal(syscall.SIGTERM)
	if err := b.cmd.Wait(); err != nil {
		t.Errorf("serve did not exit cleanly on SIGTERM: %v", err)
	}
}

// TestServeAndTail starts serve in-process, follows it with tail and sees
// a triggered delivery's attempt.
func TestServeAndTail(t *testing.T) {
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(200) }))
	defer rcv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	var errb bytes.Buffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, &env{strings.NewReader(""), pw, &errb, func(string) string { return "" }},
			[]string{"serve", "--store", "memory", "--addr", "127.0.0.1:0"})
		pw.Close()
	}()
	sc := bufio.NewScanner(pr)
	var base string
	var banner []string
	for sc.Scan() {
		banner = append(banner, sc.Text())
		if strings.HasPrefix(sc.Text(), "  delivery log") {
			break
		}
		if _, u, ok := strings.Cut(sc.Text(), "listening on "); ok {
			base = u
		}
	}
	go io.Copy(io.Discard, pr)
	text := strings.Join(banner, "\n")
	for _, want := range []string{"dashboard", "/api/openapi.yaml", "/metrics", "/healthz", "memory"} {
		if !strings.Contains(text, want) {
			t.Errorf("banner lacks %q:\n%s", want, text)
		}
	}
	tailOut := &lockedBuffer{}
	tailCtx, stopTail := context.WithCancel(ctx)
	tailDone := make(chan int, 1)
	go func() {
		tailDone <- run(tailCtx, &env{strings.NewReader(""), tailOut, io.Discard, func(string) string { return "" }},
			[]string{"tail", "--server", base, "--provider", "roamify"})
	}()
	ep := apiPost(t, base+"/api/endpoints", map[string]any{"url": rcv.URL, "provider": "roamify", "secret": "s"})
	// tail may connect after the first trigger: keep triggering until it shows one.
	eventually(t, 20*time.Second, "tail to print an attempt", func() bool {
		apiPost(t, base+"/api/triggers", map[string]any{"provider": "roamify", "event": "esim/esim_status", "endpoint_ids": []any{ep["id"]}})
		return strings.Contains(tailOut.String(), "roamify@overview esim/esim_status")
	})
	if !strings.Contains(tailOut.String(), " 200 ") || !strings.Contains(tailOut.String(), "delivered") {
		t.Errorf("tail output: %s", tailOut.String())
	}
	stopTail()
	if code := <-tailDone; code != 0 {
		t.Errorf("tail exit %d", code)
	}
	cancel()
	if code := <-done; code != 0 {
		t.Errorf("serve exit %d: %s", code, errb.String())
	}
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}
func (l *lockedBuffer) String() string { l.mu.Lock(); defer l.mu.Unlock(); return l.b.String() }

// TestServeTokenRules: serve refuses a blank, short or padded token with
// exit 2 and a message naming --token, before it listens; with a good one
// --print-credentials prints the derived provider credentials.
func TestServeTokenRules(t *testing.T) {
	for _, tok := range []string{" ", "x", "fifteen-chars-x", " sixteen-chars-xx"} {
		code, out, errs := cli(t, "", "serve", "--store", "memory", "--addr", "127.0.0.1:0", "--token", tok)
		if code != 2 || !strings.Contains(errs, "--token") || strings.Contains(out, "listening") {
			t.Errorf("--token %q: exit %d\n%s%s", tok, code, out, errs)
		}
	}
	code, out, errs := cli(t, "", "serve", "--token", "sixteen-chars-xx", "--print-credentials")
	c := api.DeriveCredentials("sixteen-chars-xx")
	if code != 0 || !strings.Contains(out, "client_id="+c.Airalo.ClientID) || !strings.Contains(out, "RT-SecretKey="+c.Esimaccess.SecretKey) ||
		!strings.Contains(out, c.Esimfly.SecretKey) {
		t.Errorf("--print-credentials: exit %d\n%s%s", code, out, errs)
	}
	if code, _, errs := cli(t, "", "serve", "--print-credentials"); code != 2 || !strings.Contains(errs, "needs --token") {
		t.Errorf("--print-credentials without a token: exit %d %s", code, errs)
	}
}
