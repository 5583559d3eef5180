package signing

import "net/http"

// None is the scheme of a provider that documents no signature: eSIM
// Access sends its webhooks unsigned. Sign returns no headers and Verify
// accepts every delivery, so a receiver must authenticate such a provider
// some other way (its published source IPs, a hard-to-guess URL, TLS).
type None struct{}

// Sign returns an empty header: the provider signs nothing.
func (None) Sign(Message) (http.Header, error) { return http.Header{}, nil }

// AddHeaders implements HeaderAdder: it adds nothing.
func (None) AddHeaders(http.Header, Message) error { return nil }

// Verify always returns nil: there is nothing to check.
func (None) Verify(http.Header, []byte) error { return nil }

// Spec returns the scheme as data.
func (None) Spec() Spec { return Spec{Scheme: SchemeNone} }

// String names the scheme.
func (None) String() string { return "signing.None{}" }
