package conformance

import (
	"slices"

	"github.com/esimhooks/esimhooks/providers"
)

// A fact is a property of a provider variant, read from its profile, that a
// requirement can apply under (requirements.yaml's applies_when). Facts
// never name a provider: a user's --profile-file provider with an HMAC
// signature is graded on the signature requirements like a shipped one.
type fact struct {
	// holds reports whether the variant has the fact.
	holds func(*providers.Variant) bool
	// is says what the fact is, for the README's "applies where" column.
	is string
	// not says why a requirement does not apply where the fact fails: the
	// evidence of the skipped requirement.
	not string
}

// facts are the names applies_when may use.
var facts = map[string]fact{
	"signed": {(*providers.Variant).Signed,
		"the provider signs its deliveries",
		"the profile documents no signature (signature scheme none)"},
	"raw-signed": {(*providers.Variant).SignsRawBody,
		"the signature covers the raw body bytes (message raw, or Standard Webhooks)",
		"the provider signs a re-serialisation of the body, not its raw bytes"},
	"php-signed": {(*providers.Variant).SignsPHPReencoding,
		"the signature covers PHP's json_encode of the body (message php-json)",
		"the provider does not sign PHP's re-encoding of the body"},
	"success-200": {(*providers.Variant).Only200,
		"the provider counts only 200 as delivered (ack success \"200\")",
		"the provider counts any 2xx as delivered"},
	"registration-check": {(*providers.Variant).ChecksRegistration,
		"the provider checks a newly registered URL (registration check head or event)",
		"the provider makes no registration check"},
	"ordered": {(*providers.Variant).Ordered,
		"events carry their own time and move a resource",
		"the provider's events carry no event time that moves a resource, so none can be older than another"},
	"replay-window": {(*providers.Variant).SignsReplayTime,
		"the provider signs a time and documents a replay window",
		"the provider signs no timestamp with a replay window, so a receiver cannot tell a replay"},
}

// factNames returns the fact names in order, for messages.
func factNames() []string {
	var out []string
	for n := range facts {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}
