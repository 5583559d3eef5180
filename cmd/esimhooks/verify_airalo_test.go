package main

import (
	"strings"
	"testing"
)

// TestVerifyExplainsEachAiraloSDK: verify says, per official Airalo SDK
// path, whether it accepts the body and signature, and why not.
func TestVerifyExplainsEachAiraloSDK(t *testing.T) {
	line := func(out, sdk string) string {
		for _, l := range strings.Split(out, "\n") {
			if strings.HasPrefix(strings.TrimSpace(l), sdk) {
				return l
			}
		}
		t.Fatalf("no line for %s in:\n%s", sdk, out)
		return ""
	}
	for _, tc := range []struct {
		name, body string
		want       map[string]string
	}{
		{"rule-conforming body with \\/", `{"qrcode_url":"https:\/\/a.io\/qr","price":12.75}`, map[string]string{
			"raw body HMAC": "accepts", "PHP SDK": "accepts", "Node SDK": "accepts", "Python SDK (dict)": "accepts",
			"Python SDK (str)": "rejects: the body contains `\\/`, which it turns into `\\\\/` before hashing"}},
	} {
		code, out, errs := cli(t, tc.body, "sign", "--provider", "airalo", "--secret", "s3cret")
		if code != 0 {
			t.Fatalf("sign: %d %s", code, errs)
		}
		hdr := strings.TrimSpace(out)
		_, out, _ = cli(t, tc.body, "verify", "--provider", "airalo", "--secret", "s3cret", "--header", hdr)
		for sdk, want := range tc.want {
			if l := line(out, sdk); !strings.Contains(l, want) {
				t.Errorf("%s: %s line %q, want %q\n%s", tc.name, sdk, l, want, out)
			}
		}
	}
	// A wrong secret: every path rejects, Node for its own reason when the
	// header is not 128 characters long.
	code, out, _ := cli(t, `{"remaining":225.35}`, "verify", "--provider", "airalo", "--secret", "s3cret", "--header", "airalo-signature: 00ff")
	if code != 1 || !strings.Contains(line(out, "Node SDK"), "ERR_CRYPTO_TIMING_SAFE_EQUAL_LENGTH") ||
		!strings.Contains(line(out, "PHP SDK"), "rejects: the signature is not the HMAC-SHA512") {
		t.Errorf("wrong signature: exit %d\n%s", code, out)
	}
}

// TestVerifyExplainsAUTF8AiraloBody signs a php-utf8 body as send does and
// checks the split verify reports for it.
func TestVerifyExplainsAUTF8AiraloBody(t *testing.T) {
	code, out, errs := cli(t, "", "send", "--provider", "airalo", "--event", "low_data_75", "--seed", "1",
		"--set", "package_name=Café", "--encoding", "php-utf8", "--secret", "s3cret", "--dry-run")
	if code != 0 {
		t.Fatalf("send: %d %s", code, errs)
	}
	if !strings.Contains(errs, "warning: the Airalo PHP SDK (string or array) will reject this body: the body has literal UTF-8") {
		t.Errorf("no PHP warning for php-utf8 non-ASCII:\n%s", errs)
	}
	if strings.Contains(errs, "Node SDK") {
		t.Errorf("php-utf8 suits the Node SDK, yet:\n%s", errs)
	}
	var sig, body string
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(strings.ToLower(l), "airalo-signature:") {
			sig = l
		}
		if strings.HasPrefix(l, "{") {
			body = l
		}
	}
	if sig == "" || !strings.Contains(body, `"package_name":"Café"`) {
		t.Fatalf("dry run without signature or literal body:\n%s", out)
	}
	_, out, _ = cli(t, body, "verify", "--provider", "airalo", "--secret", "s3cret", "--header", sig)
	for sdk, want := range map[string]string{"raw body HMAC": "accepts", "Node SDK": "accepts", "Python SDK (dict)": "accepts",
		"PHP SDK": "rejects: the body has literal UTF-8"} {
		found := false
		for _, l := range strings.Split(out, "\n") {
			if strings.HasPrefix(strings.TrimSpace(l), sdk) && strings.Contains(l, want) {
				found = true
			}
		}
		if !found {
			t.Errorf("%s: want %q in\n%s", sdk, want, out)
		}
	}
	code, _, errs = cli(t, "", "send", "--provider", "airalo", "--event", "low_data_75", "--set", "package_name=Café",
		"--secret", "s3cret", "--dry-run")
	if code != 0 || !strings.Contains(errs, "Node SDK (string or object) will reject this body: the body has non-ASCII text as `\\uXXXX` escapes") ||
		!strings.Contains(errs, "php-utf8 the Node and Python SDKs") {
		t.Errorf("php encoding, non-ASCII: exit %d, warnings:\n%s", code, errs)
	}
}

// TestREADMEAiraloVerifyExampleRuns runs the README's Airalo verify example
// and compares the output with the text shown there.
func TestREADMEAiraloVerifyExampleRuns(t *testing.T) {
	block := readmeSection(t, "airalo-verify")
	lines := strings.Split(strings.Trim(strings.TrimSpace(block), "`\n"), "\n")
	var body string
	var shown []string
	for _, l := range lines {
		switch {
		case strings.HasPrefix(l, "$ printf '%s' '"):
			body = strings.TrimSuffix(strings.TrimPrefix(l, "$ printf '%s' '"), "' \\")
		case strings.HasPrefix(l, "    | esimhooks verify"):
		default:
			shown = append(shown, l)
		}
	}
	if body == "" {
		t.Fatalf("no printf line in the README example:\n%s", block)
	}
	_, sig, _ := cli(t, body, "sign", "--provider", "airalo", "--secret", "s3cret")
	code, out, errs := cli(t, body, "verify", "--provider", "airalo", "--secret", "s3cret", "--header", strings.TrimSpace(sig))
	if code != 0 {
		t.Fatalf("verify: %d %s %s", code, out, errs)
	}
	if got, want := strings.TrimSpace(out), strings.TrimSpace(strings.Join(shown, "\n")); got != want {
		t.Errorf("README example output differs\nREADME:\n%s\nactual:\n%s", want, got)
	}
}

// TestREADMEAiraloWarningExampleRuns runs the README's warning example.
func TestREADMEAiraloWarningExampleRuns(t *testing.T) {
	lines := strings.Split(strings.Trim(strings.TrimSpace(readmeSection(t, "airalo-warning")), "`\n"), "\n")
	if len(lines) < 2 || !strings.HasPrefix(lines[0], "$ esimhooks ") {
		t.Fatalf("unexpected README example:\n%s", strings.Join(lines, "\n"))
	}
	code, _, errs := cli(t, "", strings.Fields(strings.TrimPrefix(lines[0], "$ esimhooks "))...)
	if want := strings.Join(lines[1:], "\n"); code != 0 || strings.TrimSpace(errs) != want {
		t.Errorf("exit %d, stderr:\n%s\nREADME shows:\n%s", code, errs, want)
	}
}
