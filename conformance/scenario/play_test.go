package scenario

import (
	"bytes"
	"context"
	crand "crypto/rand"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/esimhooks/esimhooks/examples/receiver/receiver"
	"github.com/esimhooks/esimhooks/providers"
)

// serve starts the reference receiver for v (broken by faults, if not
// nil) on loopback and returns the target for it. wrap, if not nil, wraps
// the receiver's handler.
func serve(t *testing.T, v *providers.Variant, faults *receiver.Faults, wrap func(http.Handler) http.Handler) Target {
	t.Helper()
	secret := ""
	if v.Signature.Scheme != "none" {
		var err error
		if secret, err = v.NewSecret(crand.Reader); err != nil {
			t.Fatal(err)
		}
	}
	r, err := receiver.New(receiver.Config{Variant: v, Secret: secret, Faults: faults})
	if err != nil {
		t.Fatal(err)
	}
	var h http.Handler = r
	if wrap != nil {
		h = wrap(r)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return Target{URL: srv.URL + "/hook", Secret: secret, Probe: srv.URL + receiver.ProbePrefix}
}

func shipped(t *testing.T, name string) *Scenario {
	t.Helper()
	lib, err := Shipped(providers.MustBuiltin())
	if err != nil {
		t.Fatal(err)
	}
	for _, sc := range lib {
		if sc.Name == name {
			return sc
		}
	}
	t.Fatalf("no shipped scenario %s", name)
	return nil
}

func play(t *testing.T, sc *Scenario, tg Target, opts Options) *Result {
	t.Helper()
	res, err := Play(context.Background(), sc, tg, opts)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func printed(r *Result) string {
	var b bytes.Buffer
	Print(&b, r)
	return b.String()
}

// TestLibraryPassesReferenceReceiver plays every shipped scenario against
// the reference receiver, probe included: each must pass, with no
// expectation skipped.
func TestLibraryPassesReferenceReceiver(t *testing.T) {
	lib, err := Shipped(providers.MustBuiltin())
	if err != nil {
		t.Fatal(err)
	}
	for _, sc := range lib {
		t.Run(sc.Name, func(t *testing.T) {
			t.Parallel()
			res := play(t, sc, serve(t, sc.Variant, nil, nil), Options{})
			_, failed, skipped := res.Count()
			if !res.Passed() || failed+skipped > 0 {
				t.Errorf("%d failed, %d skipped:\n%s", failed, skipped, printed(res))
			}
		})
	}
}

// TestNoDedupFails plays the duplicate storm against a receiver that
// applies every copy: the applied expectation fails with the count.
func TestNoDedupFails(t *testing.T) {
	sc := shipped(t, "esimfly-duplicate-storm")
	res := play(t, sc, serve(t, sc.Variant, &receiver.Faults{NoDedup: true}, nil), Options{})
	if res.Passed() {
		t.Fatalf("passed:\n%s", printed(res))
	}
	storm := res.Steps[1]
	if len(storm.Copies) != 10 {
		t.Fatalf("%d copies", len(storm.Copies))
	}
	var ack, applied Expectation
	for _, e := range storm.Expectations {
		switch e.What {
		case "ack 2xx":
			ack = e
		case "applied 1":
			applied = e
		}
	}
	if ack.Outcome != Passed || ack.Evidence != "200×10" {
		t.Errorf("ack: %+v", ack)
	}
	if applied.Outcome != Failed || applied.Evidence != "expected applied=1, got 10" {
		t.Errorf("applied: %+v", applied)
	}
	out := printed(res)
	for _, want := range []string{"FAIL applied 1: expected applied=1, got 10", "key " + storm.Key, "FAIL esimfly-duplicate-storm"} {
		if !strings.Contains(out, want) {
			t.Errorf("Print lacks %q:\n%s", want, out)
		}
	}
}

// TestCutAfterBody checks the lost ack: the receiver gets the whole body
// of the cut attempt, the player retries with the same body and delivery
// id and a fresh signature, and the event is applied once.
func TestCutAfterBody(t *testing.T) {
	sc := shipped(t, "esimfly-lost-ack")
	type seen struct {
		body []byte
		id   string
		sig  string
	}
	bodies := make(chan seen, 16)
	tg := serve(t, sc.Variant, nil, func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodPost {
				b, err := io.ReadAll(r.Body)
				if err != nil {
					t.Errorf("reading the body: %v", err)
				}
				bodies <- seen{b, r.Header.Get("X-eSIMfly-Delivery-ID"), r.Header.Get("X-eSIMfly-Signature")}
				r.Body = io.NopCloser(bytes.NewReader(b))
			}
			next.ServeHTTP(w, r)
		})
	})
	res := play(t, sc, tg, Options{TimeScale: 0.01})
	if !res.Passed() {
		t.Fatalf("failed:\n%s", printed(res))
	}
	step := res.Steps[1]
	at := step.Copies[0].Attempts
	if len(at) != 2 || !at[0].Cut || at[0].Err != "" || at[0].Status != 0 || at[1].Status != 200 || !at[1].Acked {
		t.Fatalf("attempts: %+v", at)
	}
	var got []seen
	timeout := time.NewTimer(5 * time.Second)
	defer timeout.Stop()
	for len(got) < 3 {
		select {
		case s := <-bodies:
			got = append(got, s)
		case <-timeout.C:
			t.Fatalf("the receiver saw %d requests, want 3", len(got))
		}
	}
	var copies []seen
	for _, s := range got {
		if s.id == step.DeliveryID {
			copies = append(copies, s)
		}
	}
	if len(copies) != 2 || !bytes.Equal(copies[0].body, copies[1].body) || len(copies[0].body) == 0 {
		t.Fatalf("the receiver saw %d complete copies of the cut delivery", len(copies))
	}
	if !strings.Contains(printed(res), "cut after the body → 200 in") {
		t.Errorf("Print:\n%s", printed(res))
	}
}

// TestProgressInOrder checks that Progress gets every step, in order, and
// then the final expectations, each as soon as it is done.
func TestProgressInOrder(t *testing.T) {
	sc := shipped(t, "esimfly-order-life")
	var got []StepResult
	res := play(t, sc, serve(t, sc.Variant, nil, nil), Options{Progress: func(s StepResult) { got = append(got, s) }})
	if len(got) != len(sc.Steps)+1 || len(res.Steps) != len(got) {
		t.Fatalf("%d callbacks, %d results for %d steps", len(got), len(res.Steps), len(sc.Steps))
	}
	for i, s := range got {
		if s.Index != i || s.Final != (i == len(sc.Steps)) || len(s.Expectations) == 0 {
			t.Errorf("callback %d: index %d, final %v, %d expectations", i, s.Index, s.Final, len(s.Expectations))
		}
	}
	if fin := got[len(got)-1]; fin.Label != "final expectations" || len(fin.Expectations) != 2 {
		t.Errorf("final: %+v", fin)
	}
}

// TestWithoutProbe skips the probe expectations and still passes.
func TestWithoutProbe(t *testing.T) {
	sc := shipped(t, "roamify-activation-first")
	tg := serve(t, sc.Variant, nil, nil)
	tg.Probe = ""
	res := play(t, sc, tg, Options{})
	passed, failed, skipped := res.Count()
	if !res.Passed() || failed != 0 || passed != 2 || skipped != 3 {
		t.Fatalf("passed %d, failed %d, skipped %d:\n%s", passed, failed, skipped, printed(res))
	}
	if !strings.Contains(printed(res), "SKIP applied 1: no probe URL given") {
		t.Errorf("Print:\n%s", printed(res))
	}
}

// TestOutOfOrderCaught checks that a receiver letting the last arrival win
// fails the newest-status expectation with evidence.
func TestOutOfOrderCaught(t *testing.T) {
	sc := shipped(t, "esimaccess-activation-first")
	res := play(t, sc, serve(t, sc.Variant, &receiver.Faults{ArrivalOrder: true}, nil), Options{})
	fin := res.Steps[len(res.Steps)-1]
	var evidence []string
	for _, e := range fin.Expectations {
		if e.Outcome == Failed {
			evidence = append(evidence, e.Evidence)
		}
	}
	if len(evidence) != 1 || evidence[0] != "expected ACTIVATED, got GOT_RESOURCE" {
		t.Fatalf("failed final expectations: %q\n%s", evidence, printed(res))
	}
}

// TestStaleReplayRejected checks an expected 4xx: the reference receiver
// rejects the stale SimplifyTrip event, which SimplifyTrip does not retry;
// a receiver without the replay window fails the step.
func TestStaleReplayRejected(t *testing.T) {
	sc := shipped(t, "simplifytrip-stale-replay")
	res := play(t, sc, serve(t, sc.Variant, nil, nil), Options{})
	if at := res.Steps[0].Copies[0].Attempts; !res.Passed() || len(at) != 1 || at[0].Status != http.StatusBadRequest {
		t.Fatalf("against the reference receiver:\n%s", printed(res))
	}
	res = play(t, sc, serve(t, sc.Variant, &receiver.Faults{NoReplayCheck: true}, nil), Options{})
	first := res.Steps[0]
	if res.Passed() || first.Expectations[0].Evidence != "expected 4xx, got 200 (copy 1, attempt 1)" ||
		first.Expectations[1].Evidence != "expected applied=0, got 1" {
		t.Errorf("against a receiver without a window:\n%s", printed(res))
	}
}

// slowProfile is a provider with a 200 ms ack deadline, so that a hanging
// receiver is given up on quickly.
const slowProfile = `
name: slowpoke
title: Slowpoke
variants:
  - name: v1
    source: test
    envelope: "{type, at}"
    encoding: compact
    discriminator: [/type]
    delivery_id: uuid
    headers: [{name: Content-Type, value: application/json}]
    signature: {scheme: none}
    ack: {deadline: 200ms, success: 2xx}
    retry: {schedule: [0s, 10s]}
    idempotency: {from: sha256-body}
    registration: {check: none}
    events:
      - name: ping
        description: A ping.
        time: /at
        resources: [{id: /id, status: "=pinged"}]
        payload: {type: ping, id: "{{id ping P-####}}", at: "{{time iso8601}}"}
`

func slowCatalogue(t *testing.T) *providers.Catalogue {
	t.Helper()
	p, err := providers.Parse("slowpoke.yaml", []byte(slowProfile), nil)
	if err != nil {
		t.Fatal(err)
	}
	cat := providers.MustBuiltin()
	if err := cat.Add(p); err != nil {
		t.Fatal(err)
	}
	return cat
}

func slowScenario(t *testing.T, steps string) *Scenario {
	t.Helper()
	sc, err := Load("slow.yaml", []byte("name: slow\ntitle: Slow\nprovider: slowpoke\nseed: 7\nsteps:\n"+steps), slowCatalogue(t))
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

// TestHostileTargets checks that a receiver that never answers, answers
// headers and then stalls, redirects, or answers a huge body cannot hang
// or flood a run.
func TestHostileTargets(t *testing.T) {
	huge := bytes.Repeat([]byte("x"), 1<<20)
	tests := []struct {
		name     string
		handler  func(release <-chan struct{}) http.HandlerFunc
		evidence string
	}{
		{"never answers", func(release <-chan struct{}) http.HandlerFunc {
			return func(w http.ResponseWriter, r *http.Request) {
				select {
				case <-r.Context().Done():
				case <-release:
				}
			}
		}, "expected 2xx, no answer: no answer within the 200ms ack deadline (copy 1, attempt 1)"},
		{"stalls after the headers", func(release <-chan struct{}) http.HandlerFunc {
			return func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(http.StatusOK)
				w.(http.Flusher).Flush()
				select {
				case <-r.Context().Done():
				case <-release:
				}
			}
		}, "200"},
		{"redirects", func(<-chan struct{}) http.HandlerFunc {
			return func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, "/elsewhere", http.StatusFound)
			}
		}, "expected 2xx, got 302 (copy 1, attempt 1)"},
		{"huge answer", func(<-chan struct{}) http.HandlerFunc {
			return func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write(huge) }
		}, "200"},
	}
	sc := slowScenario(t, "  - {event: ping, retries: 0}\n")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			release := make(chan struct{})
			srv := httptest.NewServer(tt.handler(release))
			defer srv.Close()
			defer close(release)
			start := time.Now()
			res := play(t, sc, Target{URL: srv.URL}, Options{})
			if el := time.Since(start); el > 3*time.Second {
				t.Errorf("the run took %s", el)
			}
			e := res.Steps[0].Expectations[0]
			if e.Evidence != tt.evidence {
				t.Errorf("evidence %q, want %q", e.Evidence, tt.evidence)
			}
			if a := res.Steps[0].Copies[0].Attempts[0]; len(a.Answer) > 210 {
				t.Errorf("answer of %d bytes kept", len(a.Answer))
			}
		})
	}
}

// TestCancelDuringDelay checks that a step's delay is a timer that ends
// with the context, and that the partial result is returned.
func TestCancelDuringDelay(t *testing.T) {
	sc := slowScenario(t, "  - {event: ping}\n  - {event: ping, delay: 1h}\n")
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	start := time.Now()
	res, err := Play(ctx, sc, Target{URL: srv.URL}, Options{TimeScale: 1, Progress: func(StepResult) { cancel() }})
	if !errors.Is(err, context.Canceled) || res == nil || len(res.Steps) != 1 || res.Passed() {
		t.Fatalf("err %v, result %+v", err, res)
	}
	if el := time.Since(start); el > 3*time.Second {
		t.Errorf("the run took %s", el)
	}
}

// TestConcurrentCopiesAtOnce checks that concurrent copies are in flight
// together: the receiver holds each until all ten have arrived.
func TestConcurrentCopiesAtOnce(t *testing.T) {
	sc := slowScenario(t, "  - {event: ping, duplicates: 9, concurrent: true, retries: 0}\n")
	var mu sync.Mutex
	arrived := 0
	all := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		arrived++
		if arrived == 10 {
			close(all)
		}
		mu.Unlock()
		select {
		case <-all:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	res := play(t, sc, Target{URL: srv.URL}, Options{})
	if !res.Passed() {
		t.Fatalf("copies were not in flight together:\n%s", printed(res))
	}
}

// TestPlayRefuses checks the errors that stop a run before it starts.
func TestPlayRefuses(t *testing.T) {
	sc := shipped(t, "esimfly-order-life")
	for _, tt := range []struct {
		tg   Target
		opts Options
		want string
	}{
		{Target{URL: "http://127.0.0.1:1/hook"}, Options{}, "secret is required"},
		{Target{URL: "ftp://x", Secret: "s"}, Options{}, "want an http:// or https:// URL"},
		{Target{URL: "http://127.0.0.1:1/", Secret: "s", Probe: "nope"}, Options{}, "probe URL"},
		{Target{URL: "http://127.0.0.1:1/", Secret: "s"}, Options{TimeScale: -1}, "time scale"},
	} {
		if _, err := Play(context.Background(), sc, tt.tg, tt.opts); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%+v: err %v, want %q", tt.tg, err, tt.want)
		}
	}
}

// TestSettle checks that a probe lagging behind the acknowledgements (a
// receiver that applies events after answering) is polled within Settle,
// and checked once without it.
func TestSettle(t *testing.T) {
	sc := shipped(t, "esimfly-order-life")
	lagging := func(next http.Handler) http.Handler {
		var mu sync.Mutex
		misses := 0
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.HasPrefix(r.URL.Path, receiver.ProbePrefix+"/events/") {
				mu.Lock()
				misses++
				lag := misses%3 != 0 // two misses, then the truth
				mu.Unlock()
				if lag {
					http.NotFound(w, r)
					return
				}
			}
			next.ServeHTTP(w, r)
		})
	}
	if res := play(t, sc, serve(t, sc.Variant, nil, lagging), Options{}); res.Passed() {
		t.Error("a lagging probe passed without Settle")
	}
	res := play(t, sc, serve(t, sc.Variant, nil, lagging), Options{Settle: 5 * time.Second})
	if !res.Passed() {
		t.Errorf("a lagging probe failed within Settle:\n%s", printed(res))
	}
}
