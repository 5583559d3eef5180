package providers_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/esimhooks/esimhooks/providers"
	"github.com/esimhooks/esimhooks/providers/signing"
)

// specer is what every Signer of package signing implements: its scheme as
// data, without the secret.
type specer interface{ Spec() signing.Spec }

// The per-provider constructors of package signing (NewRoamify, ...) are a
// public API that restates the profiles' signature specs: signing cannot
// import providers, which imports signing. This test is what keeps the two
// copies one: each constructor must build the very scheme its profiles
// state (header, hash, prefix, message form, secret format), and must
// verify a delivery generated and signed from the profile, and the
// profile's signer must verify what the constructor signs.
func TestConstructorsMatchTheProfiles(t *testing.T) {
	constructors := []struct {
		name     string
		new      func(string) (signing.Signer, error)
		variants []string // provider@variant whose signature the constructor is
	}{
		{"NewAiralo", hmacCtor(signing.NewAiralo), []string{"airalo@default"}},
		{"NewESIMfly", hmacCtor(signing.NewESIMfly), []string{"esimfly@2025-01"}},
		{"NewESIMfly2026", hmacCtor(signing.NewESIMfly2026), []string{"esimfly@2026-04", "esimfly@2026-09"}},
		{"NewRoamify", hmacCtor(signing.NewRoamify), []string{"roamify@overview", "roamify@per-type"}},
		{"NewSimplifyTrip", hmacCtor(signing.NewSimplifyTrip), []string{"simplifytrip@default"}},
		{"NewStandardWebhooks", func(s string) (signing.Signer, error) { return signing.NewStandardWebhooks(s) }, []string{"standard@v1"}},
	}
	cat := providers.MustBuiltin()
	listed := map[string]bool{}
	for _, c := range constructors {
		for _, id := range c.variants {
			listed[id] = true
			t.Run(c.name+"/"+id, func(t *testing.T) {
				prov, variant, _ := strings.Cut(id, "@")
				v, err := cat.Variant(prov, variant)
				if err != nil {
					t.Fatal(err)
				}
				ev := v.Public()[0]
				d, h, secret := delivery(t, id, ev.Name, 7)
				ctor, err := c.new(secret)
				if err != nil {
					t.Fatal(err)
				}
				fromProfile, err := v.Signer(secret)
				if err != nil {
					t.Fatal(err)
				}
				want, got := fromProfile.(specer).Spec(), ctor.(specer).Spec()
				if got != want {
					t.Errorf("signing.%s builds %+v; profile %s states %+v", c.name, got, id, want)
				}
				if f := v.Signature.SecretFormat; f != "" && got.SecretFormat != f {
					t.Errorf("signing.%s: secret format %q, profile %s says %q", c.name, got.SecretFormat, id, f)
				}
				if err := ctor.Verify(h, d.Body); err != nil {
					t.Errorf("signing.%s rejects %s's %s delivery signed from the profile: %v", c.name, id, ev.Name, err)
				}
				// The other way: what the constructor signs, the profile's
				// signer verifies.
				hc, err := d.Request(ctor, time.Now())
				if err != nil {
					t.Fatal(err)
				}
				if err := fromProfile.Verify(hc, d.Body); err != nil {
					t.Errorf("profile %s rejects what signing.%s signs: %v", id, c.name, err)
				}
				// A changed body fails: the two signers compare real
				// signatures, they do not both accept anything.
				tampered := []byte(strings.Replace(string(d.Body), "{", `{"x":1,`, 1))
				if err := ctor.Verify(h, tampered); !errors.Is(err, signing.ErrSignatureMismatch) {
					t.Errorf("signing.%s on a changed body: %v, want ErrSignatureMismatch", c.name, err)
				}
			})
		}
	}
	// A built-in variant no constructor is listed for, signing in a
	// constructor's header, must still be that constructor's scheme: a new
	// edition that changes what a header means needs a constructor (or
	// none), not a silent mismatch with an old one.
	for _, p := range cat.Profiles() {
		for _, v := range p.Variants {
			if listed[v.ID()] || v.Signature.Scheme == signing.SchemeNone {
				continue
			}
			secret := "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
			fromProfile, err := v.Signer(secret)
			if err != nil {
				t.Fatal(err)
			}
			spec := fromProfile.(specer).Spec()
			for _, c := range constructors {
				ctor, err := c.new(secret)
				if err != nil {
					t.Fatal(err)
				}
				if cs := ctor.(specer).Spec(); strings.EqualFold(cs.Header, spec.Header) && cs != spec {
					t.Errorf("%s signs in %s like signing.%s but states %+v, not %+v", v.ID(), spec.Header, c.name, spec, cs)
				}
			}
		}
	}
}

func hmacCtor(f func(string) (*signing.HMAC, error)) func(string) (signing.Signer, error) {
	return func(s string) (signing.Signer, error) { return f(s) }
}
