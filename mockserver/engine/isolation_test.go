package engine

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestDuplicateGroupHoldsNoWorker: with one worker, the copies of a
// concurrent duplicate group wait for each other parked, not on the
// worker: all MaxPerEndpoint of them reach the receiver together (the
// receiver holds every request until the test ends), and meanwhile
// another endpoint's delivery goes out.
func TestDuplicateGroupHoldsNoWorker(t *testing.T) {
	const maxPer = 4
	var (
		mu       sync.Mutex
		inFlight int
		release  = make(chan struct{})
	)
	held := newEngReceiver(t, func(_ int, w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		inFlight++
		mu.Unlock()
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	other := newEngReceiver(t, nil)
	e := engTestEngine(t, EngineConfig{Workers: 1, MaxPerEndpoint: maxPer})
	var once sync.Once
	free := func() { once.Do(func() { close(release) }) }
	t.Cleanup(free) // before the engine closes
	epHeld := engAddEndpoint(t, e, "standard", "", held.srv.URL, Chaos{Duplicates: 2 * maxPer})
	epOther := engAddEndpoint(t, e, "standard", "", other.srv.URL, Chaos{})
	group := engTrigger(t, e, "standard", "order.created", epHeld)
	engEventually(t, 10*time.Second, fmt.Sprintf("%d copies in flight together on one worker", maxPer), func() bool {
		mu.Lock()
		defer mu.Unlock()
		return inFlight == maxPer
	})
	res := engTrigger(t, e, "standard", "order.created", epOther)
	if d := engWaitState(t, e, res.Deliveries[0].ID, 10*time.Second); d.State != StateDelivered {
		t.Fatalf("the other endpoint's delivery: %s", d.State)
	}
	mu.Lock()
	n := inFlight
	mu.Unlock()
	if n != maxPer {
		t.Fatalf("%d copies in flight, want %d (the endpoint's slots)", n, maxPer)
	}
	free()
	for _, d := range group.Deliveries {
		if got := engWaitState(t, e, d.ID, 20*time.Second); got.State != StateDelivered {
			t.Errorf("copy %s: %s", d.ID, got.State)
		}
	}
}

// TestChaosWaitsHoldNoWorker: with one worker and a clock that never
// moves, an endpoint's chaos waits (spaced duplicates, delay, jitter, a
// reorder window) keep its deliveries in the timer heap: another
// endpoint's delivery is sent while every one of them is still waiting.
func TestChaosWaitsHoldNoWorker(t *testing.T) {
	for name, ch := range map[string]Chaos{
		"100 spaced duplicates": {Duplicates: 100, DuplicateSpacing: Duration(time.Second)},
		"delay":                 {Delay: Duration(time.Hour)},
		"jitter":                {Jitter: Duration(time.Hour), Delay: Duration(time.Millisecond)},
		"reorder window":        {ReorderWindow: Duration(time.Hour)},
	} {
		t.Run(name, func(t *testing.T) {
			fc := NewFakeClock(time.Unix(1_700_000_000, 0))
			chaotic, other := newEngReceiver(t, nil), newEngReceiver(t, nil)
			e := engTestEngine(t, EngineConfig{Clock: fc, Workers: 1, MaxPerEndpoint: 1})
			epChaos := engAddEndpoint(t, e, "standard", "", chaotic.srv.URL, ch)
			epOther := engAddEndpoint(t, e, "standard", "", other.srv.URL, Chaos{})
			var waiting []string
			for range 3 {
				res := engTrigger(t, e, "standard", "order.created", epChaos)
				for _, d := range res.Deliveries {
					if d.NextAttemptAt.After(fc.Now()) {
						waiting = append(waiting, d.ID)
					}
				}
			}
			if len(waiting) == 0 {
				t.Fatal("no chaos delivery waits: the test proves nothing")
			}
			res := engTrigger(t, e, "standard", "order.created", epOther)
			if d := engWaitState(t, e, res.Deliveries[0].ID, 10*time.Second); d.State != StateDelivered {
				t.Fatalf("the other endpoint's delivery: %s", d.State)
			}
			for _, id := range waiting {
				if tracked, inHeap := e.sched.state(id); !tracked || !inHeap {
					t.Fatalf("delivery %s left the heap before its time", id)
				}
			}
		})
	}
}

// hostileListener is a raw TCP receiver that reads each request's head
// and then misbehaves as misbehave says, until the test ends.
func hostileListener(t *testing.T, misbehave func(c net.Conn, stop <-chan struct{})) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() {
				defer c.Close()
				br := bufio.NewReader(c)
				for { // the request line and headers
					line, err := br.ReadString('\n')
					if err != nil {
						return
					}
					if line == "\r\n" {
						break
					}
				}
				misbehave(c, stop)
			})
		}
	})
	t.Cleanup(func() {
		close(stop)
		ln.Close()
		wg.Wait()
	})
	return "http://" + ln.Addr().String() + "/hook"
}

// TestHostileReceiversDoNotDelayAHealthyOne: next to receivers that hang,
// trickle their answer a byte at a time, reset the connection, answer
// garbage, stream an endless body, redirect (to the healthy receiver),
// never accept, and one flooded with 100-duplicate triggers, each sent
// more deliveries than the engine has workers, every delivery to a
// healthy receiver arrives, each well within the hostile receivers' ack
// deadline — it never waits for one of them — and exactly once (the
// redirect is not followed).
func TestHostileReceiversDoNotDelayAHealthyOne(t *testing.T) {
	healthy := newEngReceiver(t, nil)
	release := make(chan struct{})
	var once sync.Once
	hang := newEngReceiver(t, func(_ int, _ http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	endless := newEngReceiver(t, func(_ int, w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusOK)
		chunk := []byte(strings.Repeat("x", 32<<10))
		for r.Context().Err() == nil {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	})
	redirect := newEngReceiver(t, func(_ int, w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, healthy.srv.URL+"/redirected", http.StatusTemporaryRedirect)
	})
	flood := newEngReceiver(t, nil)
	trickle := hostileListener(t, func(c net.Conn, stop <-chan struct{}) {
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for _, b := range []byte("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n") {
			select {
			case <-tick.C:
			case <-stop:
				return
			}
			if _, err := c.Write([]byte{b}); err != nil {
				return
			}
		}
	})
	reset := hostileListener(t, func(c net.Conn, _ <-chan struct{}) {
		if tc, ok := c.(*net.TCPConn); ok {
			_ = tc.SetLinger(0) // close with RST
		}
	})
	garbage := hostileListener(t, func(c net.Conn, _ <-chan struct{}) {
		_, _ = c.Write([]byte("SSH-2.0-OpenSSH_9.6\r\n\r\n"))
	})
	silent, err := net.Listen("tcp", "127.0.0.1:0") // never accepts
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { silent.Close() })

	const workers, maxPer = 4, 4
	e := engTestEngine(t, EngineConfig{Workers: workers, MaxPerEndpoint: maxPer})
	t.Cleanup(func() { once.Do(func() { close(release) }) }) // before the engine closes
	hostile := map[string]string{
		"hang": hang.srv.URL, "endless body": endless.srv.URL, "redirect": redirect.srv.URL,
		"trickle": trickle, "reset": reset, "garbage": garbage, "silent": "http://" + silent.Addr().String() + "/hook",
		"flood": flood.srv.URL,
	}
	for name, url := range hostile {
		ep := engAddEndpoint(t, e, "standard", "", url, Chaos{Duplicates: 100})
		for range 2 {
			if res := engTrigger(t, e, "standard", "order.created", ep); len(res.Deliveries) != 101 {
				t.Fatalf("%s: %d deliveries", name, len(res.Deliveries))
			}
		}
	}
	epHealthy := engAddEndpoint(t, e, "standard", "", healthy.srv.URL, Chaos{})
	// The hostile receivers' ack deadline is 5 s; a healthy delivery that
	// waited for one of their attempts would take about that long.
	const bound = 4 * time.Second
	const n = 20
	for i := range n {
		res := engTrigger(t, e, "standard", "order.created", epHealthy)
		if d := engWaitState(t, e, res.Deliveries[0].ID, bound); d.State != StateDelivered {
			t.Fatalf("healthy delivery %d: %s", i, d.State)
		}
	}
	if got := healthy.count(); got != n {
		t.Fatalf("the healthy receiver got %d requests, want %d (a redirect was followed?)", got, n)
	}
	for _, h := range healthy.all() {
		if h.header.Get("webhook-id") == "" {
			t.Fatalf("a healthy request without its webhook-id: %v", h.header)
		}
	}
	if e.Pending() < 101 {
		t.Fatalf("only %d deliveries pending: the hostile load was gone before the healthy deliveries, the test proves nothing", e.Pending())
	}
}
