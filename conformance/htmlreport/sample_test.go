package htmlreport_test

import (
	"strings"
	"time"

	"github.com/esimhooks/esimhooks/conformance/htmlreport"
)

// hostile is what a hostile receiver may answer, quoted into evidence: if
// any of it became markup, the page would run a script, load an image or
// gain an element with the id "injected".
const hostile = `<script>document.title="pwned"</script><img src=x onerror="document.title='pwned'"><b id="injected">bold</b></code></dd></dl><h1>fake</h1>`

// longToken is an unbreakable 300-character word, as evidence quoting a
// base64 signature or a minified body holds.
var longToken = strings.Repeat("QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo", 9)

// sample is a failed run with every outcome the page shows: a MUST and a
// SHOULD failed, one not run, one blocked, passed, skipped.
func sample() *htmlreport.Report {
	return &htmlreport.Report{
		Provider: "roamify", Variant: "overview", Target: "https://staging.example.com/hooks/roamify?redacted",
		Seed: 4038555042464430976, Start: time.Date(2026, 12, 3, 13, 42, 49, 0, time.UTC), Duration: 1900 * time.Millisecond,
		Verdict: "failed", ExitCode: 1, Why: "2 MUST requirements failed; 1 was blocked; 1 was not run (the run's deadline of 3m0s was reached).",
		Modes: []string{"--probe: effects checked through the receiver's probe"},
		Counts: []htmlreport.Count{
			{Outcome: "passed", N: 2}, {Outcome: "failed", N: 4, Note: "1 not run"}, {Outcome: "blocked", N: 1},
			{Outcome: "skipped", N: 1}, {Outcome: "total", N: 8},
		},
		Requirements: []htmlreport.Requirement{
			{ID: "ACK-001", Level: "MUST", Category: "ack", Outcome: htmlreport.Passed, Evidence: `200 in 0.4 ms: {"outcome":"applied"}`,
				Sentence: "answers a valid delivery with 2xx within the provider's deadline.", Source: "seed 003", Fix: "Acknowledge first. Work later."},
			{ID: "SIG-001", Level: "MUST", Category: "signature", Outcome: htmlreport.Failed,
				Evidence: "expected 4xx, got 200 in 0.4 ms: " + hostile, Sentence: "rejects (4xx) a delivery without the signature header.",
				Source: "seed 003 <X-Roamify-Signature>", Fix: "Refuse a delivery without the header. Read the documented header " + hostile},
			{ID: "SIG-004", Level: "MUST", Category: "signature", Outcome: htmlreport.Failed,
				Evidence: "expected 2xx, got 401 in 0.3 ms: " + longToken, Sentence: "accepts (2xx) a correctly signed body whose bytes are not canonical.",
				Source: "seed 003", Fix: "Verify the raw bytes. Never re-serialise."},
			{ID: "ROB-004", Level: "SHOULD", Category: "robustness", Outcome: htmlreport.Failed, Evidence: "expected 4xx, got 200 in 80 ms",
				Sentence: "answers a 5 MiB body with 413 or another 4xx and keeps serving.", Source: "good practice", Fix: "Bound the body. Answer 413.",
				Note: "A SHOULD: it fails the run only with --strict."},
			{ID: "RTY-001", Level: "MUST", Category: "retry", Outcome: htmlreport.NotRun, Evidence: "not run: 1 of 1: the run's deadline of 3m0s was reached",
				Sentence: "applies an event once when the provider retries it.", Source: "providers.md", Fix: "Commit the key with the effect. Then answer.",
				Note: "Counts as failed: run again with a longer --timeout."},
			{ID: "ORD-001", Level: "MUST", Category: "ordering", Outcome: htmlreport.Blocked, Evidence: "blocked by ACK-001: no valid delivery was accepted in time",
				Sentence: "answers 2xx to events delivered out of order.", Source: "seed 004", BlockedBy: "ACK-001"},
			{ID: "IDM-001", Level: "MUST", Category: "idempotency", Outcome: htmlreport.Passed, Evidence: "200, then 200",
				Sentence: "answers 2xx to a byte-identical duplicate of a delivery it accepted.", Source: "seed 001"},
			{ID: "ACK-003", Level: "MUST", Category: "ack", Outcome: htmlreport.Skipped, Evidence: "roamify@overview: the provider counts any 2xx as delivered",
				Sentence: "answers a valid delivery with exactly 200.", Source: "seed 000", Fix: "Answer 200. Always."},
		},
	}
}
