package api

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/esimhooks/esimhooks/mockserver/engine"
)

// sseClient reads a live stream line by line.
type sseClient struct {
	resp  *http.Response
	lines chan string
}

// openStream connects to /api/stream and waits for the server's first
// comment, after which the subscription is in place.
func openStream(t *testing.T, ctx context.Context, url string) *sseClient {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, "GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("stream answered %d %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	c := &sseClient{resp: resp, lines: make(chan string, 64)}
	go func() {
		defer close(c.lines)
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			c.lines <- sc.Text()
		}
	}()
	for {
		if c.line(t) == ": connected" {
			return c
		}
	}
}

// line returns the next line; "" at a blank line. It fails the test if the
// stream ends.
func (c *sseClient) line(t *testing.T) string {
	t.Helper()
	select {
	case l, ok := <-c.lines:
		if !ok {
			t.Fatal("the stream ended")
		}
		return l
	case <-time.After(waitLimit):
		t.Fatal("the stream sent nothing")
		return ""
	}
}

// event returns the next event's id, name and data.
func (c *sseClient) event(t *testing.T) (id int, name, data string) {
	t.Helper()
	for {
		l := c.line(t)
		switch {
		case strings.HasPrefix(l, "id: "):
			id, _ = strconv.Atoi(l[4:])
		case strings.HasPrefix(l, "event: "):
			name = l[7:]
		case strings.HasPrefix(l, "data: "):
			data = l[6:]
		case l == "" && name != "":
			return id, name, data
		}
	}
}

// waitEnded waits until the stream's body is at its end.
func (c *sseClient) waitEnded(t *testing.T) {
	t.Helper()
	for {
		select {
		case _, ok := <-c.lines:
			if !ok {
				return
			}
		case <-time.After(waitLimit):
			t.Fatal("the stream did not end")
		}
	}
}

func TestStreamAttemptsLive(t *testing.T) {
	s := newTestServer(t)
	// The streams are served through a wrapper of the server's handler
	// that reports each stream handler's return.
	ended := make(chan struct{}, 4)
	watched := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() { ended <- struct{}{} }()
		s.Handler().ServeHTTP(w, r)
	}))
	defer watched.Close()
	rcv := newHookReceiver(t)
	id, _ := createEndpoint(t, s, map[string]any{"url": rcv.URL, "provider": "esimfly"})
	createEndpoint(t, s, map[string]any{"url": rcv.URL, "provider": "roamify"})

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	all := openStream(t, ctx, watched.URL+"/api/stream")
	onlyFly := openStream(t, ctx, watched.URL+"/api/stream?provider=esimfly&event=order.failed")

	for _, tr := range []map[string]any{
		{"provider": "roamify", "event": "esim/esim_status"},
		{"provider": "esimfly", "event": "order.failed"},
	} {
		code, _, data := call(t, "POST", s.URL+"/api/triggers", tr)
		wantStatus(t, code, http.StatusAccepted, data)
		rcv.nextPost(t)
	}
	var lastID int
	seen := map[string]bool{}
	for range 2 {
		evID, name, data := all.event(t)
		if name != "attempt" || evID <= lastID {
			t.Fatalf("event %d %q after id %d", evID, name, lastID)
		}
		lastID = evID
		var ev attemptEvent
		if err := json.Unmarshal([]byte(data), &ev); err != nil {
			t.Fatal(err)
		}
		if ev.DeliveryID == "" || ev.Attempt != 1 || ev.Status != 200 || !ev.Success || ev.Outcome != engine.StateDelivered || ev.LatencyMS <= 0 {
			t.Errorf("attempt event %s", data)
		}
		seen[ev.Provider] = true
	}
	if !seen["esimfly"] || !seen["roamify"] {
		t.Errorf("the unfiltered stream saw %v", seen)
	}
	_, _, data := onlyFly.event(t)
	var ev attemptEvent
	json.Unmarshal([]byte(data), &ev)
	if ev.Provider != "esimfly" || ev.Event != "order.failed" || ev.EndpointID != id {
		t.Fatalf("the filtered stream got %s", data)
	}

	// The client going away ends its handler.
	cancel()
	for range 2 {
		select {
		case <-ended:
		case <-time.After(waitLimit):
			t.Fatal("a stream handler did not return after its client left")
		}
	}
	if s.engine.Streaming() {
		t.Error("a subscription outlived its stream")
	}
}

// TestStreamCarriesRunAndEventIDs: an attempt event names its delivery's
// event id and scenario run, so a view filtered by either follows it, and
// ?run= passes only that run's attempts.
func TestStreamCarriesRunAndEventIDs(t *testing.T) {
	s := newTestServer(t)
	rcv := newHookReceiver(t)
	id, _ := createEndpoint(t, s, map[string]any{"url": rcv.URL, "provider": "standard"})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	all := openStream(t, ctx, s.URL+"/api/stream")
	run := openStream(t, ctx, s.URL+"/api/stream?run=run_1")

	// A trigger (no run), then a run's delivery.
	code, _, data := call(t, "POST", s.URL+"/api/triggers", map[string]any{"provider": "standard", "event": "order.created"})
	wantStatus(t, code, http.StatusAccepted, data)
	rcv.nextPost(t)
	decode := func(c *sseClient) attemptEvent {
		t.Helper()
		_, _, data := c.event(t)
		var ev attemptEvent
		if err := json.Unmarshal([]byte(data), &ev); err != nil {
			t.Fatal(err)
		}
		return ev
	}
	// The trigger's event is read before the run's delivery is sent: the
	// receiver got the trigger's request before its attempt is published.
	trig := decode(all)
	ep, err := s.store.GetEndpoint(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	v, err := s.cat.Variant("standard", "")
	if err != nil {
		t.Fatal(err)
	}
	ev, err := v.Event("order.created")
	if err != nil {
		t.Fatal(err)
	}
	pd, err := newSyncDelivery(v, ev, nil, s.engine.Now())
	if err != nil {
		t.Fatal(err)
	}
	d, _, err := s.engine.Send(ctx, engine.SendRequest{Endpoint: ep, Delivery: pd, RunID: "run_1"})
	if err != nil {
		t.Fatal(err)
	}
	rcv.nextPost(t)

	sent := decode(all)
	stored, err := s.store.GetDelivery(ctx, trig.DeliveryID)
	if err != nil {
		t.Fatal(err)
	}
	if trig.EventID != stored.EventID || trig.EventID == "" || trig.RunID != "" {
		t.Errorf("the trigger's attempt event has event_id %q run_id %q; want %q and none", trig.EventID, trig.RunID, stored.EventID)
	}
	if sent.DeliveryID != d.ID || sent.EventID != d.EventID || sent.RunID != "run_1" {
		t.Errorf("the run's attempt event is %+v; want delivery %s, event_id %s, run_id run_1", sent, d.ID, d.EventID)
	}
	if got := decode(run); got.DeliveryID != d.ID || got.RunID != "run_1" {
		t.Errorf("the run-filtered stream's first event is %+v; want the run's delivery %s (the trigger's is filtered out)", got, d.ID)
	}
}

func TestStreamHeartbeatAndServerClose(t *testing.T) {
	s, err := Start(Options{Store: engine.NewMemoryStore()}, "")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.heartbeat.Store(int64(10 * time.Millisecond))

	c := openStream(t, context.Background(), s.URL+"/api/stream")
	for c.line(t) != ": heartbeat" {
	}
	// Close shuts the HTTP server down, which returns without an error
	// only once every handler has returned, and gives a stream handler
	// shutdownGrace (more than waitLimit) before it cuts it.
	done := make(chan error, 1)
	go func() { done <- s.Close() }()
	c.waitEnded(t)
	c.resp.Body.Close()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Close with a stream open: %v (the stream handler did not return)", err)
		}
	case <-time.After(waitLimit):
		t.Fatal("Close did not return with a stream open")
	}
	io.Copy(io.Discard, c.resp.Body)
}
