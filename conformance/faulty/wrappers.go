package faulty

import (
	"net/http"
	"time"

	"github.com/esimhooks/esimhooks/providers"
)

var slowAck = Fault{
	Name: "slow-ack",
	Doc: "Slow but otherwise correct: every POST waits the ack deadline and a tenth more before " +
		"it is handled. Breaks: answer a valid delivery with 2xx within the provider's deadline " +
		"(ACK-001), and so also each of a burst of concurrent deliveries (ACK-002). Nothing else " +
		"fails: timing is ACK's; RTY-001 is blocked by ACK-001 (the provider's retry times out).",
	Breaks:  []string{"ACK-001", "ACK-002"},
	Applies: always,
	New: withWrapper(func(v *providers.Variant, next http.Handler) http.Handler {
		d := v.Ack.Deadline.D() * 11 / 10
		return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
			if req.Method == http.MethodPost && !wait(req, d) {
				return // the sender gave up; there is no one to answer
			}
			next.ServeHTTP(w, req)
		})
	}),
}

var serialBurst = Fault{
	Name: "serial-burst",
	Doc: "Handles one POST at a time, each taking a tenth of the ack deadline: a single " +
		"delivery is answered in time, but the last of 50 concurrent ones waits five deadlines. " +
		"Breaks: acknowledge each of a burst of concurrent deliveries within the deadline " +
		"(ACK-002).",
	Breaks:  []string{"ACK-002"},
	Applies: always,
	New: withWrapper(func(v *providers.Variant, next http.Handler) http.Handler {
		d := v.Ack.Deadline.D() / 10
		one := make(chan struct{}, 1) // a global mutex that a gone client can stop waiting for
		return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
			if req.Method != http.MethodPost {
				next.ServeHTTP(w, req)
				return
			}
			select {
			case one <- struct{}{}:
			case <-req.Context().Done():
				return
			}
			defer func() { <-one }()
			if wait(req, d) {
				next.ServeHTTP(w, req)
			}
		})
	}),
}

var anyMethod = Fault{
	Name: "any-method",
	Doc: "Ignores the method: a GET, PUT, DELETE or PATCH is handled as a POST (a signed PUT " +
		"is applied and answered 200). Breaks: answer other methods than POST with 405 and an " +
		"Allow header (ROB-005).",
	Breaks:  []string{"ROB-005"},
	Applies: always,
	New: withWrapper(func(v *providers.Variant, next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
			keep := req.Method == http.MethodPost || (req.Method == http.MethodHead && v.Registration.Check == "head")
			if !keep {
				req = req.Clone(req.Context())
				req.Method = http.MethodPost
			}
			next.ServeHTTP(w, req)
		})
	}),
}

// answerHead returns a wrapper that answers HEAD with status: 405 (with
// Allow: POST) as a POST-only route does, 404 as a router without the route.
func answerHead(status int) func(*providers.Variant, http.Handler) http.Handler {
	return func(_ *providers.Variant, next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
			if req.Method == http.MethodHead {
				if status == http.StatusMethodNotAllowed {
					w.Header().Set("Allow", http.MethodPost)
				}
				w.WriteHeader(status)
				return
			}
			next.ServeHTTP(w, req)
		})
	}
}

var ackNot200 = Fault{
	Name: "ack-202",
	Doc: "Acknowledges a delivery with 202 Accepted instead of 200. Breaks: answer a valid " +
		"delivery with exactly 200, since Airalo counts no other status as delivered (ACK-003).",
	Breaks:  []string{"ACK-003"},
	Applies: (*providers.Variant).Only200,
	New:     withWrapper(func(_ *providers.Variant, next http.Handler) http.Handler { return ackAs(http.StatusAccepted, next) }),
}

// acked turns a 200 into status, also the implicit 200 of a Write
// without WriteHeader.
type acked struct {
	http.ResponseWriter
	status int
	wrote  bool
}

// WriteHeader writes a.status for 200 and any other status unchanged.
func (a *acked) WriteHeader(status int) {
	if a.wrote {
		return
	}
	a.wrote = true
	if status == http.StatusOK {
		status = a.status
	}
	a.ResponseWriter.WriteHeader(status)
}

// Write writes the header first, as http.ResponseWriter does.
func (a *acked) Write(b []byte) (int, error) {
	a.WriteHeader(http.StatusOK)
	return a.ResponseWriter.Write(b)
}

// wait waits d, the fault's deliberate delay, and reports false if the
// request's context ended first.
func wait(req *http.Request, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-req.Context().Done():
		return false
	}
}
