package conformance

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// TestClientReadsAnEarlyAnswer sends a 5 MiB body, many times, to servers
// that answer 413 before reading it: one that writes the 413 and closes
// the connection at once (a proxy's body cap without lingering), and one
// behind http.MaxBytesReader. The client must report the 413 every time,
// never the write's broken pipe or reset (ROB-004's false failure).
func TestClientReadsAnEarlyAnswer(t *testing.T) {
	closeAtOnce := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Connection", "close")
		w.WriteHeader(http.StatusRequestEntityTooLarge)
		_, _ = io.WriteString(w, "too large\n")
		rc := http.NewResponseController(w)
		if rc.Flush() == nil {
			if conn, _, err := rc.Hijack(); err == nil {
				_ = conn.Close()
			}
		}
	})
	maxBytes := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20)); err != nil {
			http.Error(w, "too large", http.StatusRequestEntityTooLarge)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
	body := bytes.Repeat([]byte("x"), bigBodySize)
	for name, h := range map[string]http.Handler{"close at once": closeAtOnce, "MaxBytesReader": maxBytes} {
		t.Run(name, func(t *testing.T) {
			srv := httptest.NewServer(h)
			defer srv.Close()
			c := newClient(Options{Target: srv.URL, RequestTimeout: 10 * time.Second}, nil)
			defer c.close()
			for i := range 20 {
				r := c.send(context.Background(), request{Header: http.Header{}, Body: body})
				if r.Err != nil || r.Status != http.StatusRequestEntityTooLarge {
					t.Fatalf("attempt %d: %s, want 413", i+1, r.String())
				}
			}
		})
	}
}
