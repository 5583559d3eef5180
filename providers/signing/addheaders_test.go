package signing

import (
	"maps"
	"net/http"
	"reflect"
	"testing"
	"time"
)

// TestAddHeadersMatchesSign: for every scheme, AddHeaders sets exactly
// Sign's headers in an existing map and leaves the other headers alone.
func TestAddHeadersMatchesSign(t *testing.T) {
	std, err := NewStandardWebhooks("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
	if err != nil {
		t.Fatal(err)
	}
	std.Now = func() time.Time { return time.Unix(1_700_000_010, 0) }
	signers := map[string]Signer{"standard": std, "none": None{}}
	for name, mk := range map[string]func(string) (*HMAC, error){
		"airalo": NewAiralo, "esimfly": NewESIMfly, "esimfly2026": NewESIMfly2026,
		"roamify": NewRoamify, "simplifytrip": NewSimplifyTrip,
	} {
		s, err := mk("s3cr3t")
		if err != nil {
			t.Fatal(err)
		}
		signers[name] = s
	}
	m := Message{ID: "msg_1", Timestamp: time.Unix(1_700_000_000, 0), Body: []byte(`{"a":1,"b":"x"}`)}
	for name, s := range signers {
		want, err := s.Sign(m)
		if err != nil {
			t.Fatalf("%s: Sign: %v", name, err)
		}
		ha, ok := s.(HeaderAdder)
		if !ok {
			t.Fatalf("%s does not implement HeaderAdder", name)
		}
		h := http.Header{"Content-Type": {"application/json"}}
		if err := ha.AddHeaders(h, m); err != nil {
			t.Fatalf("%s: AddHeaders: %v", name, err)
		}
		maps.Copy(want, http.Header{"Content-Type": {"application/json"}})
		if !reflect.DeepEqual(h, want) {
			t.Errorf("%s: AddHeaders gave %v, want %v", name, h, want)
		}
		if err := s.Verify(h, m.Body); err != nil && name != "none" {
			t.Errorf("%s: the added headers do not verify: %v", name, err)
		}
	}
}
