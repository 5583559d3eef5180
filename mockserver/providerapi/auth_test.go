package providerapi

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/esimhooks/esimhooks/mockserver"
	"github.com/esimhooks/esimhooks/mockserver/api"
	"github.com/esimhooks/esimhooks/mockserver/mockservertest"
)

// airaloToken asks s for an access token with the given client credentials
// and returns the status and the token.
func airaloToken(t *testing.T, s *testServer, clientID, clientSecret string) (int, string) {
	t.Helper()
	form := url.Values{"client_id": {clientID}, "client_secret": {clientSecret}, "grant_type": {"client_credentials"}}
	code, _, data := call(t, "POST", s.URL+"/airalo/v2/token", form.Encode(), "Content-Type", "application/x-www-form-urlencoded")
	if code != http.StatusOK {
		return code, ""
	}
	var tok struct {
		Data struct {
			AccessToken string `json:"access_token"`
		}
	}
	if err := json.Unmarshal(data, &tok); err != nil || tok.Data.AccessToken == "" {
		t.Fatalf("token answer %s", data)
	}
	return code, tok.Data.AccessToken
}

// jwtPart encodes v as a JWT segment.
func jwtPart(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// airaloAuthorized reports whether the Airalo mock takes token: GET
// opt-in answers 401 to a refused one and 404 (no settings) otherwise.
func airaloAuthorized(t *testing.T, s *testServer, token string) bool {
	t.Helper()
	code, _, data := call(t, "GET", s.URL+"/airalo/v2/notifications/opt-in", nil, "Authorization", "Bearer "+token)
	switch code {
	case http.StatusUnauthorized:
		if m := decode(t, data); m["meta"].(map[string]any)["message"] != "Unauthenticated." {
			t.Errorf("401 body %s", data)
		}
		return false
	case http.StatusNotFound:
		return true
	}
	t.Fatalf("GET opt-in: %d %s", code, data)
	return false
}

// TestAiraloTokensSigned: access tokens are HS256 JWTs signed with the
// server's key; a token with alg none, another key, a changed claim, or
// past its exp is refused with 401, with or without a server token.
func TestAiraloTokensSigned(t *testing.T) {
	s := newTestServer(t)
	other := newTestServer(t)
	clock := &fakeNow{t: time.Now()}
	mountedAPI[*airaloMock](s, "/airalo/").setClock(clock.now)

	_, tok := airaloToken(t, s, "my-client", "my-secret")
	if !airaloAuthorized(t, s, tok) {
		t.Fatal("the server's own token is refused")
	}
	parts := strings.Split(tok, ".")
	var header map[string]any
	raw, _ := base64.RawURLEncoding.DecodeString(parts[0])
	if json.Unmarshal(raw, &header) != nil || header["alg"] != "HS256" {
		t.Errorf("token header %s, want alg HS256", raw)
	}
	now := clock.now().Unix()
	claims := map[string]any{"aud": "my-client", "iss": airaloTokenIssuer, "iat": now, "nbf": now, "exp": now + 3600, "jti": "x"}
	_, otherTok := airaloToken(t, other, "my-client", "my-secret")
	for name, forged := range map[string]string{
		"alg none":             jwtPart(t, map[string]string{"alg": "none", "typ": "JWT"}) + "." + jwtPart(t, claims) + ".",
		"alg none, signature":  jwtPart(t, map[string]string{"alg": "none", "typ": "JWT"}) + "." + jwtPart(t, claims) + "." + parts[2],
		"changed claims":       parts[0] + "." + jwtPart(t, map[string]any{"aud": "victim", "iss": airaloTokenIssuer, "exp": now + 3600}) + "." + parts[2],
		"another server's key": otherTok,
		"truncated signature":  tok[:len(tok)-2],
	} {
		if airaloAuthorized(t, s, forged) {
			t.Errorf("%s: accepted", name)
		}
	}
	clock.add(airaloTokenLifetime - time.Second)
	if !airaloAuthorized(t, s, tok) {
		t.Error("refused a second before exp")
	}
	clock.add(time.Second)
	if airaloAuthorized(t, s, tok) {
		t.Error("an expired token is accepted")
	}
}

// TestRegistrationNeedsCredentialsWithToken: with a server token the
// registration mocks take only the credentials of GET /api/credentials,
// send nothing for a refused request, and register nothing; the
// credentials never reach the log.
func TestRegistrationNeedsCredentialsWithToken(t *testing.T) {
	const serverToken = "the-server-token-123"
	var logs syncBuffer
	s := newTestServer(t, func(c *mockserver.Config) {
		c.Token = serverToken
		c.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	rcv := newHookReceiver(t)
	bearerAuth := []string{"Authorization", "Bearer " + serverToken}

	code, _, data := call(t, "GET", s.URL+"/api/credentials", nil)
	wantStatus(t, code, http.StatusUnauthorized, data)
	code, _, data = call(t, "GET", s.URL+"/api/credentials", nil, bearerAuth...)
	wantStatus(t, code, http.StatusOK, data)
	var creds struct {
		Required bool `json:"required"`
		api.Credentials
	}
	if err := json.Unmarshal(data, &creds); err != nil || !creds.Required || *api.DeriveCredentials(serverToken) != creds.Credentials {
		t.Fatalf("credentials %s", data)
	}
	if creds.Airalo.ClientSecret == "" || creds.Esimaccess.SecretKey == "" || creds.Esimfly.SecretKey == creds.Esimaccess.SecretKey {
		t.Fatalf("credentials %+v", creds)
	}

	// Airalo: only the configured client gets a token; only its tokens open
	// the other routes.
	optIn := map[string]any{"type": "async_orders", "webhook_url": rcv.URL}
	for _, c := range [][2]string{{"someone", "anything"}, {creds.Airalo.ClientID, "wrong"}, {"someone", creds.Airalo.ClientSecret}} {
		if code, _ := airaloToken(t, s, c[0], c[1]); code != http.StatusUnauthorized {
			t.Errorf("/v2/token with client %q: %d, want 401", c[0], code)
		}
	}
	for _, tok := range []string{"opaque-token", serverToken} {
		code, _, data := call(t, "POST", s.URL+"/airalo/v2/notifications/opt-in", optIn, "Authorization", "Bearer "+tok)
		wantStatus(t, code, http.StatusUnauthorized, data)
	}
	_, tok := airaloToken(t, s, creds.Airalo.ClientID, creds.Airalo.ClientSecret)
	code, _, data = call(t, "POST", s.URL+"/airalo/v2/notifications/opt-in", optIn, "Authorization", "Bearer "+tok)
	wantStatus(t, code, http.StatusOK, data)
	if got := rcv.Next(t); got.Method != http.MethodHead {
		t.Fatalf("the opt-in sent %s, want HEAD", got.Method)
	}

	// eSIM Access: RT-SecretKey or RT-Signature with the configured key.
	save := s.URL + "/esimaccess/api/v1/open/webhook/save"
	body := `{"webhook":"` + rcv.URL + `/esim"}`
	ts := strconv.FormatInt(time.Now().UnixMilli(), 10)
	sign := func(rt api.RTCredentials, code, ts, body string) string {
		return hex.EncodeToString(rtSignature(rt.SecretKey, ts, "req-1", code, []byte(body)))
	}
	ea := creds.Esimaccess
	for name, h := range map[string][]string{
		"any pair":            {"RT-AccessCode", "access-1", "RT-SecretKey", "secret-1"},
		"wrong secret key":    {"RT-AccessCode", ea.AccessCode, "RT-SecretKey", ea.SecretKey + "x"},
		"wrong access code":   {"RT-AccessCode", "access-1", "RT-SecretKey", ea.SecretKey},
		"unsigned":            {"RT-AccessCode", ea.AccessCode, "RT-RequestID", "req-1", "RT-Timestamp", ts, "RT-Signature", "7EB765E2"},
		"signed another body": {"RT-AccessCode", ea.AccessCode, "RT-RequestID", "req-1", "RT-Timestamp", ts, "RT-Signature", sign(ea, ea.AccessCode, ts, "{}")},
	} {
		code, _, data := call(t, "POST", save, body, h...)
		if m := decode(t, data); code != http.StatusOK || m["success"] != false || m["errorCode"] != "000102" {
			t.Errorf("eSIM Access save with %s: %d %s, want errorCode 000102", name, code, data)
		}
	}
	code, _, data = call(t, "POST", save, body, "RT-AccessCode", ea.AccessCode, "RT-SecretKey", ea.SecretKey)
	envelope(t, code, data, true, "")
	code, _, data = call(t, "POST", save, body, "RT-AccessCode", ea.AccessCode, "RT-RequestID", "req-1", "RT-Timestamp", ts,
		"RT-Signature", strings.ToUpper(sign(ea, ea.AccessCode, ts, body)))
	envelope(t, code, data, true, "")

	// eSIMfly: RT-Signature with the configured key and a fresh timestamp.
	fly := s.URL + "/esimfly/api/v1/business/webhooks"
	ef := creds.Esimfly
	flyBody := `{"webhook_url":"` + rcv.URL + `/fly"}`
	stale := strconv.FormatInt(time.Now().Add(-10*time.Minute).UnixMilli(), 10)
	for name, h := range map[string][]string{
		"any values":          esimflyAuth,
		"eSIM Access's key":   {"RT-AccessCode", ef.AccessCode, "RT-RequestID", "req-1", "RT-Timestamp", ts, "RT-Signature", sign(ea, ef.AccessCode, ts, flyBody)},
		"stale timestamp":     {"RT-AccessCode", ef.AccessCode, "RT-RequestID", "req-1", "RT-Timestamp", stale, "RT-Signature", sign(ef, ef.AccessCode, stale, flyBody)},
		"signed another body": {"RT-AccessCode", ef.AccessCode, "RT-RequestID", "req-1", "RT-Timestamp", ts, "RT-Signature", sign(ef, ef.AccessCode, ts, "{}")},
		"secret key in clear": {"RT-AccessCode", ef.AccessCode, "RT-RequestID", "req-1", "RT-Timestamp", ts, "RT-Signature", "x", "RT-SecretKey", ef.SecretKey},
	} {
		code, _, data := call(t, "PUT", fly, flyBody, h...)
		if m := decode(t, data); code != http.StatusUnauthorized || m["code"] != "AUTH_INVALID" {
			t.Errorf("eSIMfly PUT with %s: %d %s, want 401 AUTH_INVALID", name, code, data)
		}
	}
	code, _, data = call(t, "PUT", fly, flyBody, "RT-AccessCode", ef.AccessCode, "RT-RequestID", "req-1", "RT-Timestamp", ts,
		"RT-Signature", strings.ToUpper(sign(ef, ef.AccessCode, ts, flyBody)))
	wantStatus(t, code, http.StatusOK, data)

	// Exactly the three accepted registrations made endpoints (and the
	// eSIM Access one was saved twice).
	eps, err := s.store.ListEndpoints(t.Context())
	if err != nil || len(eps) != 3 {
		t.Errorf("%d endpoints (%v), want 3: one per accepted registration", len(eps), err)
	}
	for _, secret := range []string{creds.Airalo.ClientSecret, ea.SecretKey, ef.SecretKey, serverToken} {
		if strings.Contains(logs.String(), secret) {
			t.Errorf("the log holds a credential:\n%s", logs.String())
		}
	}
}

// TestCredentialsWithoutToken: without a server token GET /api/credentials
// says none are required.
func TestCredentialsWithoutToken(t *testing.T) {
	s := newTestServer(t)
	code, _, data := call(t, "GET", s.URL+"/api/credentials", nil)
	wantStatus(t, code, http.StatusOK, data)
	if strings.TrimSpace(string(data)) != `{"required":false}` {
		t.Errorf("credentials %s", data)
	}
}

// TestAiraloSimulatorPerAddress: a new client (a new token each time) does
// not bypass the simulator's limit: one source address gets 20 requests a
// minute whatever the accounts.
func TestAiraloSimulatorPerAddress(t *testing.T) {
	s := newTestServer(t)
	clock := &fakeNow{t: time.Date(2026, 1, 15, 9, 30, 0, 0, time.UTC)}
	mountedAPI[*airaloMock](s, "/airalo/").sim.setClock(clock.now)
	mountedAPI[*airaloMock](s, "/airalo/").simAddr.setClock(clock.now)
	sim := s.URL + "/airalo/v2/simulator/webhook"
	for i := range 4 * airaloSimLimit {
		_, tok := airaloToken(t, s, "client-"+strconv.Itoa(i), "secret")
		code, _, data := call(t, "POST", sim, `{"event":"nope"}`, "Authorization", "Bearer "+tok)
		wantStatus(t, code, http.StatusUnprocessableEntity, data)
	}
	_, tok := airaloToken(t, s, "client-new", "secret")
	code, hdr, data := call(t, "POST", sim, `{"event":"nope"}`, "Authorization", "Bearer "+tok)
	wantStatus(t, code, http.StatusTooManyRequests, data)
	if hdr.Get("Retry-After") != "60" {
		t.Errorf("Retry-After %q, want 60", hdr.Get("Retry-After"))
	}
	clock.add(time.Minute)
	code, _, data = call(t, "POST", sim, `{"event":"nope"}`, "Authorization", "Bearer "+tok)
	wantStatus(t, code, http.StatusUnprocessableEntity, data)
}

// TestRegistrationLogsHoldNoSecrets drives the providers' APIs that take
// or make a secret (Airalo's token, eSIMfly's PUT) with debug logging on,
// and checks no secret, nor a URL's credentials, reaches the log.
func TestRegistrationLogsHoldNoSecrets(t *testing.T) {
	var logs syncBuffer
	s := newTestServer(t, func(c *mockserver.Config) {
		c.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	rcv := newHookReceiver(t)
	withCreds := strings.Replace(rcv.URL, "http://", "http://user:pa55word@", 1) + "/hook?token=qu3rytoken"

	code, _, data := call(t, "POST", s.URL+"/airalo/v2/token", `{"client_id":"c","client_secret":"airalo-client-secret","grant_type":"client_credentials"}`)
	wantStatus(t, code, http.StatusOK, data)
	secrets := []string{"airalo-client-secret"}
	code, _, data = call(t, "PUT", s.URL+"/esimfly/api/v1/business/webhooks", map[string]any{"webhook_url": withCreds}, esimflyAuth...)
	wantStatus(t, code, http.StatusOK, data)
	secrets = append(secrets, decode(t, data)["webhook"].(map[string]any)["secret"].(string))

	mockservertest.WantNoSecrets(t, logs.String(), "esimfly webhook set", append(secrets, "pa55word", "qu3rytoken")...)
}
