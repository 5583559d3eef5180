package api

import (
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"testing"
	"time"
)

// guardStatuses are the refusals of the server's guard an operation can
// get: 421 always (a Host that is not loopback, without a token), 403 for
// a method that changes state (a browser's cross-origin request), 408 for
// an operation that takes a body (a body slower than the read timeout).
func guardStatuses(method string, hasBody bool) []string {
	out := []string{"421"}
	if method != http.MethodGet && method != http.MethodHead {
		out = append(out, "403")
	}
	if hasBody {
		out = append(out, "408")
	}
	return out
}

// TestGuardRefusalsAreDocumented: every operation of the control API lists
// exactly the guard's refusals it can get (no more, no fewer), and the live
// server's refusal of each matches the document.
func TestGuardRefusalsAreDocumented(t *testing.T) {
	s := newTestServer(t)
	slow := newTestServer(t, func(c *Options) { c.BodyReadTimeout = 100 * time.Millisecond })
	c := &contract{t: t, s: s, seen: map[string]bool{}}
	slowC := &contract{t: t, s: slow, seen: map[string]bool{}}
	param := regexp.MustCompile(`\{[^}]+\}`)
	n := 0
	for tmpl, item := range s.spec.doc.Paths.Map() {
		path := param.ReplaceAllString(tmpl, "x.json")
		for method, op := range item.Operations() {
			n++
			want := guardStatuses(method, op.RequestBody != nil)
			for _, code := range []string{"403", "408", "421"} {
				if documented := op.Responses.Value(code) != nil; documented != slices.Contains(want, code) {
					t.Errorf("%s (%s %s): %s documented %v, want %v", op.OperationID, method, tmpl, code, documented, !documented)
				}
			}
			if got, _ := c.do(method, path, nil, "Host", "attacker.example"); got != http.StatusMisdirectedRequest {
				t.Errorf("%s with a foreign Host: %d, want 421", op.OperationID, got)
			}
			if slices.Contains(want, "403") {
				if got, _ := c.do(method, path, map[string]any{}, "Origin", "http://attacker.example"); got != http.StatusForbidden {
					t.Errorf("%s cross-origin: %d, want 403", op.OperationID, got)
				}
			}
			if slices.Contains(want, "408") {
				head := fmt.Sprintf("%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1000", method, path)
				code, hdr, data, _ := rawResponse(t, slow, head, `{"url":`)
				if code != http.StatusRequestTimeout {
					t.Errorf("%s with a slow body: %d, want 408", op.OperationID, code)
				}
				slowC.check(method, path, code, hdr, data)
			}
		}
	}
	if n < 20 {
		t.Fatalf("only %d operations in the control API document", n)
	}
}
