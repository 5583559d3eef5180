package main

import (
	"net/http"
	"regexp"
	"sort"
	"time"

	"github.com/esimhooks/esimhooks/mockserver/wire"
)

func sortedKeys(h http.Header) []string {
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// packagePrefix is the "pkg: " prefix this module's libraries put on their
// errors (Go's convention for a library), at the start of a message or of
// a wrapped part: "--secret: signing: invalid secret: …". Users of the
// command do not know the packages; the CLI drops it (userMessage).
// TestPackagePrefixesCoverTheModule keeps the list in step with the
// module's packages.
var packagePrefix = regexp.MustCompile(`(^|: |\()(?:api|attack|benchkit|browsertest|childrun|conformance|conformancetest|dashboard|engine|faulty|htmlreport|jsonlimit|jsonv|mockserver|mockservertest|openapi|payload|providerapi|providers|receiver|receivertest|runtimes|scenario|scenarios|schemas|signing|sqlite|storetest|wire|yamldoc): `)

// userMessage is msg without the package prefixes of the libraries.
func userMessage(msg string) string {
	for {
		out := packagePrefix.ReplaceAllString(msg, "$1")
		if out == msg {
			return out
		}
		msg = out
	}
}

// latency is how every command prints a latency: "0.4 ms", "12 ms",
// "3.4 s" (wire.FormatLatency, which check's evidence and play use too).
func latency(d time.Duration) string { return wire.FormatLatency(d) }
