package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	refreceiver "github.com/esimhooks/esimhooks/examples/receiver/receiver"
	"github.com/esimhooks/esimhooks/providers"
	"github.com/esimhooks/esimhooks/providers/jsonv"
	"github.com/esimhooks/esimhooks/providers/payload"
	"github.com/esimhooks/esimhooks/providers/signing"
)

// hookReceiver serves the reference receiver for provider (or
// provider@variant) and secret as examples/receiver does: the webhook at
// /hook only (so an example posting elsewhere fails) and the probe at
// /probe, on a loopback port.
func hookReceiver(t *testing.T, provider, variant, secret string) *httptest.Server {
	t.Helper()
	v, err := providers.MustBuiltin().Variant(provider, variant)
	if err != nil {
		t.Fatal(err)
	}
	rcv, err := refreceiver.New(refreceiver.Config{Variant: v, Secret: secret})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/hook", rcv)
	mux.Handle(refreceiver.ProbePrefix+"/", rcv)
	srv := httptest.NewServer(mux)
	t.Cleanup(func() { srv.Close(); rcv.Close() })
	return srv
}

// flagValue returns the value of --name in args ("" if absent).
func flagValue(args []string, name string) string {
	for i, a := range args {
		if a == "--"+name && i+1 < len(args) {
			return args[i+1]
		}
		if v, ok := strings.CutPrefix(a, "--"+name+"="); ok {
			return v
		}
	}
	return ""
}

// loopbackOnly fails unless u names a loopback host.
func loopbackOnly(t *testing.T, u string) *url.URL {
	t.Helper()
	pu, err := url.Parse(u)
	if err != nil {
		t.Fatalf("%q: %v", u, err)
	}
	if ip := net.ParseIP(pu.Hostname()); pu.Hostname() != "localhost" && (ip == nil || !ip.IsLoopback()) {
		t.Fatalf("README example addresses %s: examples must use loopback", u)
	}
	return pu
}

var goRun = []string{"go", "run", "./cmd/esimhooks"}

// cliExample returns the esimhooks arguments and standard input of an
// example "go run ./cmd/esimhooks ARGS…" or "echo -n WORD | go run …".
func cliExample(words []string) (args []string, stdin string, ok bool) {
	if len(words) > 4 && words[0] == "echo" && words[1] == "-n" && words[3] == "|" {
		stdin, words = words[2], words[4:]
	}
	if len(words) < len(goRun) || strings.Join(words[:3], " ") != strings.Join(goRun, " ") {
		return nil, "", false
	}
	return words[3:], stdin, true
}

// TestREADMESendExamplesRunAsWritten runs every command of the README's
// "Send one signed event" section in-process: sends go to the reference
// receiver (holding the command's own secret) on a loopback port at the
// command's path, and each must exit 0; the error example must print what
// the README shows.
func TestREADMESendExamplesRunAsWritten(t *testing.T) {
	section := readmeHeadingSection(t, "## Send one signed event")
	fly, _ := providers.MustBuiltin().Variant("esimfly", "")
	d, err := fly.NewDelivery(fly.Events[0], mustGenerate(t, fly.Events[0]), "id")
	if err != nil {
		t.Fatal(err)
	}
	signer, _ := fly.Signer("s3cret")
	h, err := signer.Sign(signing.Message{Body: d.Body})
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{
		"ESIMFLY_WEBHOOK_SECRET": "esimfly-test-secret",
		"BODY":                   string(d.Body), "SECRET": "s3cret", "SIG": h.Get(fly.Signature.Header),
	}
	cmds := shellBlocks(section)
	if len(cmds) < 8 {
		t.Fatalf("found %d commands in the section, want at least 8", len(cmds))
	}
	for _, cmd := range cmds {
		words, err := shellWords(cmd, env)
		if err != nil {
			t.Errorf("%v", err)
			continue
		}
		args, stdin, ok := cliExample(words)
		if !ok {
			t.Errorf("%q: not a command this test can run; make it one or extend the test", cmd)
			continue
		}
		if to := flagValue(args, "to"); to != "" {
			pu := loopbackOnly(t, to)
			provider, variant, _ := strings.Cut(flagValue(args, "provider"), "@")
			if v := flagValue(args, "variant"); v != "" {
				variant = v
			}
			srv := hookReceiver(t, provider, variant, flagValue(args, "secret"))
			for i := range args {
				if args[i] == to {
					args[i] = srv.URL + pu.RequestURI()
				}
			}
		}
		code, out, errs := cli(t, stdin, args...)
		if code != 0 {
			t.Errorf("README example exits %d:\n%s\nstdout:\n%s\nstderr:\n%s", code, cmd, out, errs)
		}
	}

	// The error example: "$ esimhooks ARGS" then the lines it prints.
	m := regexp.MustCompile("(?m)^\\$ esimhooks (.*)\n(esimhooks .*(?:\nrun .*)?)$").FindStringSubmatch(section)
	if m == nil {
		t.Fatal("the section's error example is gone")
	}
	words, err := shellWords(m[1], nil)
	if err != nil {
		t.Fatal(err)
	}
	if code, _, errs := cli(t, "", words...); code != 2 || strings.TrimSpace(errs) != m[2] {
		t.Errorf("esimhooks %s: exit %d, printed %q; the README shows %q", m[1], code, errs, m[2])
	}
}

func mustGenerate(t *testing.T, ev *providers.Event) any {
	t.Helper()
	p, err := ev.Generate(payload.NewWorld(1, payload.Epoch))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestREADMEICCIDsAreLuhnValid: the README promises Luhn-valid ICCIDs, so
// its own examples must be.
func TestREADMEICCIDsAreLuhnValid(t *testing.T) {
	for _, s := range []string{"## Send one signed event", "### Five minutes with curl"} {
		for _, iccid := range regexp.MustCompile(`\b89\d{17,18}\b`).FindAllString(readmeHeadingSection(t, s), -1) {
			if !payload.LuhnValid(iccid) {
				t.Errorf("README example ICCID %s fails the Luhn check", iccid)
			}
		}
	}
}

// TestREADMECurlWalkthroughRunsAsWritten plays "Five minutes with curl"
// against an in-process mock server and the reference receiver the
// section names (both on loopback ports standing in for the section's
// addresses): every request must succeed, and both events must reach the
// receiver and be acknowledged.
func TestREADMECurlWalkthroughRunsAsWritten(t *testing.T) {
	section := readmeHeadingSection(t, "### Five minutes with curl")
	m := regexp.MustCompile("`(go run ./examples/receiver [^`]+)`").FindStringSubmatch(section)
	if m == nil {
		t.Fatal("the section no longer names the reference receiver's command")
	}
	rw, err := shellWords(m[1], nil)
	if err != nil {
		t.Fatal(err)
	}
	rcv := hookReceiver(t, flagValue(rw, "provider"), flagValue(rw, "variant"), flagValue(rw, "secret"))
	rcvAddr := "http://" + flagValue(rw, "addr")
	loopbackOnly(t, rcvAddr)

	base := mockServer(t)

	env := map[string]string{}
	deliveryID := ""
	ran := 0
	for _, cmd := range shellBlocks(section) {
		if name, val, ok := strings.Cut(cmd, "="); ok && regexp.MustCompile(`^[A-Z_]+$`).MatchString(name) {
			loopbackOnly(t, val)
			env[name] = base
			continue
		}
		if why, ok := readmeNotRun[cmd]; ok {
			t.Logf("not run: %s (%s)", cmd, why)
			continue
		}
		words, err := shellWords(cmd, env)
		if err != nil || len(words) == 0 || words[0] != "curl" {
			t.Errorf("%q: not a command this test can run (%v); make it one or extend the test", cmd, err)
			continue
		}
		req := curlRequest(t, cmd, words, func(s string) string {
			return strings.ReplaceAll(s, rcvAddr, rcv.URL)
		})
		if strings.Contains(req.URL.Path, "DELIVERY_ID") {
			if deliveryID == "" {
				t.Fatalf("%q: no delivery listed before it", cmd)
			}
			req.URL.Path = strings.ReplaceAll(req.URL.Path, "DELIVERY_ID", deliveryID)
		}
		status, answer := doRequest(t, req)
		ran++
		// Retrying a delivery that is no longer pending is refused (409):
		// the walkthrough says "retry a pending one".
		if status/100 != 2 && !(strings.HasSuffix(req.URL.Path, "/retry") && status == http.StatusConflict) {
			t.Errorf("%s\n→ %d %s", cmd, status, answer)
			continue
		}
		var page struct {
			Deliveries []struct{ ID string } `json:"deliveries"`
		}
		if json.Unmarshal(answer, &page) == nil && len(page.Deliveries) > 0 && deliveryID == "" {
			deliveryID = page.Deliveries[0].ID
		}
	}
	if ran < 7 {
		t.Fatalf("ran %d of the walkthrough's requests, want every one (at least 7)", ran)
	}
	// Every delivery the walkthrough made ends delivered: the receiver
	// verified and acknowledged it: order.completed, esim.activated and
	// its duplicate, the resend.
	allDelivered(t, base, 4)
}

// curlRequest builds the request of a README curl command (words, from
// shellWords): -s, -X METHOD, -H 'Name: value', -d BODY and the URL, which
// must be loopback. rewrite maps the URL and body (addresses the README
// names to the test's). Any other option fails the test.
func curlRequest(t *testing.T, cmd string, words []string, rewrite func(string) string) *http.Request {
	t.Helper()
	method, target, body := "", "", ""
	hdr := http.Header{}
	for i := 1; i < len(words); i++ {
		switch w := words[i]; {
		case w == "-s" || w == "-sN":
		case (w == "-X" || w == "-H" || w == "-d") && i+1 == len(words):
			t.Fatalf("%q: %s without a value", cmd, w)
		case w == "-X":
			i++
			method = words[i]
		case w == "-H":
			i++
			name, val, ok := strings.Cut(words[i], ":")
			if !ok {
				t.Fatalf("%q: header %q has no colon", cmd, words[i])
			}
			hdr.Add(strings.TrimSpace(name), strings.TrimSpace(val))
		case w == "-d":
			i++
			body = rewrite(words[i])
		case strings.HasPrefix(w, "-"):
			t.Fatalf("%q: curl option %s is beyond this test", cmd, w)
		default:
			target = rewrite(w)
		}
	}
	if method == "" {
		method = http.MethodGet
		if body != "" {
			method = http.MethodPost // as curl -d does
		}
	}
	loopbackOnly(t, target)
	req, err := http.NewRequest(method, target, strings.NewReader(body))
	if err != nil {
		t.Fatalf("%q: %v", cmd, err)
	}
	req.Header = hdr
	return req
}

// doRequest sends req and returns the status and the answer's body.
func doRequest(t *testing.T, req *http.Request) (int, []byte) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, answer
}

// allDelivered waits until the mock server at base lists at least min
// deliveries and every one is delivered (its receiver acknowledged it).
func allDelivered(t *testing.T, base string, min int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		resp, err := http.Get(base + "/api/deliveries")
		if err != nil {
			t.Fatal(err)
		}
		var page struct {
			Deliveries []struct{ Event, State string } `json:"deliveries"`
		}
		data, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err := json.Unmarshal(data, &page); err != nil {
			t.Fatal(err)
		}
		done := len(page.Deliveries) >= min
		for _, d := range page.Deliveries {
			done = done && d.State == "delivered"
		}
		if done {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("the examples' deliveries did not all reach the receiver: %s", bytes.TrimSpace(data))
		case <-tick.C:
		}
	}
}

// TestREADMESetTableHolds runs every row of the README's --set table on
// the event it names and compares the body's value at the row's path with
// the value the row shows.
func TestREADMESetTableHolds(t *testing.T) {
	section := readmeHeadingSection(t, "## Send one signed event")
	rows := regexp.MustCompile("(?m)^\\| `([^`]+)`[^|]*\\| `([^`]+)` \\|$").FindAllStringSubmatch(section, -1)
	if len(rows) < 9 {
		t.Fatalf("found %d rows of the --set table, want 9", len(rows))
	}
	for _, row := range rows {
		set, want := row[1], row[2]
		code, out, errs := cli(t, "", "generate", "--provider", "airalo", "--event", "async_order", "--seed", "42", "--set", set)
		if code != 0 {
			t.Errorf("--set %s: exit %d: %s", set, code, errs)
			continue
		}
		o, err := providers.ParseOverride(set)
		if err != nil {
			t.Fatal(err)
		}
		p, err := jsonv.Parse([]byte(out))
		if err != nil {
			t.Fatal(err)
		}
		path, _ := jsonv.ParsePath(o.Path)
		got, ok := jsonv.Get(p, path)
		b, _ := jsonv.Compact(got)
		if !ok || string(b) != want {
			t.Errorf("--set %s: the body has %s, the README says %s", set, b, want)
		}
		if added := strings.Contains(errs, "the payload has no "+o.Path); added != strings.Contains(row[0], "lacks") {
			t.Errorf("--set %s: warning %q", set, errs)
		}
	}
}
