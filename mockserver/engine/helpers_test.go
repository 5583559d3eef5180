package engine

import (
	"bytes"
	"context"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/esimhooks/esimhooks/mockserver/mockservertest"
	"github.com/esimhooks/esimhooks/providers"
	"github.com/esimhooks/esimhooks/providers/payload"
)

// engEventually is mockservertest.Eventually.
func engEventually(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	mockservertest.Eventually(t, timeout, what, cond)
}

// engHit is one request a test receiver got.
type engHit struct {
	n      int // 1-based arrival number
	at     time.Time
	header http.Header
	body   []byte
}

// engReceiver is a test webhook receiver on 127.0.0.1 whose answer to the
// n-th request is given by answer (nil answers 200).
type engReceiver struct {
	srv    *httptest.Server
	answer func(n int, w http.ResponseWriter, r *http.Request)

	mu   sync.Mutex
	hits []engHit
	got  chan engHit
}

func newEngReceiver(t testing.TB, answer func(n int, w http.ResponseWriter, r *http.Request)) *engReceiver {
	t.Helper()
	rc := &engReceiver{answer: answer, got: make(chan engHit, 4096)}
	rc.srv = httptest.NewServer(http.HandlerFunc(rc.serve))
	t.Cleanup(rc.srv.Close)
	return rc
}

func (rc *engReceiver) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	rc.mu.Lock()
	h := engHit{n: len(rc.hits) + 1, at: time.Now(), header: r.Header.Clone(), body: body}
	rc.hits = append(rc.hits, h)
	rc.mu.Unlock()
	select {
	case rc.got <- h:
	default:
	}
	if rc.answer != nil {
		rc.answer(h.n, w, r)
		return
	}
	w.WriteHeader(http.StatusOK)
}

func (rc *engReceiver) count() int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return len(rc.hits)
}

func (rc *engReceiver) all() []engHit {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]engHit(nil), rc.hits...)
}

// engFailFirst answers status to the first k requests and 200 afterwards.
func engFailFirst(k, status int) func(int, http.ResponseWriter, *http.Request) {
	return func(n int, w http.ResponseWriter, _ *http.Request) {
		if n <= k {
			w.WriteHeader(status)
			return
		}
		w.WriteHeader(http.StatusOK)
	}
}

// engFastCatalogue returns the shipped catalogue plus "fast", a copy of the
// standard profile whose ack deadline is 300 ms and whose retry schedule
// is 0, 50 ms, 50 ms.
func engFastCatalogue(t testing.TB) *providers.Catalogue {
	t.Helper()
	b, err := os.ReadFile("../../providers/profiles/standard.yaml")
	if err != nil {
		t.Fatal(err)
	}
	s := strings.Replace(string(b), "name: standard", "name: fast", 1)
	s = strings.Replace(s, "deadline: 5s", "deadline: 300ms", 1)
	s = strings.Replace(s, "schedule: [0s, 5s, 5m, 30m, 2h, 5h, 10h, 10h]", "schedule: [0s, 50ms, 50ms]", 1)
	p, err := providers.Parse("fast.yaml", []byte(s), nil)
	if err != nil {
		t.Fatal(err)
	}
	cat, err := providers.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	if err := cat.Add(p); err != nil {
		t.Fatal(err)
	}
	return cat
}

// engTestEngine builds and starts an engine on a memory store (unless cfg
// has one) and closes it when the test ends.
func engTestEngine(t testing.TB, cfg EngineConfig) *Engine {
	t.Helper()
	if cfg.Catalogue == nil {
		cfg.Catalogue = providers.MustBuiltin()
	}
	if cfg.Store == nil {
		cfg.Store = NewMemoryStore()
	}
	if cfg.Seed == 0 {
		cfg.Seed = 42
	}
	e, err := NewEngine(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

var engEpSeq struct {
	sync.Mutex
	n int
}

// engAddEndpoint registers an endpoint of provider (and variant) at url with
// a fresh secret.
func engAddEndpoint(t testing.TB, e *Engine, provider, variant, url string, chaos Chaos) *Endpoint {
	t.Helper()
	v, err := e.cat.Variant(provider, variant)
	if err != nil {
		t.Fatal(err)
	}
	secret, err := v.NewSecret(rand.NewChaCha8([32]byte{1}))
	if err != nil {
		t.Fatal(err)
	}
	engEpSeq.Lock()
	engEpSeq.n++
	id := "ep" + string(rune('a'+engEpSeq.n%26)) + strings.Repeat("x", engEpSeq.n/26)
	engEpSeq.Unlock()
	ep := &Endpoint{ID: id, URL: url, Provider: provider, Variant: variant, Secret: secret, Chaos: chaos,
		Source: "api", CreatedAt: time.Now(), UpdatedAt: time.Now()}
	if err := e.store.PutEndpoint(context.Background(), ep); err != nil {
		t.Fatal(err)
	}
	return ep
}

// engTrigger sends event to the endpoints and returns the result.
func engTrigger(t testing.TB, e *Engine, provider, event string, eps ...*Endpoint) *TriggerResult {
	t.Helper()
	tr := Trigger{Provider: provider, Event: event}
	for _, ep := range eps {
		tr.EndpointIDs = append(tr.EndpointIDs, ep.ID)
	}
	res, err := e.Trigger(context.Background(), tr)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// engDelivery reads delivery id from the engine's store.
func engDelivery(t testing.TB, e *Engine, id string) *Delivery {
	t.Helper()
	d, err := e.store.GetDelivery(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// engAttempts lists the attempts of delivery id.
func engAttempts(t testing.TB, e *Engine, id string) []*Attempt {
	t.Helper()
	as, err := e.store.ListAttempts(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return as
}

// engWaitState waits until delivery id leaves StatePending and returns it.
func engWaitState(t testing.TB, e *Engine, id string, timeout time.Duration) *Delivery {
	t.Helper()
	var d *Delivery
	engEventually(t, timeout, "delivery "+id+" to finish", func() bool {
		d = engDelivery(t, e, id)
		return d.State != StatePending
	})
	return d
}

// nextDue returns the earliest due time in the scheduler's heap.
func (s *scheduler) nextDue() (time.Time, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	best := int64(0)
	ok := false
	for _, due := range s.tracked {
		if due == stateBlocked || due == stateInflight {
			continue
		}
		if !ok || due < best {
			best, ok = due, true
		}
	}
	return time.Unix(0, best), ok
}

// engDrive runs a fake-clock engine until done holds: whenever no attempt is
// in flight it moves the clock to the next due time.
func engDrive(t testing.TB, e *Engine, fc *FakeClock, timeout time.Duration, done func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(200 * time.Microsecond)
	defer tick.Stop()
	for !done() {
		if time.Now().After(deadline) {
			t.Fatalf("drive: not done after %v (pending %d)", timeout, e.Pending())
		}
		if e.sched.busy() == 0 {
			if due, ok := e.sched.nextDue(); ok && due.After(fc.Now()) {
				fc.Set(due)
			}
		}
		<-tick.C
	}
}

// engCheckNoLeak fails t if the number of goroutines does not come back to
// at most before.
func engCheckNoLeak(t testing.TB, before int) {
	t.Helper()
	var now int
	deadline := time.Now().Add(5 * time.Second)
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for {
		now = runtime.NumGoroutine()
		if now <= before {
			return
		}
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			n := runtime.Stack(buf, true)
			t.Fatalf("goroutines: %d before, %d after\n%s", before, now, bytes.TrimSpace(buf[:n]))
		}
		<-tick.C
	}
}

// engPayloadWorld returns a fixed World for generating test payloads.
func engPayloadWorld() *payload.World { return payload.NewWorld(1, payload.Epoch) }

// engHeapInUse returns the live heap after a full collection.
func engHeapInUse() int64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc)
}

func engKeepAlive(x any) { runtime.KeepAlive(x) }
