package signing

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha512"
	"encoding/hex"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/esimhooks/esimhooks/providers/jsonv"
)

// AiraloSDK is one way an official Airalo SDK verifies a delivery: the
// string it hashes (HMAC-SHA512, lowercase hex, keyed with the client
// secret) for a given raw body. Airalo documents no verification of its
// own; its three SDKs each re-serialise the parsed body and disagree
// (providers.md, airalo). The transforms reproduce the documented
// algorithms; none of the SDKs' code is copied.
type AiraloSDK struct {
	// Key is a short name: raw, php, node, python-str, python-dict.
	Key string
	// Name is how reports name the path, e.g. "Python SDK (str)".
	Name string
	// Hashes returns the string the path hashes for body, or an error when
	// the path cannot handle the body at all (it then rejects).
	Hashes func(body []byte) ([]byte, error)
}

var slash, escapedSlash = []byte("/"), []byte(`\/`)

// AiraloSDKs are the verification paths, in report order:
//
//   - raw: an HMAC of the body bytes as received.
//   - php: PHP SDK Signature::checkSignature with the body string or the
//     array json_decode($body, true) gives: json_encode(json_decode($p,
//     true)), flags 0 (jsonv.PHPRoundTrip); both arguments hash the same.
//   - node: Node SDK checkSignature with the body string or the object
//     JSON.parse gives: JSON.stringify(JSON.parse(p)) with every "/"
//     replaced by "\/" (jsonv.StringifyJS, then the replacement).
//   - python-str: Python SDK check_signature with the body as str: "/"
//     replaced by "\/" in the raw text, then json.loads and
//     json.dumps(separators=(",", ":"), ensure_ascii=False)
//     (jsonv.EncodePython): the hashed string has a literal "/", and a body
//     "\/" becomes "\\/".
//   - python-dict: with the dict json.loads gives: json.dumps as above,
//     then "/" replaced by "\/".
var AiraloSDKs = []AiraloSDK{
	{Key: "raw", Name: "raw body HMAC", Hashes: func(b []byte) ([]byte, error) { return b, nil }},
	{Key: "php", Name: "PHP SDK (string or array)", Hashes: jsonv.PHPRoundTrip},
	{Key: "node", Name: "Node SDK (string or object)", Hashes: func(b []byte) ([]byte, error) {
		out, err := jsonv.StringifyJS(b)
		if err != nil {
			return nil, err
		}
		return bytes.ReplaceAll(out, slash, escapedSlash), nil
	}},
	{Key: "python-str", Name: "Python SDK (str)", Hashes: func(b []byte) ([]byte, error) {
		return jsonv.PythonRoundTrip(bytes.ReplaceAll(b, slash, escapedSlash))
	}},
	{Key: "python-dict", Name: "Python SDK (dict)", Hashes: func(b []byte) ([]byte, error) {
		out, err := jsonv.PythonRoundTrip(b)
		if err != nil {
			return nil, err
		}
		return bytes.ReplaceAll(out, slash, escapedSlash), nil
	}},
}

// AiraloVerdict is one SDK path's answer for one delivery.
type AiraloVerdict struct {
	SDK     AiraloSDK
	Accepts bool
	// Reason says why the path rejects; empty when it accepts.
	Reason string
}

// CheckAiralo says, for each of AiraloSDKs, whether it accepts body with
// the airalo-signature value sig under secret, and why not.
func CheckAiralo(body []byte, secret, sig string) []AiraloVerdict {
	out := make([]AiraloVerdict, 0, len(AiraloSDKs))
	for _, sdk := range AiraloSDKs {
		out = append(out, checkOne(sdk, body, secret, sig))
	}
	return out
}

func checkOne(sdk AiraloSDK, body []byte, secret, sig string) AiraloVerdict {
	v := AiraloVerdict{SDK: sdk}
	switch {
	case sig == "":
		v.Reason = "the airalo-signature header is missing or empty"
		return v
	case len(body) == 0:
		v.Reason = "the body is empty"
		return v
	}
	hashed, err := sdk.Hashes(body)
	if err != nil {
		v.Reason = "it cannot re-encode the body: " + strings.TrimPrefix(err.Error(), "jsonv: ")
		return v
	}
	if sdk.Key == "node" && len(sig) != 2*sha512.Size {
		v.Reason = fmt.Sprintf("crypto.timingSafeEqual throws ERR_CRYPTO_TIMING_SAFE_EQUAL_LENGTH: the signature has %d characters, not %d (a receiver may answer 5xx, not 401)", len(sig), 2*sha512.Size)
		return v
	}
	m := hmac.New(sha512.New, []byte(secret))
	m.Write(hashed)
	if hex.EncodeToString(m.Sum(nil)) == sig {
		v.Accepts = true
		return v
	}
	if bytes.Equal(hashed, body) {
		v.Reason = "the signature is not the HMAC-SHA512 of the body (wrong secret, or the body was changed)"
		return v
	}
	v.Reason = DescribeReencoding(body, hashed)
	return v
}

// AiraloRejections lists, for body as the mock would send it, the SDK paths
// that cannot accept it whatever the signature, because they hash a string
// other than the body; the Python SDK given a str is left out when the body
// contains "\/", which no body with a "/" can avoid (providers.md).
func AiraloRejections(body []byte) []AiraloVerdict {
	var out []AiraloVerdict
	for _, sdk := range AiraloSDKs {
		if sdk.Key == "python-str" && bytes.Contains(body, escapedSlash) {
			continue
		}
		hashed, err := sdk.Hashes(body)
		switch {
		case err != nil:
			out = append(out, AiraloVerdict{SDK: sdk, Reason: "it cannot re-encode the body: " + strings.TrimPrefix(err.Error(), "jsonv: ")})
		case !bytes.Equal(hashed, body):
			out = append(out, AiraloVerdict{SDK: sdk, Reason: DescribeReencoding(body, hashed)})
		}
	}
	return out
}

// DescribeReencoding says in one sentence how hashed, a verifier's
// re-serialisation of body, differs from body, at the first difference.
func DescribeReencoding(body, hashed []byte) string {
	i := 0
	for i < len(body) && i < len(hashed) && body[i] == hashed[i] {
		i++
	}
	at := func(b []byte, j int, p string) bool {
		return j >= 0 && j <= len(b) && bytes.HasPrefix(b[j:], []byte(p))
	}
	switch {
	case at(body, i-1, `\/`) && at(hashed, i-1, `\\/`):
		return "the body contains `\\/`, which it turns into `\\\\/` before hashing"
	case at(body, i, "/") && at(hashed, i, `\/`):
		return "the body has a literal `/`, which it hashes as `\\/`"
	case at(body, i-1, `\/`) && at(hashed, i-1, "/"):
		return "the body has `\\/`, which it hashes as a literal `/`"
	case at(body, i, `\u`) && i < len(hashed) && hashed[i] >= utf8.RuneSelf:
		return "the body has non-ASCII text as `\\uXXXX` escapes, which it hashes as literal UTF-8"
	case i < len(body) && body[i] >= utf8.RuneSelf && at(hashed, i, `\u`):
		return "the body has literal UTF-8 (non-ASCII) text, which it hashes as `\\uXXXX` escapes"
	case at(body, i, "{") && at(hashed, i, "["):
		return fmt.Sprintf("it hashes an array where the body has the object `%s` (PHP decodes `{}` and objects keyed \"0\", \"1\", … into lists)", containerAt(body, i))
	}
	if j, ok := numberStart(body, i); ok {
		return fmt.Sprintf("it re-prints the number %s as %s", numberAt(body, j), numberAt(hashed, j))
	}
	return fmt.Sprintf("at byte %d it hashes %s where the body has %s", i, excerpt(hashed, i, i), excerpt(body, i, i))
}

// containerAt returns the object or array starting at byte i of b, cut to
// 60 bytes.
func containerAt(b []byte, i int) string {
	depth, inString := 0, false
	j := i
	for ; j < len(b); j++ {
		c := b[j]
		switch {
		case inString && c == '\\':
			j++
		case c == '"':
			inString = !inString
		case inString:
		case c == '{' || c == '[':
			depth++
		case c == '}' || c == ']':
			depth--
		}
		if depth == 0 {
			break
		}
	}
	if j >= len(b) {
		j = len(b) - 1
	}
	if j-i >= 60 {
		k := i + 57
		for k > i && !utf8.RuneStart(b[k]) {
			k--
		}
		return string(b[i:k]) + "…"
	}
	return string(b[i : j+1])
}

func isNumByte(c byte) bool {
	return c >= '0' && c <= '9' || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E'
}

// numberStart reports whether byte i of b is inside a number token (outside
// strings) and where the token starts.
func numberStart(b []byte, i int) (int, bool) {
	if i >= len(b) || !isNumByte(b[i]) {
		if i == 0 || i > len(b) || !isNumByte(b[i-1]) {
			return 0, false
		}
	}
	j := i
	for j > 0 && isNumByte(b[j-1]) {
		j--
	}
	if j > 0 && b[j-1] != ':' && b[j-1] != ',' && b[j-1] != '[' {
		return 0, false
	}
	return j, j < len(b) && (b[j] == '-' || b[j] >= '0' && b[j] <= '9')
}

func numberAt(b []byte, j int) string {
	k := j
	for k < len(b) && isNumByte(b[k]) {
		k++
	}
	return string(b[j:k])
}

// excerpt quotes up to 16 bytes before and 24 after byte i of b (from
// start), cut at UTF-8 boundaries.
func excerpt(b []byte, start, i int) string {
	from, to := max(0, start-16), min(len(b), i+24)
	for from > 0 && from < len(b) && !utf8.RuneStart(b[from]) {
		from--
	}
	for to < len(b) && !utf8.RuneStart(b[to]) {
		to++
	}
	s := string(b[from:to])
	if from > 0 {
		s = "…" + s
	}
	if to < len(b) {
		s += "…"
	}
	return "`" + s + "`"
}
