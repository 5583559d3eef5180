package api

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
)

// Credentials are the provider credentials the registration mocks require
// when the server has a token: without them anyone who reaches the port
// could register endpoints and make the server send requests to any URL.
// They are derived from the token (HMAC-SHA256 keyed with the token over a
// fixed label per value), so they are the same on every start with the
// same token and need no storage; GET /api/credentials (behind the bearer
// token) and `esimhooks serve --print-credentials` show them. They are
// never logged.
type Credentials struct {
	Airalo     AiraloCredentials `json:"airalo"`
	Esimaccess RTCredentials     `json:"esimaccess"`
	Esimfly    RTCredentials     `json:"esimfly"`
}

// AiraloCredentials are what Airalo's POST /v2/token wants.
type AiraloCredentials struct {
	ClientID     string `json:"client_id"`
	ClientSecret string `json:"client_secret"`
}

// RTCredentials are an RT-AccessCode and the secret key that goes with it
// (sent as RT-SecretKey, or used to compute RT-Signature).
type RTCredentials struct {
	AccessCode string `json:"access_code"`
	SecretKey  string `json:"secret_key"`
}

// DeriveCredentials returns the provider credentials a server with token
// requires, or nil for no token (any credentials are accepted).
func DeriveCredentials(token string) *Credentials {
	if token == "" {
		return nil
	}
	d := func(label string) string { return hex.EncodeToString(deriveKey(token, label)) }
	return &Credentials{
		Airalo:     AiraloCredentials{ClientID: "esimhooks-" + d("airalo-client-id")[:16], ClientSecret: d("airalo-client-secret")},
		Esimaccess: RTCredentials{AccessCode: d("esimaccess-access-code")[:32], SecretKey: d("esimaccess-secret-key")[:32]},
		Esimfly:    RTCredentials{AccessCode: d("esimfly-access-code")[:32], SecretKey: d("esimfly-secret-key")[:32]},
	}
}

// deriveKey is HMAC-SHA256(token, "esimhooks/" + label).
func deriveKey(token, label string) []byte {
	m := hmac.New(sha256.New, []byte(token))
	m.Write([]byte("esimhooks/" + label))
	return m.Sum(nil)
}

// putBack makes r's body read again what was read of it, then the rest.
func putBack(r *http.Request, read []byte) {
	rest := r.Body
	r.Body = struct {
		io.Reader
		io.Closer
	}{io.MultiReader(bytes.NewReader(read), rest), rest}
}

// errBodyTooLarge is PeekBody's error for a body over the cap.
var errBodyTooLarge = errors.New("the request body is over the cap")

// handleCredentials serves GET /api/credentials: the provider credentials
// the registration mocks require, or required false without a token.
func (s *Server) handleCredentials(w http.ResponseWriter, r *http.Request) {
	if s.creds == nil {
		writeJSON(w, http.StatusOK, map[string]any{"required": false})
		return
	}
	writeJSON(w, http.StatusOK, struct {
		Required bool `json:"required"`
		*Credentials
	}{true, s.creds})
}
