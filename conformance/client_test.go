package conformance

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/esimhooks/esimhooks/conformance/faulty"
	"github.com/esimhooks/esimhooks/examples/receiver/receiver"
)

// TestClientReadsAnEarlyAnswer sends a 5 MiB body, many times, to
// receivers that answer 413 before reading it: the example receiver
// (http.MaxBytesReader) and the early-413 one, which writes the 413 and
// closes the connection at once (a proxy's body cap without lingering).
// The client must report the 413 every time, never the write's broken
// pipe or reset (ROB-004's false failure). How wire reads the answer after
// a refused write is tested in mockserver/wire (TestAnswerAfterWriteError).
func TestClientReadsAnEarlyAnswer(t *testing.T) {
	v := mustVariant(t, "roamify")
	secret := secretFor(t, v)
	capped, err := receiver.New(receiver.Config{Variant: v, Secret: secret})
	if err != nil {
		t.Fatal(err)
	}
	f, _ := faulty.ByName("early-413")
	early, err := f.New(v, secret)
	if err != nil {
		t.Fatal(err)
	}
	body := bytes.Repeat([]byte("x"), bigBodySize)
	for name, h := range map[string]faulty.Receiver{"MaxBytesReader": capped, "early-413": early} {
		t.Run(name, func(t *testing.T) {
			defer h.Close()
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
