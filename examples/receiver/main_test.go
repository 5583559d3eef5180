package main

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/esimhooks/esimhooks/examples/receiver/receiver/receivertest"
)

func TestRunServesHookAndProbe(t *testing.T) {
	v := receivertest.Variant(t, "esimfly", "2026-04")
	secret := receivertest.Secret(t, v)
	ctx, cancel := context.WithCancel(context.Background())
	out, stdout := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"--provider", "esimfly", "--variant", "2026-04", "--secret", secret, "--addr", "127.0.0.1:0"}, stdout, io.Discard)
		stdout.Close()
	}()
	urls := map[string]string{}
	sc := bufio.NewScanner(out)
	for len(urls) < 2 && sc.Scan() {
		if name, u, ok := strings.Cut(sc.Text(), ":"); ok && strings.HasPrefix(strings.TrimSpace(u), "http://") {
			urls[name] = strings.TrimSpace(u)
		}
	}
	go func() { _, _ = io.Copy(io.Discard, out) }()
	hook, probe := urls["webhook"], urls["probe"]
	if !strings.HasSuffix(hook, "/hook") || !strings.HasSuffix(probe, "/probe") {
		cancel()
		t.Fatalf("printed URLs %v", urls)
	}

	c := receivertest.NewClient(t, v, secret, hook, probe)
	d := c.Delivery(v.Public()[0], 1, time.Now().Add(-time.Hour))
	if st := c.Send(d); st != http.StatusOK {
		t.Errorf("POST %s: %d, want 200", hook, st)
	}
	if n := c.Applied(d.Key()); n != 1 {
		t.Errorf("probe: applied %d, want 1", n)
	}

	cancel()
	if err := <-done; err != nil {
		t.Errorf("run: %v", err)
	}
}

func TestRunRejectsBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{},
		{"--provider", "nosuch"},
		{"--provider", "esimfly", "--variant", "1999-01", "--secret", "s"},
		{"--provider", "roamify"}, // no secret
	} {
		t.Setenv("RECEIVER_SECRET", "")
		if err := run(context.Background(), args, io.Discard, io.Discard); err == nil {
			t.Errorf("run %q succeeded", args)
		}
	}
}
