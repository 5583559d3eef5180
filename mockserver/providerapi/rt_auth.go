package providerapi

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/esimhooks/esimhooks/mockserver/api"
)

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
func checkRT(r *http.Request, creds api.RTCredentials, allowSecretKey bool, now time.Time, maxBody int64) bool {
	code := r.Header.Get("RT-AccessCode")
	codeOK := api.EqualSecret(code, creds.AccessCode)
	if allowSecretKey && r.Header.Get("RT-SecretKey") != "" {
		return codeOK && api.EqualSecret(r.Header.Get("RT-SecretKey"), creds.SecretKey)
	}
	ts, reqID, sig := r.Header.Get("RT-Timestamp"), r.Header.Get("RT-RequestID"), r.Header.Get("RT-Signature")
	ms, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || reqID == "" || sig == "" {
		return false
	}
	if d := now.Sub(time.UnixMilli(ms)); d > rtSignatureWindow || d < -rtSignatureWindow {
		return false
	}
	body, err := api.PeekBody(r, maxBody)
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
