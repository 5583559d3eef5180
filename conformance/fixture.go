package conformance

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/esimhooks/esimhooks/providers"
	"github.com/esimhooks/esimhooks/providers/jsonv"
	"github.com/esimhooks/esimhooks/providers/payload"
	"github.com/esimhooks/esimhooks/providers/signing"
)

// fixture makes the deliveries of one run: valid events of the variant,
// each from a fresh life seed so that no two specs share an id, signed with
// the run's secret. It is safe for concurrent use.
type fixture struct {
	v      *providers.Variant
	secret string
	signer signing.Signer // nil where the provider signs nothing

	mu   sync.Mutex
	seed uint64
	rng  *rand.Rand
}

func newFixture(v *providers.Variant, secret string, seed uint64) (*fixture, error) {
	f := &fixture{v: v, secret: secret, seed: seed, rng: rand.New(rand.NewPCG(seed, seed^0x5eed))}
	// A dry run may come without the secret: it signs nothing.
	if v.Signature.Scheme != signing.SchemeNone && secret != "" {
		s, err := v.Signer(secret)
		if err != nil {
			return nil, err
		}
		f.signer = s
	}
	return f, nil
}

// nextSeed returns a life seed no other delivery of the run used.
func (f *fixture) nextSeed() uint64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.seed++
	return f.seed
}

func (f *fixture) wireID() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.v.NewDeliveryID(f.rng)
}

// primary is the event the single-delivery specs send: the first public
// event that moves a resource (so the probe can see it), else the first.
func (f *fixture) primary() *providers.Event {
	pub := f.v.Public()
	for _, e := range pub {
		if len(e.Resources) > 0 {
			return e
		}
	}
	if len(pub) == 0 {
		return nil
	}
	return pub[0]
}

// generate fills e's payload for the life seed, so that the event's own
// time is at.
func (f *fixture) generate(e *providers.Event, seed uint64, at time.Time) (jsonv.Value, error) {
	return e.Generate(payload.NewWorld(seed, at.Add(-e.At.D())))
}

// deliver builds a delivery of e from payload p with a fresh wire id.
func (f *fixture) deliver(e *providers.Event, p jsonv.Value) (*providers.Delivery, error) {
	return f.v.NewDelivery(e, p, f.wireID())
}

// fresh is a valid delivery of e from a new life, timed now.
func (f *fixture) fresh(e *providers.Event) (*providers.Delivery, error) {
	if e == nil {
		return nil, errors.New("the profile has no public event")
	}
	p, err := f.generate(e, f.nextSeed(), time.Now())
	if err != nil {
		return nil, err
	}
	return f.deliver(e, p)
}

// signed returns the headers of an attempt of d made now, signed with the
// run's secret (unsigned where the provider signs nothing).
func (f *fixture) signed(d *providers.Delivery) (http.Header, error) {
	return f.signedAt(d, time.Now())
}

// signedAt is signed for an attempt made at t.
func (f *fixture) signedAt(d *providers.Delivery, t time.Time) (http.Header, error) {
	return d.Request(f.signer, t)
}

// signatureHeaders names the headers that carry the signature proper (not
// the id or timestamp Standard Webhooks also signs).
func (f *fixture) signatureHeaders() []string {
	switch f.v.Signature.Scheme {
	case signing.SchemeStandardWebhooks:
		return []string{"webhook-signature"}
	case signing.SchemeNone:
		return nil
	}
	return []string{f.v.Signature.Header}
}

// otherSigner signs with a fresh secret in the provider's format.
func (f *fixture) otherSigner() (signing.Signer, error) {
	f.mu.Lock()
	secret, err := f.v.NewSecret(cryptoReader{f.rng})
	f.mu.Unlock()
	if err != nil {
		return nil, err
	}
	if secret == f.secret {
		return nil, errors.New("drew the run's own secret")
	}
	return f.v.Signer(secret)
}

// rawSigner signs the raw body bytes with the run's secret in the
// provider's header format: how a body that is not JSON is signed where the
// provider signs a re-serialisation (which such a body has none of).
func (f *fixture) rawSigner() (signing.Signer, error) {
	s := f.v.Signature
	if s.Scheme != signing.SchemeHMACHex {
		return f.signer, nil
	}
	return signing.New(signing.Spec{Scheme: s.Scheme, Hash: s.Hash, Header: s.Header, Prefix: s.Prefix,
		Message: signing.MessageRaw, SecretFormat: s.SecretFormat}, f.secret)
}

// signBody signs arbitrary body bytes for d's headers with signer s.
func (f *fixture) signBody(d *providers.Delivery, s signing.Signer, body []byte, at time.Time) (http.Header, error) {
	nd := *d
	nd.Body = body
	return nd.Request(s, at)
}

// cryptoReader adapts a math/rand source to io.Reader for NewSecret: the
// other secret only has to differ from the run's, not be unguessable.
type cryptoReader struct{ r *rand.Rand }

func (c cryptoReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(c.r.Uint32())
	}
	return len(p), nil
}

// orderPair is two events of one life that move the same resource to
// different statuses: the suite sends the newer first.
type orderPair struct {
	older, newer *providers.Delivery
	// resource, oldStatus and newStat are the resource both set and the
	// status each sets; resource is "" for an untimed pair.
	resource           string
	oldStatus, newStat string
}

// pairFor finds, among the variant's timed public events, two of one life
// that set one resource to different statuses, and builds their deliveries
// timed a minute apart (older two minutes ago, newer one minute ago). It
// tries a few lives, since some statuses are drawn at random.
func (f *fixture) pairFor() (*orderPair, error) {
	var timed []*providers.Event
	for _, e := range f.v.Public() {
		if e.Time != "" && len(e.Resources) > 0 {
			timed = append(timed, e)
		}
	}
	now := time.Now().Truncate(time.Second)
	for try := 0; try < 32; try++ {
		seed := f.nextSeed()
		for i, a := range timed {
			for _, b := range timed[i+1:] {
				older, newer := a, b
				if b.At < a.At {
					older, newer = b, a
				}
				po, err := f.generate(older, seed, now.Add(-2*time.Minute))
				if err != nil {
					return nil, err
				}
				pn, err := f.generate(newer, seed, now.Add(-time.Minute))
				if err != nil {
					return nil, err
				}
				for _, eo := range older.Effects(po) {
					for _, en := range newer.Effects(pn) {
						if eo.ID != en.ID || eo.Status == en.Status {
							continue
						}
						p, err := f.deliverPair(older, po, newer, pn)
						if err != nil {
							return nil, err
						}
						p.resource, p.oldStatus, p.newStat = eo.ID, eo.Status, en.Status
						return p, nil
					}
				}
			}
		}
	}
	return f.untimedPair()
}

// untimedPair is the pair of a variant whose events carry no time or move
// no shared resource (Airalo): the earliest and the latest event of one
// life, with no resource to compare (ORD-001 only).
func (f *fixture) untimedPair() (*orderPair, error) {
	pub := f.v.Public()
	if len(pub) < 2 {
		return nil, fmt.Errorf("%s has fewer than two event types to reorder", f.v.ID())
	}
	older, newer := pub[0], pub[0]
	for _, e := range pub {
		if e.At < older.At {
			older = e
		}
		if e.At > newer.At {
			newer = e
		}
	}
	if older == newer {
		newer = pub[1]
	}
	seed, now := f.nextSeed(), time.Now()
	po, err := f.generate(older, seed, now)
	if err != nil {
		return nil, err
	}
	pn, err := f.generate(newer, seed, now)
	if err != nil {
		return nil, err
	}
	return f.deliverPair(older, po, newer, pn)
}

// deliverPair builds the deliveries of older's payload po and newer's pn,
// as a pair with no resource.
func (f *fixture) deliverPair(older *providers.Event, po jsonv.Value, newer *providers.Event, pn jsonv.Value) (*orderPair, error) {
	do, err := f.deliver(older, po)
	if err != nil {
		return nil, err
	}
	dn, err := f.deliver(newer, pn)
	if err != nil {
		return nil, err
	}
	return &orderPair{older: do, newer: dn}, nil
}

// malformedSig is one malformed signature header of SIG-006.
type malformedSig struct {
	what   string
	header string
	values []string
}

// malformedSignatures derives, from the correctly signed headers h, the
// malformed forms of the variant's signature header that receivers written
// from the providers' samples crash on: the digest cut to half its length,
// a value that is not hex (or base64), the scheme's prefix left out where
// it has one ("sha256=", Standard Webhooks' "v1,") or "sha256=" added where
// it has none, an empty value, and several values (two header lines, each
// signed with another secret).
func (f *fixture) malformedSignatures(h http.Header) ([]malformedSig, error) {
	names := f.signatureHeaders()
	if len(names) != 1 {
		return nil, fmt.Errorf("%s: want one signature header, have %v", f.v.ID(), names)
	}
	name := names[0]
	value := h.Get(name)
	prefix := f.v.Signature.Prefix
	if f.v.Signature.Scheme == signing.SchemeStandardWebhooks {
		prefix = "v1,"
	}
	digest, ok := strings.CutPrefix(value, prefix)
	if !ok || digest == "" {
		return nil, fmt.Errorf("%s: signature %q does not start with %q", f.v.ID(), redact(value), prefix)
	}
	other := func() (string, error) {
		s, err := f.otherSigner()
		if err != nil {
			return "", err
		}
		oh, err := s.Sign(signing.Message{Body: []byte(`{"other":true}`), ID: "msg_other", Timestamp: time.Now()})
		if err != nil {
			return "", err
		}
		return oh.Get(name), nil
	}
	o1, err := other()
	if err != nil {
		return nil, err
	}
	o2, err := other()
	if err != nil {
		return nil, err
	}
	out := []malformedSig{
		{"digest of half the length", name, []string{prefix + digest[:len(digest)/2]}},
		{"not hex: test_signature", name, []string{prefix + "test_signature"}},
		{"right length, not hex", name, []string{prefix + strings.Repeat("z", len(digest))}},
		{"empty value", name, []string{""}},
		{"two values", name, []string{o1, o2}},
	}
	if prefix != "" {
		out = append(out, malformedSig{"without the " + prefix + " prefix", name, []string{digest}})
	} else {
		out = append(out, malformedSig{"with a sha256= prefix the provider does not use", name, []string{signing.PrefixSHA256 + digest}})
	}
	return out, nil
}

// redact shortens a signature for an error message.
func redact(s string) string {
	if len(s) > 8 {
		return s[:8] + "…"
	}
	return s
}
