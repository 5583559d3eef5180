// Package jsonv holds order-preserving JSON values and the byte-exact
// re-encoders that eSIM providers' signature checks depend on.
//
// Providers sign the raw body bytes, but several providers' own verification
// samples parse the body and serialise it again before computing the HMAC:
//
//   - eSIMfly's Express sample computes HMAC(JSON.stringify(req.body)) where
//     req.body = JSON.parse(raw); EncodeJS and StringifyJS reproduce that.
//   - Airalo's PHP SDK verifies over json_encode(json_decode($body, true))
//     with PHP >= 7.1 defaults (serialize_precision = -1); EncodePHP and
//     PHPRoundTrip reproduce that. Its Python SDK hashes
//     json.dumps(json.loads(…), separators=(",", ":"), ensure_ascii=False);
//     EncodePython and PythonRoundTrip reproduce that. EncodeAiralo writes
//     the bodies that all of Airalo's SDKs reproduce wherever one body can.
//   - SimplifyTrip signs a flattened, key-sorted k=v&k=v canonical string;
//     Flatten and FlattenBody build it.
//
// A body a mock sends is safe for such a verifier only when it is a fixed
// point of the verifier's re-serialisation, so a sender can compare the body
// with StringifyJS(body) or PHPRoundTrip(body) byte for byte.
//
// Values are plain Go values: *Object, []Value, string, Number, bool and nil.
// Parse keeps object key order and number literals exactly as written, so
// Compact reproduces a document without losing anything but insignificant
// white space and redundant escapes.
//
// Strings are Go strings holding UTF-8. A JSON \u escape of an unpaired
// UTF-16 surrogate (for example "\ud800") has no UTF-8 form, so Parse stores
// it in the generalized UTF-8 ("WTF-8") three-byte form (ED A0 80 for
// U+D800) instead of dropping or replacing it: JavaScript keeps such lone
// surrogates, and EncodeJS and Compact write them back as \udxxx escapes,
// while EncodePHP reports an error because PHP's json_decode rejects them.
package jsonv
