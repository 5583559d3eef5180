package scenario

import (
	"strings"
	"testing"
)

// TestResultURLRedacted: a token in the receiver URL's user info or query
// reaches the receiver but never the result or its printout.
func TestResultURLRedacted(t *testing.T) {
	sc := shipped(t, "roamify-activation-first")
	tg := serve(t, sc.Variant, nil, nil)
	tg.Probe = ""
	tg.URL = strings.Replace(tg.URL, "http://", "http://user:pa55word@", 1) + "?token=s3cret"
	res := play(t, sc, tg, Options{})
	if !res.Passed() {
		t.Fatalf("the receiver did not get the deliveries:\n%s", printed(res))
	}
	out := printed(res) + res.URL
	if strings.Contains(out, "s3cret") || strings.Contains(out, "pa55word") || !strings.HasSuffix(res.URL, "/hook?redacted") {
		t.Errorf("URL %q, printout:\n%s", res.URL, printed(res))
	}
}
