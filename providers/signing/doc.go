// Package signing signs outgoing webhook deliveries the way each eSIM
// provider does, and verifies incoming ones exactly the way each provider
// documents.
//
// The mock uses a Signer to sign what it sends; a partner's own Go receiver
// can use the same Signer's Verify in its net/http handler. Every Signer is
// one of three small types:
//
//   - HMAC: a hex HMAC of one form of the body in one header. Airalo,
//     eSIMfly (both editions), Roamify and SimplifyTrip sign this way; they
//     differ in the header, the hash, an optional prefix and which bytes are
//     signed (the raw body, or a re-serialisation of it). See NewAiralo,
//     NewESIMfly, NewESIMfly2026, NewRoamify and NewSimplifyTrip.
//   - StandardWebhooks: Standard Webhooks 1.0 (webhook-id,
//     webhook-timestamp and webhook-signature headers, whsec_ secrets, key
//     rotation and a replay window). See NewStandardWebhooks.
//   - None: for providers that document no signature (eSIM Access).
//
// A provider profile states its scheme as data, a Spec; New turns a Spec
// and a secret into a Signer, and NewSecret makes a fresh secret in the form
// the provider hands out.
//
// Verify reports why a delivery is rejected with the sentinel errors of this
// package (ErrNoSignature, ErrSignatureMismatch, ...), wrapped with context;
// test them with errors.Is. No error, String or GoString output of this
// package ever contains a secret or a computed signature.
package signing
