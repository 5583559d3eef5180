package signing

import "testing"

// TestSignUsesTheGivenSignedContent checks that Message.Signed replaces
// the derived content and that, when it is the derived content, the
// signature is unchanged.
func TestSignUsesTheGivenSignedContent(t *testing.T) {
	s, err := NewESIMfly("k")
	if err != nil {
		t.Fatal(err)
	}
	body := []byte(`{"event":"order.created","data":{"amount":5.5}}`)
	derived, _ := s.Sign(Message{Body: body})
	same, _ := s.Sign(Message{Body: body, Signed: body})
	if derived.Get(HeaderESIMfly) != same.Get(HeaderESIMfly) {
		t.Error("a canonical body given as Signed changed the signature")
	}
	other, _ := s.Sign(Message{Body: body, Signed: []byte("something else")})
	if other.Get(HeaderESIMfly) == derived.Get(HeaderESIMfly) {
		t.Error("Signed was ignored")
	}
	if err := s.Verify(derived, body); err != nil {
		t.Error(err)
	}
}
