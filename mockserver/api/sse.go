package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/esimhooks/esimhooks/mockserver/engine"
)

// sseWriteTimeout bounds each write to a live-stream client, so that a
// client that stops reading cannot hold its handler (and Close) forever.
const sseWriteTimeout = 30 * time.Second

// sseBuffer is how many attempts a live-stream client may fall behind
// before it loses some.
const sseBuffer = 256

// sseState numbers the stream's events across every connection, so ids
// increase monotonically for the server's lifetime.
type sseState struct {
	seq atomic.Uint64
}

// attemptEvent is the data of one "attempt" event of the live stream.
type attemptEvent struct {
	DeliveryID  string    `json:"delivery_id"`
	EventID     string    `json:"event_id,omitempty"`
	RunID       string    `json:"run_id,omitempty"`
	EndpointID  string    `json:"endpoint_id"`
	Provider    string    `json:"provider"`
	Variant     string    `json:"variant,omitempty"`
	Event       string    `json:"event"`
	Attempt     int       `json:"attempt"`
	URL         string    `json:"url,omitempty"`
	StartedAt   time.Time `json:"started_at,omitzero"`
	Status      int       `json:"status"`
	LatencyMS   float64   `json:"latency_ms"`
	Success     bool      `json:"success"`
	Outcome     string    `json:"outcome"`
	ErrorKind   string    `json:"error_kind,omitempty"`
	Error       string    `json:"error,omitempty"`
	NextRetryAt time.Time `json:"next_retry_at,omitzero"`
}

func newAttemptEvent(a *engine.Attempt) attemptEvent {
	return attemptEvent{
		DeliveryID: a.DeliveryID, EventID: a.EventID, RunID: a.RunID, EndpointID: a.EndpointID, Provider: a.Provider, Variant: a.Variant, Event: a.Event,
		Attempt: a.N, URL: a.URL, StartedAt: a.StartedAt, Status: a.Status, LatencyMS: millis(a.Latency),
		Success: a.Success, Outcome: a.Outcome, ErrorKind: a.ErrorKind, Error: a.Error, NextRetryAt: a.NextRetryAt,
	}
}

// handleStream sends every attempt the engine records, filtered by the
// provider, event, endpoint and run query parameters, as Server-Sent Events,
// with a comment line every heartbeat interval. The subscription is in
// place before the first bytes (": connected") reach the client. It
// returns when the client goes away, the server closes, or the engine
// closes the subscription.
func (s *Server) handleStream(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	provider, event, endpoint, run := q.Get("provider"), q.Get("event"), q.Get("endpoint"), q.Get("run")
	ch, unsubscribe := s.engine.Subscribe(sseBuffer)
	defer unsubscribe()

	rc := http.NewResponseController(w)
	defer rc.SetWriteDeadline(time.Time{}) // the connection may be reused
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	send := func(msg string) bool {
		_ = rc.SetWriteDeadline(time.Now().Add(sseWriteTimeout))
		if _, err := fmt.Fprint(w, msg); err != nil {
			return false
		}
		return rc.Flush() == nil
	}
	if !send("retry: 3000\n: connected\n\n") {
		return
	}
	tick := time.NewTicker(time.Duration(s.heartbeat.Load()))
	defer tick.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-s.closing:
			return
		case <-tick.C:
			if !send(": heartbeat\n\n") {
				return
			}
		case a, ok := <-ch:
			if !ok {
				return
			}
			if provider != "" && a.Provider != provider || event != "" && a.Event != event ||
				endpoint != "" && a.EndpointID != endpoint || run != "" && a.RunID != run {
				continue
			}
			data, err := json.Marshal(newAttemptEvent(a))
			if err != nil {
				continue
			}
			if !send(fmt.Sprintf("id: %d\nevent: attempt\ndata: %s\n\n", s.sse.seq.Add(1), data)) {
				return
			}
		}
	}
}
