package faulty

import (
	crand "crypto/rand"
	"net/http"
	"strings"

	"github.com/esimhooks/esimhooks/examples/receiver/receiver"
	"github.com/esimhooks/esimhooks/providers"
)

// Setup returns the receivers the suite must not grade at all: the
// setup is wrong (the receiver keeps another secret, the probe is not the
// receiver's), so the preflight ends the run with exit 2 and a line
// holding every fragment of Stops, before any requirement is graded.
// Breaks is empty.
func Setup() []Fault { return []Fault{wrongSecret, brokenProbe} }

var wrongSecret = Fault{
	Name: "wrong-secret",
	Doc: "Correct, but keyed with another secret than the one the suite signs with (a staging " +
		"receiver holding the production secret, a secret pasted from the wrong dashboard): it " +
		"rejects every correctly signed delivery with 401. Grades nothing: the preflight stops " +
		"the run, exit 2, naming --secret, the header the provider signs in and its scheme.",
	Applies: (*providers.Variant).Signed,
	Stops: func(v *providers.Variant) []string {
		return []string{"the receiver rejected a correctly signed delivery (401 ", "check --secret",
			"the provider signs in header " + signatureHeader(v), macName(v)}
	},
	New: func(v *providers.Variant, _ string) (Receiver, error) {
		other, err := v.NewSecret(crand.Reader)
		if err != nil {
			return nil, err
		}
		return build(v, other, nil)
	},
}

// macName names the variant's signature scheme as the preflight's hint
// does: "hex HMAC-SHA512", "base64 HMAC-SHA256".
func macName(v *providers.Variant) string {
	if v.Signature.Scheme == "standard-webhooks" {
		return "base64 HMAC-SHA256"
	}
	return "hex HMAC-" + strings.ToUpper(v.Signature.Hash)
}

var brokenProbe = Fault{
	Name: "broken-probe",
	Doc: "Correct webhook, but its probe knows no event: every /events/{key} and " +
		"/resources/{id} answers 404, as a probe reading another database (or the wrong base " +
		"URL given as --probe) does. Grades nothing: after the receiver accepted a delivery, " +
		"the preflight stops the run, exit 2, asking whether --probe is the base URL, instead " +
		"of failing the receiver on every requirement the probe grades.",
	Applies: always,
	Stops: func(*providers.Variant) []string {
		return []string{"knows no event the receiver just accepted", "404 " + unknownEvent, "is --probe the base URL?"}
	},
	New: func(v *providers.Variant, secret string) (Receiver, error) {
		r, err := build(v, secret, nil)
		if err != nil {
			return nil, err
		}
		return &blindProbe{r}, nil
	},
}

// unknownEvent is the body of blindProbe's 404s.
const unknownEvent = `{"error":"unknown event"}`

// blindProbe is a correct receiver whose probe answers 404 to everything.
type blindProbe struct{ *receiver.Receiver }

// ServeHTTP serves the webhook as the receiver does and the probe as 404s.
func (b *blindProbe) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	if strings.HasPrefix(req.URL.Path, receiver.ProbePrefix+"/") {
		b.ProbeHandler().ServeHTTP(w, req)
		return
	}
	b.Receiver.ServeHTTP(w, req)
}

// ProbeHandler answers 404 to everything.
func (b *blindProbe) ProbeHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotFound)
		_, _ = w.Write([]byte(unknownEvent))
	})
}
