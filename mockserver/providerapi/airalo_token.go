package providerapi

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/esimhooks/esimhooks/mockserver/api"
	"github.com/esimhooks/esimhooks/mockserver/engine"
)

// Airalo access tokens: POST /airalo/v2/token issues an HS256 JWT
// {aud: client_id, jti, iat, nbf, exp, iss: "esimhooks-airalo-mock"}
// signed with a key the server holds: derived from the server's token
// (so tokens survive a restart with the same token), or random per
// process without one (a restart then answers 401 to old tokens and the
// client asks for a new one, as Airalo's SDKs do). A token that is not
// signed with that key (alg none, another key, a changed claim), that has
// expired or is not yet valid gets 401 {"data": [], "meta": {"message":
// "Unauthenticated."}}, as Airalo answers a bad token.
//
// With a server token, /v2/token wants the client_id and client_secret of
// GET /api/credentials (others get 401, message "Client authentication
// failed", assumed) and every other route wants a token it issued. Without
// one, any client_id and client_secret get a token, and a bearer token
// that is not JWT-shaped at all is also accepted, the token itself naming
// the account (so a test can use "Bearer anything").

// airaloTokenIssuer is the iss claim of the mock's tokens.
const airaloTokenIssuer = "esimhooks-airalo-mock"

// airaloTokenLifetime is the expires_in of an access token: a year, as
// Airalo documents.
const airaloTokenLifetime = 365 * 24 * time.Hour

// errNotAiraloToken says a bearer token is not JWT-shaped with the mock's
// issuer (so it was never meant as one of its tokens).
var errNotAiraloToken = errors.New("not an access token of this mock")

// newAiraloTokenKey returns the key that signs access tokens.
func newAiraloTokenKey(h api.ProviderHost) []byte {
	if k := h.DeriveKey("airalo-token-key"); k != nil {
		return k
	}
	k := make([]byte, 32)
	_, _ = rand.Read(k)
	return k
}

// token issues an access token.
func (m *airaloMock) token(w http.ResponseWriter, r *http.Request) {
	f, ok := m.readForm(w, r)
	if !ok {
		return
	}
	errs := map[string]string{}
	for _, k := range []string{"client_id", "client_secret", "grant_type"} {
		if !f.present(k) {
			errs[k] = fmt.Sprintf("The %s field is required.", strings.ReplaceAll(k, "_", " "))
		}
	}
	if f.present("grant_type") && f.str("grant_type") != "client_credentials" {
		errs["grant_type"] = "The selected grant type is invalid."
	}
	if len(errs) > 0 {
		airaloInvalid(w, errs)
		return
	}
	client, secret := f.str("client_id"), f.str("client_secret")
	if c := m.h.Credentials(); c != nil {
		idOK := api.EqualSecret(client, c.Airalo.ClientID)
		if !api.EqualSecret(secret, c.Airalo.ClientSecret) || !idOK {
			airaloMessage(w, http.StatusUnauthorized, "Client authentication failed")
			return
		}
	}
	m.mu.Lock()
	m.secrets[client] = secret
	m.mu.Unlock()
	api.WriteJSON(w, http.StatusOK, map[string]any{
		"data": map[string]any{
			"token_type":   "Bearer",
			"expires_in":   int(airaloTokenLifetime.Seconds()),
			"access_token": m.signToken(client, m.now(), airaloTokenLifetime),
		},
		"meta": map[string]string{"message": "success"},
	})
}

// now is the tokens' clock.
func (m *airaloMock) now() time.Time {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.clock()
}

// setClock replaces the tokens' clock.
func (m *airaloMock) setClock(now func() time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.clock = now
}

// signToken returns an HS256 JWT for client, valid from now for lifetime.
func (m *airaloMock) signToken(client string, now time.Time, lifetime time.Duration) string {
	enc := base64.RawURLEncoding
	header, _ := json.Marshal(map[string]string{"typ": "JWT", "alg": "HS256"})
	claims, _ := json.Marshal(map[string]any{
		"aud": client, "jti": engine.RandomToken(32), "iat": now.Unix(), "nbf": now.Unix(),
		"exp": now.Add(lifetime).Unix(), "iss": airaloTokenIssuer,
	})
	signed := enc.EncodeToString(header) + "." + enc.EncodeToString(claims)
	mac := hmac.New(sha256.New, m.tokenKey)
	mac.Write([]byte(signed))
	return signed + "." + enc.EncodeToString(mac.Sum(nil))
}

// verifyToken returns the client_id of a valid token this mock issued;
// errNotAiraloToken for a bearer token that is not JWT-shaped with the
// mock's issuer; another error for a forged, altered, expired or
// not-yet-valid one.
func (m *airaloMock) verifyToken(token string) (string, error) {
	enc := base64.RawURLEncoding
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return "", errNotAiraloToken
	}
	var c struct {
		Aud string `json:"aud"`
		Iss string `json:"iss"`
		Exp *int64 `json:"exp"`
		Nbf int64  `json:"nbf"`
	}
	raw, err := enc.DecodeString(parts[1])
	if err != nil || json.Unmarshal(raw, &c) != nil || c.Iss != airaloTokenIssuer {
		return "", errNotAiraloToken
	}
	var h struct {
		Alg string `json:"alg"`
	}
	raw, err = enc.DecodeString(parts[0])
	if err != nil || json.Unmarshal(raw, &h) != nil || h.Alg != "HS256" {
		return "", errors.New("the token is not signed with HS256")
	}
	sig, err := enc.DecodeString(parts[2])
	mac := hmac.New(sha256.New, m.tokenKey)
	mac.Write([]byte(parts[0] + "." + parts[1]))
	if err != nil || !hmac.Equal(sig, mac.Sum(nil)) {
		return "", errors.New("the token's signature is wrong")
	}
	now := m.now().Unix()
	switch {
	case c.Exp == nil || now >= *c.Exp:
		return "", errors.New("the token has expired")
	case now < c.Nbf:
		return "", errors.New("the token is not valid yet")
	case c.Aud == "":
		return "", errors.New("the token names no client")
	}
	return c.Aud, nil
}

// bearer returns the token of r's "Authorization: Bearer" header, or "".
func bearer(r *http.Request) string {
	h := r.Header.Get("Authorization")
	const prefix = "bearer "
	if len(h) <= len(prefix) || !strings.EqualFold(h[:len(prefix)], prefix) {
		return ""
	}
	return strings.TrimSpace(h[len(prefix):])
}

// auth returns the caller's account, or answers 401.
func (m *airaloMock) auth(w http.ResponseWriter, r *http.Request) (string, bool) {
	token := bearer(r)
	client, err := m.verifyToken(token)
	switch {
	case token == "":
	case err == nil && (m.h.Credentials() == nil || client == m.h.Credentials().Airalo.ClientID):
		return accountKey("client:" + client), true
	case errors.Is(err, errNotAiraloToken) && m.h.Credentials() == nil:
		return accountKey("token:" + token), true
	}
	w.Header().Set("WWW-Authenticate", "Bearer")
	airaloMessage(w, http.StatusUnauthorized, "Unauthenticated.")
	return "", false
}

// clientSecret returns the client_secret of the account's client, if this
// mock issued its token.
func (m *airaloMock) clientSecret(r *http.Request) string {
	client, err := m.verifyToken(bearer(r))
	if err != nil {
		return ""
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.secrets[client]
}
