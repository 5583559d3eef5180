package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/esimhooks/esimhooks/providers"
)

// cli runs the command in-process and returns its exit code and output.
func cli(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), &env{strings.NewReader(stdin), &out, &errb, func(string) string { return "" }}, args)
	return code, out.String(), errb.String()
}

func TestEventsJSONListsTheWholeCatalogue(t *testing.T) {
	code, out, errs := cli(t, "", "events", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var rows []map[string]any
	if err := json.Unmarshal([]byte(out), &rows); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, p := range providers.MustBuiltin().Profiles() {
		for _, v := range p.Variants {
			n += len(v.Events)
		}
	}
	if len(rows) != n {
		t.Fatalf("%d rows, want %d", len(rows), n)
	}
	for _, r := range rows {
		if r["provider"] == "" || r["variant"] == "" || r["event"] == "" || r["schema"] == "" {
			t.Errorf("incomplete row %v", r)
		}
	}
	code, out, _ = cli(t, "", "events", "--provider", "roamify@per-type")
	if code != 0 || !strings.Contains(out, "refund/rejected") || strings.Contains(out, "esim/esim_usage") {
		t.Errorf("filtered listing:\n%s", out)
	}
}

func TestSeededOutputIsByteForByteRepeatable(t *testing.T) {
	for _, args := range [][]string{
		{"generate", "--provider", "airalo", "--event", "async_order", "--seed", "42"},
		{"send", "--provider", "standard", "--event", "order.completed", "--seed", "42", "--now", "2026-01-15T09:30:00Z", "--secret", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "--dry-run", "--to", "http://127.0.0.1:1/x"},
		{"send", "--provider", "esimfly", "--variant", "2026-04", "--event", "esim.provisioned", "--seed", "42", "--secret", "whsec_abc", "--dry-run"},
	} {
		_, a, _ := cli(t, "", args...)
		_, b, _ := cli(t, "", args...)
		if a == "" || a != b {
			t.Errorf("%v: not repeatable:\n%s\n---\n%s", args, a, b)
		}
		args[len(args)-1+0] = args[len(args)-1]
	}
	_, a, _ := cli(t, "", "generate", "--provider", "roamify", "--event", "esim/esim_status", "--seed", "1")
	_, b, _ := cli(t, "", "generate", "--provider", "roamify", "--event", "esim/esim_status", "--seed", "2")
	if a == b {
		t.Error("different seeds printed the same payload")
	}
}

func TestOverridesKeepTypesAndReachNestedValues(t *testing.T) {
	code, out, errs := cli(t, "", "generate", "--provider", "esimfly", "--event", "order.completed", "--seed", "1",
		"--set", "data.esims.0.iccid=8944500000000000018", "--set", "/data/order_id=ORD-1", "--set", "data.extra:={\"a\":[1,true]}",
		"--set", "data.iccid=8944500000000000017", "--set", "data.count=123", "--set", "data.big:=9007199254740991")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, want := range []string{`"iccid":"8944500000000000018"`, `"order_id":"ORD-1"`, `"extra":{"a":[1,true]}`,
		`"iccid":"8944500000000000017"`, `"count":"123"`, `"big":9007199254740991`} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %s in %s", want, out)
		}
	}
	for _, want := range []string{"warning: --set data.iccid=8944500000000000017: the payload has no data.iccid", "warning: --set data.count=123: the payload has no data.count", "(write data.count:=123 for a number)"} {
		if !strings.Contains(errs, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errs)
		}
	}
	if strings.Contains(errs, "--set data.esims.0.iccid") || strings.Contains(errs, "--set /data/order_id") {
		t.Errorf("warnings for existing paths:\n%s", errs)
	}
	// A number the provider's encoding would change is refused, exit 2.
	code, _, errs = cli(t, "", "send", "--provider", "esimfly", "--event", "order.completed", "--seed", "1", "--secret", "s", "--dry-run",
		"--set", "data.iccid:=8944500000000000017")
	if code != 2 || !strings.Contains(errs, "would be sent as 8944500000000000000") {
		t.Errorf("exit %d: %s", code, errs)
	}
	// A typo gets a suggestion.
	_, _, errs = cli(t, "", "send", "--provider", "esimfly", "--event", "esim.activated", "--seed", "1", "--secret", "s", "--dry-run",
		"--set", "data.iccd=8944500000000000017")
	if !strings.Contains(errs, "(did you mean data.iccid?)") {
		t.Errorf("no suggestion: %s", errs)
	}
}

// receiver verifies every delivery with the provider's signer and counts.
func receiver(t *testing.T, v *providers.Variant, secret string, status int) (*httptest.Server, *atomic.Int64) {
	var n atomic.Int64
	var verify func(http.Header, []byte) error
	if v.Signature.Scheme != "none" {
		s, err := v.Signer(secret)
		if err != nil {
			t.Fatal(err)
		}
		verify = s.Verify
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if verify != nil {
			if err := verify(r.Header, body); err != nil {
				http.Error(w, err.Error(), 401)
				return
			}
		}
		if ev, _, err := v.Identify(r.Header, body); err != nil || ev == nil {
			http.Error(w, "unidentified: "+err.Error(), 422)
			return
		}
		n.Add(1)
		w.WriteHeader(status)
		io.WriteString(w, `{"received":true}`)
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

func secretFor(v *providers.Variant) string {
	if v.Signature.SecretFormat == "whsec" {
		return "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	}
	return "s3cr3t-for-tests"
}

// TestSendDeliversEveryEventOfEveryProvider sends each event with its
// duplicates to a receiver that verifies signatures and identifies events.
func TestSendDeliversEveryEventOfEveryProvider(t *testing.T) {
	for _, p := range providers.MustBuiltin().Profiles() {
		for _, v := range p.Variants {
			secret := secretFor(v)
			srv, n := receiver(t, v, secret, 200)
			for _, ev := range v.Events {
				args := []string{"send", "--provider", p.Name, "--variant", v.Name, "--event", ev.Name,
					"--to", srv.URL, "--secret", secret, "--duplicates", "2"}
				if ev.Reserved != "" {
					// Listed but not emitted by the provider: refused unless forced.
					code, out, errs := cli(t, "", args...)
					if code != 2 || out != "" || !strings.Contains(errs, "not emitted") || !strings.Contains(errs, "--force") {
						t.Errorf("%s %s unforced: exit %d, stdout %q, stderr %q; want exit 2 naming --force", v.ID(), ev.Name, code, out, errs)
					}
					args = append(args, "--force")
				}
				code, out, errs := cli(t, "", args...)
				if code != 0 || strings.Count(out, " 200 in ") != 3 {
					t.Errorf("%s %s: exit %d\n%s%s", v.ID(), ev.Name, code, out, errs)
				}
			}
			if got := n.Load(); got != int64(3*len(v.Events)) {
				t.Errorf("%s: receiver accepted %d, want %d", v.ID(), got, 3*len(v.Events))
			}
		}
	}
}

func TestAiraloCountsOnly200AsAcknowledged(t *testing.T) {
	v, _ := providers.MustBuiltin().Variant("airalo", "")
	srv, _ := receiver(t, v, "k", 201)
	code, out, _ := cli(t, "", "send", "--provider", "airalo", "--event", "credit_limit", "--to", srv.URL, "--secret", "k")
	if code != 1 || !strings.Contains(out, "NOT acknowledged") {
		t.Errorf("exit %d\n%s", code, out)
	}
}

func TestBadInputGivesOneClearLineAndExitCode2(t *testing.T) {
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	dead := "http://" + l.Addr().String() + "/hook"
	l.Close()
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"send", "--provider", "esimfy", "--event", "x", "--to", dead}, `unknown provider "esimfy" (valid: airalo, esimaccess, esimfly, roamify, simplifytrip, standard)`},
		{[]string{"send", "--provider", "esimfly", "--variant", "2030", "--event", "x", "--to", dead}, `unknown variant of esimfly "2030" (valid: 2025-01, 2026-04, 2026-09)`},
		{[]string{"send", "--provider", "esimfly", "--event", "order.shipped", "--to", dead}, `valid: order.created, order.completed`},
		{[]string{"send", "--provider", "esimfly", "--event", "order.created", "--set", "nothing", "--to", dead, "--secret", "s"}, `want PATH=TEXT or PATH:=JSON`},
		{[]string{"send", "--provider", "esimfly", "--event", "order.created", "--set", "data.order_id.x=1", "--to", dead, "--secret", "s"}, `--set data.order_id.x`},
		{[]string{"send", "--provider", "esimfly", "--event", "order.created", "--to", dead, "--secret", "s"}, `is unreachable`},
		{[]string{"send", "--provider", "esimfly", "--event", "order.created", "--to", "ftp://x", "--secret", "s"}, `want an http:// or https:// URL`},
		{[]string{"send", "--provider", "roamify", "--event", "esim/esim_status", "--to", dead}, `--secret is required`},
		{[]string{"send", "--provider", "esimfly", "--event", "order.created", "--seed", "x"}, `must be a non-negative integer`},
		{[]string{"frobnicate"}, `unknown command "frobnicate"`},
		{[]string{"events", "--profile-file", "/nonexistent.yaml"}, `--profile-file /nonexistent.yaml`},
		{[]string{"serve", "--store", "memory", "--max-endpoints", "0"}, `--max-endpoints "0": want a whole number from 1 to 100000`},
		{[]string{"serve", "--store", "memory", "--max-trigger-deliveries", "2000000"}, `--max-trigger-deliveries "2000000": want a whole number from 1 to 1000000`},
		{[]string{"bench", "--scenario", "flood"}, `--scenario "flood": want throughput, storm or retention`},
		{[]string{"bench", "--scenario", "storm", "--duplicates", "101"}, `--duplicates must be from 1 to 100`},
	}
	for _, c := range cases {
		code, out, errs := cli(t, "", c.args...)
		if line, ok := errorLine(errs); code != 2 || !strings.Contains(line, c.want) || !ok {
			t.Errorf("%v: exit %d, stderr %q (stdout %q), want one line containing %q (and the help hint)", c.args, code, errs, out, c.want)
		}
	}
}

// errorLine returns the error line of stderr, and whether stderr is that
// one line, or that line and the hint that points to the command's help.
func errorLine(errs string) (string, bool) {
	lines := strings.Split(strings.TrimSuffix(errs, "\n"), "\n")
	if len(lines) == 2 && !hintLine.MatchString(lines[1]) {
		return lines[0], false
	}
	return lines[0], len(lines) <= 2 && strings.HasSuffix(errs, "\n")
}

// hintLine is the line under an error about the command line.
var hintLine = regexp.MustCompile(`^run 'esimhooks (help|[a-z]+ --help)' for (its flags|the commands)$`)

func TestSignThenVerifyAndExplainAMismatch(t *testing.T) {
	body := `{"event_category":"esim","event_type":"esim_status","data":{"iccid":"8944500000000000017"}}`
	code, out, errs := cli(t, body, "sign", "--provider", "roamify", "--secret", "k1")
	if code != 0 || !strings.HasPrefix(out, "X-Roamify-Signature: ") {
		t.Fatalf("sign: %d %s %s", code, out, errs)
	}
	hdr := strings.TrimSpace(out)
	if code, out, _ = cli(t, body, "verify", "--provider", "roamify", "--secret", "k1", "--header", hdr); code != 0 || !strings.Contains(out, "signature valid") {
		t.Errorf("verify: %d %s", code, out)
	}
	code, out, _ = cli(t, body, "verify", "--provider", "roamify", "--secret", "k2", "--header", hdr)
	if code != 1 || !strings.Contains(out, "INVALID") || !strings.Contains(out, "JSON.stringify(JSON.parse(body))") {
		t.Errorf("wrong secret: %d %s", code, out)
	}
	code, out, _ = cli(t, body, "sign", "--provider", "standard", "--secret", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "--id", "msg_p5jXN8AQM9LWM0D4loKWxJek", "--timestamp", "1614265330")
	if code != 0 || !strings.Contains(out, "Webhook-Signature: v1,") {
		t.Errorf("standard sign: %s", out)
	}
	_, out, _ = cli(t, `{"test": 2432232314}`, "sign", "--provider", "standard", "--secret", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "--id", "msg_p5jXN8AQM9LWM0D4loKWxJek", "--timestamp", "1614265330")
	if !strings.Contains(out, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=") {
		t.Errorf("standard test vector not reproduced:\n%s", out)
	}
}

func TestHelpPrintsTheUsageOnceAndExits0(t *testing.T) {
	for _, c := range commandNames() {
		code, out, _ := cli(t, "", c, "--help")
		if code != 0 || strings.Count(out, "Usage: esimhooks "+c) != 1 {
			t.Errorf("%s --help: exit %d, output:\n%s", c, code, out)
		}
	}
}

func TestServeReadsItsEnvironment(t *testing.T) {
	var out, errb bytes.Buffer
	vars := map[string]string{"ESIMHOOKS_STORE": "memory", "ESIMHOOKS_ADDR": "127.0.0.1:0", "ESIMHOOKS_TIME_SCALE": "fast"}
	code := run(context.Background(), &env{strings.NewReader(""), &out, &errb, func(k string) string { return vars[k] }}, []string{"serve"})
	if code != 2 || !strings.Contains(errb.String(), `--time-scale "fast"`) {
		t.Errorf("exit %d, stderr %q: the environment's time scale was not read", code, errb.String())
	}
	vars["ESIMHOOKS_TIME_SCALE"] = "0.01"
	vars["ESIMHOOKS_LOG_FORMAT"] = "xml"
	errb.Reset()
	code = run(context.Background(), &env{strings.NewReader(""), &out, &errb, func(k string) string { return vars[k] }}, []string{"serve"})
	if code != 2 || !strings.Contains(errb.String(), `--log-format "xml"`) {
		t.Errorf("exit %d, stderr %q", code, errb.String())
	}
	delete(vars, "ESIMHOOKS_LOG_FORMAT")
	vars["ESIMHOOKS_MAX_ENDPOINTS"] = "many"
	errb.Reset()
	code = run(context.Background(), &env{strings.NewReader(""), &out, &errb, func(k string) string { return vars[k] }}, []string{"serve"})
	if code != 2 || !strings.Contains(errb.String(), `--max-endpoints "many"`) {
		t.Errorf("exit %d, stderr %q: the environment's endpoint bound was not read", code, errb.String())
	}
}
