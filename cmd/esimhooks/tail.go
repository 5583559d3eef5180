package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/esimhooks/esimhooks/providers"
)

func init() {
	register("tail", "follow a running mock server's delivery attempts live", runTail)
}

// streamedAttempt is one "attempt" event of GET /api/stream.
type streamedAttempt struct {
	DeliveryID  string    `json:"delivery_id"`
	EndpointID  string    `json:"endpoint_id"`
	Provider    string    `json:"provider"`
	Variant     string    `json:"variant"`
	Event       string    `json:"event"`
	Attempt     int       `json:"attempt"`
	URL         string    `json:"url"`
	Status      int       `json:"status"`
	LatencyMS   float64   `json:"latency_ms"`
	Outcome     string    `json:"outcome"`
	ErrorKind   string    `json:"error_kind"`
	Error       string    `json:"error"`
	NextRetryAt time.Time `json:"next_retry_at"`
}

func runTail(ctx context.Context, e *env, args []string) error {
	fs := newFlags("tail", "[--server URL] [--provider P] [--event E] [--endpoint ID] [--json]", e)
	server := envFlag(fs, e, "server", "http://127.0.0.1:7700", "the mock server's base URL")
	token := envFlag(fs, e, "token", "", "the control API's bearer token")
	var pf providerFlags
	fs.StringVar(&pf.provider, "provider", "", "only this provider's attempts: "+strings.Join(providers.MustBuiltin().Names(), ", ")+" (or one from --profile-file)")
	pf.registerProfiles(fs)
	event := fs.String("event", "", "only this event type (of --provider, or of any provider)")
	endpoint := fs.String("endpoint", "", "only this endpoint id")
	raw := fs.Bool("json", false, "print each attempt as one JSON line")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := pf.checkFilter(*event); err != nil {
		return err
	}
	q := url.Values{}
	for k, v := range map[string]string{"provider": pf.provider, "event": *event, "endpoint": *endpoint} {
		if v != "" {
			q.Set(k, v)
		}
	}
	u := strings.TrimRight(*server, "/") + "/api/stream"
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return usageErr("--server %q: %v", *server, err)
	}
	req.Header.Set("Accept", "text/event-stream")
	if *token != "" {
		req.Header.Set("Authorization", "Bearer "+*token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return usageErr("--server %s: cannot reach the mock server: %v (is esimhooks serve running?)", *server, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusUnauthorized {
		if *token == "" {
			return usageErr("--token is required: the mock server at %s requires its bearer token (or set ESIMHOOKS_TOKEN)", *server)
		}
		return usageErr("--token: the mock server at %s refuses this token", *server)
	}
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
		return usageErr("%s answered %d: %s", u, resp.StatusCode, oneLine(b))
	}
	fmt.Fprintf(e.stderr, "following %s (Ctrl-C to stop)\n", u)
	return readStream(ctx, resp.Body, func(data []byte) {
		if *raw {
			fmt.Fprintf(e.stdout, "%s\n", data)
			return
		}
		var a streamedAttempt
		if json.Unmarshal(data, &a) != nil {
			return
		}
		fmt.Fprintln(e.stdout, formatAttempt(a))
	})
}

// readStream calls fn with the data of every "attempt" event until the
// stream or ctx ends. Lines are capped at 1 MiB.
func readStream(ctx context.Context, r io.Reader, fn func([]byte)) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	event, data := "", []byte(nil)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "":
			if (event == "" || event == "attempt") && len(data) > 0 {
				fn(data)
			}
			event, data = "", nil
		case strings.HasPrefix(line, "event:"):
			event = strings.TrimSpace(strings.TrimPrefix(line, "event:"))
		case strings.HasPrefix(line, "data:"):
			data = append(data, strings.TrimPrefix(strings.TrimPrefix(line, "data:"), " ")...)
		}
	}
	if ctx.Err() != nil {
		return nil
	}
	if err := sc.Err(); err != nil {
		return failErr("stream: %v", err)
	}
	return failErr("the server closed the stream")
}

func formatAttempt(a streamedAttempt) string {
	status := fmt.Sprintf("%d", a.Status)
	if a.Status == 0 {
		status = "---"
	}
	took := latency(time.Duration(a.LatencyMS * float64(time.Millisecond)))
	s := fmt.Sprintf("%-12s %s@%s %-28s #%d → %s  %s %8s  %s", a.DeliveryID, a.Provider, a.Variant, a.Event, a.Attempt, a.URL, status, took, a.Outcome)
	if a.ErrorKind != "" {
		s += "  (" + a.ErrorKind + ": " + a.Error + ")"
	}
	if !a.NextRetryAt.IsZero() {
		s += "  next retry " + a.NextRetryAt.Local().Format("15:04:05")
	}
	return s
}
