package providers

// The facts of a variant that decide which conformance requirements apply
// to it and which faulty receivers can be told from a correct one. They
// read the profile only, never the provider's name, so that a user's
// --profile-file provider is graded exactly as a shipped one with the same
// facts.

// Signed reports whether the variant signs its deliveries.
func (v *Variant) Signed() bool { return v.Signature.Scheme != "" && v.Signature.Scheme != "none" }

// SignsRawBody reports whether the signature covers the exact body bytes
// (a raw HMAC, or Standard Webhooks), so that a receiver must not
// re-serialise the JSON before verifying.
func (v *Variant) SignsRawBody() bool {
	switch v.Signature.Scheme {
	case "standard-webhooks":
		return true
	case "hmac-hex":
		return v.Signature.Message == "" || v.Signature.Message == "raw"
	}
	return false
}

// SignsPHPReencoding reports whether the signature covers PHP's
// json_encode of the decoded body (Airalo): a body holding non-ASCII text
// or "/" is signed as PHP escapes it (\u00fc, \/), which receivers that
// re-encode the JSON otherwise compute a different HMAC over.
func (v *Variant) SignsPHPReencoding() bool {
	return v.Signature.Scheme == "hmac-hex" && v.Signature.Message == "php-json"
}

// Only200 reports whether the provider counts only 200 as delivered.
func (v *Variant) Only200() bool { return v.Ack.Only200() }

// ChecksRegistration reports whether the provider checks a newly
// registered URL (HEAD, or an event it must acknowledge).
func (v *Variant) ChecksRegistration() bool {
	return v.Registration.Check == "head" || v.Registration.Check == "event"
}

// Ordered reports whether some public event carries its own time and moves
// a resource, so that arrival order and event order can disagree.
func (v *Variant) Ordered() bool {
	for _, e := range v.Public() {
		if e.Time != "" && len(e.Resources) > 0 {
			return true
		}
	}
	return false
}

// SignsAttemptTime reports whether the signature covers the time of the
// attempt (Standard Webhooks' webhook-timestamp), so that two attempts of
// one delivery carry different signatures.
func (v *Variant) SignsAttemptTime() bool { return v.Signature.Scheme == "standard-webhooks" }

// SignsReplayTime reports whether the variant has a replay window over a
// time the signature covers, so that a receiver can refuse a stale but
// correctly signed replay.
func (v *Variant) SignsReplayTime() bool {
	return v.Replay != nil && v.Replay.Signed && v.Replay.Window > 0
}
