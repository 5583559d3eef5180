package signing

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
)

type secretFormat struct {
	n      int // random bytes read
	encode func([]byte) string
}

var secretFormats = map[string]secretFormat{
	SecretWhsec:  {24, func(b []byte) string { return WhsecPrefix + base64.StdEncoding.EncodeToString(b) }},
	SecretHex32:  {32, hex.EncodeToString},
	SecretCKTest: {16, func(b []byte) string { return "ck_test_" + hex.EncodeToString(b) }},
	SecretToken:  {24, base64.RawURLEncoding.EncodeToString},
}

// NewSecret returns a fresh secret in format (SecretWhsec, SecretHex32,
// SecretCKTest or SecretToken), reading its randomness from r. The caller
// must pass crypto/rand.Reader (or nil, which means crypto/rand.Reader) for
// real secrets; a seeded reader gives the same secret every time, for
// tests. It fails with ErrInvalidSpec for an unknown format and with the
// reader's error when r runs short.
func NewSecret(format string, r io.Reader) (string, error) {
	f, ok := secretFormats[format]
	if !ok {
		return "", fmt.Errorf("%w: unknown secret format %q (want whsec, hex32, ck_test or token)", ErrInvalidSpec, format)
	}
	if r == nil {
		r = rand.Reader
	}
	b := make([]byte, f.n)
	if _, err := io.ReadFull(r, b); err != nil {
		return "", fmt.Errorf("signing: reading randomness for a %s secret: %w", format, err)
	}
	return f.encode(b), nil
}
