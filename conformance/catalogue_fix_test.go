package conformance

import (
	"regexp"
	"strings"
	"testing"
)

// codeSpan and sentenceEnd count a fix paragraph's sentences: code spans
// (`INSERT ... ON CONFLICT`) are left out, a sentence ends with . ! or ?
// before a space and a capital letter, or at the end.
var (
	codeSpan    = regexp.MustCompile("`[^`]*`")
	sentenceEnd = regexp.MustCompile(`[.!?](\s+[A-Z(]|\s*$)`)
)

// TestCatalogueFixes keeps the "how to fix" paragraphs of the catalogue
// (shown under a failure by --report-html) real: every requirement has
// one of 2-4 sentences, it does not merely restate the requirement, and no
// two requirements share one. LoadCatalogue already refuses a requirement
// without a fix (TestCatalogueLoads).
func TestCatalogueFixes(t *testing.T) {
	seen := map[string]string{}
	for _, r := range Requirements().Requirements {
		fix := strings.TrimSpace(r.Fix)
		n := len(sentenceEnd.FindAllString(codeSpan.ReplaceAllString(fix, "code"), -1))
		if n < 2 || n > 4 {
			t.Errorf("%s: fix has %d sentences, want 2-4: %q", r.ID, n, fix)
		}
		if strings.Contains(fix, strings.TrimSuffix(r.Sentence, ".")) {
			t.Errorf("%s: fix restates the requirement's sentence", r.ID)
		}
		if other, ok := seen[fix]; ok {
			t.Errorf("%s: same fix as %s", r.ID, other)
		}
		seen[fix] = r.ID
	}
	if _, err := LoadCatalogue([]byte("requirements:\n- {id: ACK-001, level: MUST, category: ack, sentence: s, source: s, fix: f}\n")); err != nil {
		t.Errorf("a minimal requirement with a fix does not load: %v", err)
	}
	if _, err := LoadCatalogue([]byte("requirements:\n- {id: ACK-001, level: MUST, category: ack, sentence: s, source: s}\n")); err == nil || !strings.Contains(err.Error(), "ACK-001: fix is required") {
		t.Errorf("a requirement without a fix: %v, want an error naming ACK-001 and fix", err)
	}
}
