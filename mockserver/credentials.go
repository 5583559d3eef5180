package mockserver

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
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

// rtSignatureWindow bounds how far an RT-Timestamp may be from the
// server's clock.
const rtSignatureWindow = 5 * time.Minute

// checkRT reports whether r carries creds: RT-AccessCode equal to the
// access code, and either RT-SecretKey equal to the secret key (when
// allowSecretKey: eSIM Access's open API form) or RT-Signature, the hex
// HMAC-SHA256 keyed with the secret key over RT-Timestamp + RT-RequestID +
// RT-AccessCode + the raw body (eSIMfly's request signing, also eSIM
// Access's API reference form; upper or lower case hex), with an
// RT-Timestamp (milliseconds) within 5 minutes of now. The body is read
// and put back for the handler. Every comparison takes constant time.
func checkRT(r *http.Request, creds RTCredentials, allowSecretKey bool, now time.Time, maxBody int64) bool {
	code := r.Header.Get("RT-AccessCode")
	codeOK := equalSecret(code, creds.AccessCode)
	if allowSecretKey && r.Header.Get("RT-SecretKey") != "" {
		return codeOK && equalSecret(r.Header.Get("RT-SecretKey"), creds.SecretKey)
	}
	ts, reqID, sig := r.Header.Get("RT-Timestamp"), r.Header.Get("RT-RequestID"), r.Header.Get("RT-Signature")
	ms, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || reqID == "" || sig == "" {
		return false
	}
	if d := now.Sub(time.UnixMilli(ms)); d > rtSignatureWindow || d < -rtSignatureWindow {
		return false
	}
	body, err := peekBody(r, maxBody)
	if err != nil {
		return false
	}
	want := rtSignature(creds.SecretKey, ts, reqID, code, body)
	got, err := hex.DecodeString(strings.ToLower(sig))
	return err == nil && hmac.Equal(got, want) && codeOK
}

// rtSignature is HMAC-SHA256(secretKey, timestamp + requestID + accessCode
// + body).
func rtSignature(secretKey, timestamp, requestID, accessCode string, body []byte) []byte {
	m := hmac.New(sha256.New, []byte(secretKey))
	m.Write([]byte(timestamp + requestID + accessCode))
	m.Write(body)
	return m.Sum(nil)
}

// peekBody reads r's body (at most max bytes; more is an error) and puts
// it back, so the handler reads it again.
func peekBody(r *http.Request, max int64) ([]byte, error) {
	if r.Body == nil || r.Body == http.NoBody {
		return nil, nil
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, max+1))
	putBack(r, body)
	if err == nil && int64(len(body)) > max {
		err = errBodyTooLarge
	}
	return body, err
}

// putBack makes r's body read again what was read of it, then the rest.
func putBack(r *http.Request, read []byte) {
	rest := r.Body
	r.Body = struct {
		io.Reader
		io.Closer
	}{io.MultiReader(bytes.NewReader(read), rest), rest}
}

// errBodyTooLarge is peekBody's error for a body over the cap.
var errBodyTooLarge = errors.New("the request body is over the cap")

// sourceAddr is the host of r's peer (forwarding headers are not
// trusted).
func sourceAddr(r *http.Request) string {
	if h, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		return h
	}
	return r.RemoteAddr
}

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
