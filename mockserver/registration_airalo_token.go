package mockserver

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// token issues an access token. The token is JWT-shaped (unsigned) and
// carries the client_id, so the account survives a restart of the mock.
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
	client := f.str("client_id")
	m.mu.Lock()
	m.secrets[client] = f.str("client_secret")
	m.mu.Unlock()
	const lifetime = 365 * 24 * time.Hour
	writeJSON(w, http.StatusOK, map[string]any{
		"data": map[string]any{
			"token_type":   "Bearer",
			"expires_in":   int(lifetime.Seconds()),
			"access_token": newAiraloToken(client, time.Now(), lifetime),
		},
		"meta": map[string]string{"message": "success"},
	})
}

// newAiraloToken returns an unsigned JWT-shaped token for client.
func newAiraloToken(client string, now time.Time, lifetime time.Duration) string {
	enc := base64.RawURLEncoding
	header, _ := json.Marshal(map[string]string{"typ": "JWT", "alg": "none"})
	claims, _ := json.Marshal(map[string]any{
		"aud": client, "jti": randomToken(32), "iat": now.Unix(), "nbf": now.Unix(),
		"exp": now.Add(lifetime).Unix(), "iss": "esimhooks-airalo-mock",
	})
	sig := make([]byte, 32)
	_, _ = rand.Read(sig)
	return enc.EncodeToString(header) + "." + enc.EncodeToString(claims) + "." + enc.EncodeToString(sig)
}

// airaloTokenClient returns the client_id of a token this mock issued, or
// "".
func airaloTokenClient(token string) string {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return ""
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return ""
	}
	var c struct {
		Aud string `json:"aud"`
		Iss string `json:"iss"`
	}
	if json.Unmarshal(raw, &c) != nil || c.Iss != "esimhooks-airalo-mock" {
		return ""
	}
	return c.Aud
}
