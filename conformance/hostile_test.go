package conformance_test

import (
	"bufio"
	"bytes"
	"context"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/esimhooks/esimhooks/conformance"
	"github.com/esimhooks/esimhooks/conformance/conformancetest"
)

// TestHostileTargets points the suite at targets that hang, never end
// their body, redirect, reset the connection or answer garbage: the run
// fails with evidence that names the behaviour, and ends within its
// budget.
func TestHostileTargets(t *testing.T) {
	const budget = 12 * time.Second
	cases := map[string]struct {
		serve func(net.Conn)
		want  string
		// noProbe leaves --probe out: the preflight would find the target
		// is no probe (TestPreflight).
		noProbe bool
	}{
		"hang":     {serve: func(c net.Conn) { drain(c) }, want: "no answer within"},
		"endless":  {serve: endless, want: "expected 4xx, got 200", noProbe: true},
		"redirect": {serve: reply("HTTP/1.1 302 Found\r\nLocation: https://elsewhere.example/\r\nContent-Length: 0\r\n\r\n"), want: "redirect to"},
		"reset":    {serve: reset, want: "connection"},
		"garbage":  {serve: reply("HELLO THERE\r\n\r\n"), want: "malformed HTTP answer"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			url := serveRaw(t, tc.serve)
			probe := url
			if tc.noProbe {
				probe = ""
			}
			co := conformancetest.Options{Provider: "roamify", Target: url, Secret: strings.Repeat("ab", 32), Probe: probe,
				Timeout: budget, RequestTimeout: time.Second, ProbeWait: time.Second,
				// Per-requirement evidence is the point here; SCN-001's
				// sequences would spend the budget on the same failures.
				LabelFilter: "!" + conformance.CategoryScenario}
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			res := conformancetest.Run(ctx, t, co)
			if res.Summary == nil {
				t.Fatalf("no summary (exit %d):\n%s", res.Code, res.Stderr)
			}
			if res.Code != 1 || res.Summary.Passed {
				t.Errorf("exit %d, passed %v; want a failed run", res.Code, res.Summary.Passed)
			}
			if res.Elapsed > budget+10*time.Second {
				t.Errorf("took %s, budget %s", res.Elapsed, budget)
			}
			found := false
			for _, r := range res.Summary.Requirements {
				found = found || (r.Outcome == conformance.OutcomeFailed && strings.Contains(r.Evidence, tc.want))
			}
			if !found {
				t.Errorf("no failed requirement says %q:\n%s", tc.want, res.Stderr)
			}
			t.Logf("%s: %s", name, res.Elapsed.Round(time.Millisecond))
		})
	}
}

// serveRaw serves each connection with serve on loopback, raw TCP.
func serveRaw(t *testing.T, serve func(net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	conns := make(chan net.Conn, 1024)
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns <- c
			go serve(c)
		}
	}()
	t.Cleanup(func() {
		_ = ln.Close()
		<-done
		close(conns)
		for c := range conns {
			_ = c.Close()
		}
	})
	return "http://" + ln.Addr().String() + "/hook"
}

// drain reads the connection until it is closed, answering nothing.
func drain(c net.Conn) {
	buf := make([]byte, 32<<10)
	for {
		if _, err := c.Read(buf); err != nil {
			return
		}
	}
}

// readRequestHead reads one request head (not its body).
func readRequestHead(c net.Conn) bool {
	r := bufio.NewReader(c)
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return false
		}
		if line == "\r\n" {
			return true
		}
	}
}

// reply answers every request head with s, then closes.
func reply(s string) func(net.Conn) {
	return func(c net.Conn) {
		defer c.Close()
		if readRequestHead(c) {
			_, _ = c.Write([]byte(s))
		}
	}
}

// endless answers 200 with a body that never ends.
func endless(c net.Conn) {
	defer c.Close()
	if !readRequestHead(c) {
		return
	}
	if _, err := c.Write([]byte("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n")); err != nil {
		return
	}
	chunk := bytes.Repeat([]byte("x"), 16<<10)
	for {
		if _, err := c.Write(chunk); err != nil {
			return
		}
	}
}

// reset reads the request head and resets the connection.
func reset(c net.Conn) {
	if readRequestHead(c) {
		if tc, ok := c.(*net.TCPConn); ok {
			_ = tc.SetLinger(0)
		}
	}
	_ = c.Close()
}

// TestMain lets the test binary be a child run of the suite
// (conformancetest), for TestHostileTargets.
func TestMain(m *testing.M) {
	if conformancetest.IsChild() {
		os.Exit(conformancetest.ChildMain())
	}
	os.Exit(m.Run())
}
