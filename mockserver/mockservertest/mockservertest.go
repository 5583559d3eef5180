// Package mockservertest holds the helpers the tests of package mockserver
// and of the packages mounted on it (mockserver/providerapi) share: a
// request helper, a webhook receiver whose answers the test chooses, a
// bounded wait and a goroutine-safe log sink. It does not import
// mockserver, so mockserver's own tests can use it.
package mockservertest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/esimhooks/esimhooks/providers"
)

// WaitLimit bounds every wait of these helpers; reaching it is a failure,
// never a way to synchronise.
const WaitLimit = 10 * time.Second

// Call sends a request and returns the status, headers and body. body is
// nil, a string, []byte or a value sent as JSON; a body gets Content-Type
// application/json. headers are name, value pairs; "Host" sets the Host
// header.
func Call(t testing.TB, method, url string, body any, headers ...string) (int, http.Header, []byte) {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		if headers[i] == "Host" {
			req.Host = headers[i+1]
			continue
		}
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, data
}

// Decode unmarshals data into a generic map, failing unless it is a JSON
// object.
func Decode(t testing.TB, data []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatalf("not a JSON object: %v\n%s", err, data)
	}
	return m
}

// WantStatus fails unless got is want, showing the body.
func WantStatus(t testing.TB, got, want int, body []byte) {
	t.Helper()
	if got != want {
		t.Fatalf("status %d, want %d; body: %s", got, want, body)
	}
}

// Received is one request a HookReceiver got.
type Received struct {
	Method string
	Path   string
	Header http.Header
	Body   []byte
}

// HookReceiver is a loopback webhook receiver whose answer the test
// chooses. It is closed when the test ends.
type HookReceiver struct {
	*httptest.Server
	// Got receives every request (buffered: 64).
	Got chan Received
	// Status is the answer to POST; 0 means 200.
	Status atomic.Int32
	// Head is the answer to HEAD; 0 means 200.
	Head atomic.Int32
}

// NewHookReceiver starts a HookReceiver answering 200.
func NewHookReceiver(t testing.TB) *HookReceiver {
	t.Helper()
	rc := &HookReceiver{Got: make(chan Received, 64)}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rc.Got <- Received{r.Method, r.URL.Path, r.Header.Clone(), body}
		code := rc.Status.Load()
		if r.Method == http.MethodHead {
			code = rc.Head.Load()
		}
		if code == 0 {
			code = http.StatusOK
		}
		w.WriteHeader(int(code))
	}))
	t.Cleanup(rc.Close)
	return rc
}

// Next returns the next request the receiver got.
func (rc *HookReceiver) Next(t testing.TB) Received {
	t.Helper()
	return Wait(t, rc.Got, "request to the receiver")
}

// NextPost returns the next POST the receiver got, skipping HEAD checks.
func (rc *HookReceiver) NextPost(t testing.TB) Received {
	t.Helper()
	for {
		if r := rc.Next(t); r.Method == http.MethodPost {
			return r
		}
	}
}

// Wait returns the next value on ch, failing when ch closes or nothing
// comes within WaitLimit; what names the value in the failure.
func Wait[T any](t testing.TB, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v, ok := <-ch:
		if !ok {
			t.Fatalf("the channel of %s closed", what)
		}
		return v
	case <-time.After(WaitLimit):
		t.Fatalf("no %s within %s", what, WaitLimit)
		var zero T
		return zero
	}
}

// Verify checks a received delivery's signature as the provider variant
// documents it (built-in catalogue).
func Verify(t testing.TB, provider, variant, secret string, r Received) {
	t.Helper()
	v, err := providers.MustBuiltin().Variant(provider, variant)
	if err != nil {
		t.Fatal(err)
	}
	sg, err := v.Signer(secret)
	if err != nil {
		t.Fatal(err)
	}
	if err := sg.Verify(r.Header, r.Body); err != nil {
		t.Fatalf("the delivery's signature does not verify: %v", err)
	}
}

// CreateEndpoint registers an endpoint through the control API of the
// server at baseURL and returns its id and secret.
func CreateEndpoint(t testing.TB, baseURL string, body map[string]any) (id, secret string) {
	t.Helper()
	code, _, data := Call(t, "POST", baseURL+"/api/endpoints", body)
	WantStatus(t, code, http.StatusCreated, data)
	m := Decode(t, data)
	return m["id"].(string), m["secret"].(string)
}

// WantNoSecrets fails unless log holds marker (so something was logged)
// and none of secrets.
func WantNoSecrets(t testing.TB, log, marker string, secrets ...string) {
	t.Helper()
	if !strings.Contains(log, marker) {
		t.Fatalf("%q is not in the log:\n%s", marker, log)
	}
	for _, sec := range secrets {
		if strings.Contains(log, sec) {
			t.Errorf("the log holds %q:\n%s", sec, log)
		}
	}
}

// SyncBuffer is a goroutine-safe log sink.
type SyncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *SyncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *SyncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// RawResponse writes head (a request line and headers, "\r\n" separated)
// and a partial body on a fresh connection to the server at baseURL
// ("http://host:port"), then reads the answer; it returns the status,
// headers and body, and whether the server then closed the connection.
// Every read is bounded by WaitLimit.
func RawResponse(t testing.TB, baseURL, head, partial string) (status int, header http.Header, body []byte, closed bool) {
	t.Helper()
	c, err := net.Dial("tcp", strings.TrimPrefix(baseURL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.SetDeadline(time.Now().Add(WaitLimit)); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Write([]byte(head + "\r\n\r\n" + partial)); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("no answer to a trickled body within %s: %v", WaitLimit, err)
	}
	defer resp.Body.Close()
	body, err = io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("reading the answer: %v", err)
	}
	// The connection is closed when the next read ends at once with EOF
	// (not with the deadline).
	_, err = br.ReadByte()
	return resp.StatusCode, resp.Header, body, err == io.EOF
}

// Eventually polls cond every millisecond until it holds or timeout
// passes, then fails t with what.
func Eventually(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		<-tick.C
	}
}
