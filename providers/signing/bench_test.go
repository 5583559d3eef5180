package signing

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// benchBody returns a 2 KiB eSIMfly-like body that is a fixed point of
// every message form (compact, ASCII, no "/", plain numbers), so each
// scheme does its full work on the same bytes.
func benchBody(tb testing.TB) []byte {
	var esims []string
	for i := 0; len(strings.Join(esims, ",")) < 1700; i++ {
		esims = append(esims, fmt.Sprintf(`{"iccid":"89012345678901234%02d","qr_code":"LPA:1$smdp.example.com$ACT-%04d","activation_code":"LPA:1$smdp.example.com$ACT-%04d","status":"new"}`, i, i, i))
	}
	b := `{"event":"order.completed","timestamp":"2025-01-16T10:30:15Z","data":{"order_id":"ORD-123456","order_reference":"REF-ABC-123","amount":5.5,"esims":[` + strings.Join(esims, ",") + `],"pad":"`
	b += strings.Repeat("x", 2048-len(b)-3) + `"}}`
	if len(b) != 2048 {
		tb.Fatalf("bench body is %d bytes", len(b))
	}
	return []byte(b)
}

func benchSigners(b *testing.B) map[string]Signer {
	m := map[string]Signer{}
	for name, fn := range map[string]func(string) (*HMAC, error){
		"airalo": NewAiralo, "esimfly": NewESIMfly, "esimfly2026": NewESIMfly2026,
		"roamify": NewRoamify, "simplifytrip": NewSimplifyTrip,
	} {
		s, err := fn("bench-secret")
		if err != nil {
			b.Fatal(err)
		}
		m[name] = s
	}
	std := mustStandard(b, vecSecret)
	std.Now = fixedClock(time.Unix(vecTS, 0))
	m["standard"] = std
	m["none"] = None{}
	return m
}

var benchNames = []string{"airalo", "esimfly", "esimfly2026", "roamify", "simplifytrip", "standard", "none"}

func BenchmarkSign(b *testing.B) {
	body := benchBody(b)
	signers := benchSigners(b)
	msg := Message{ID: vecID, Timestamp: time.Unix(vecTS, 0), Body: body}
	for _, name := range benchNames {
		s := signers[name]
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				if _, err := s.Sign(msg); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkVerify(b *testing.B) {
	body := benchBody(b)
	signers := benchSigners(b)
	msg := Message{ID: vecID, Timestamp: time.Unix(vecTS, 0), Body: body}
	for _, name := range benchNames {
		s := signers[name]
		h, err := s.Sign(msg)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				if err := s.Verify(h, body); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func TestBenchBodyIsAFixedPoint(t *testing.T) {
	body := benchBody(t)
	for _, fn := range []func(string) (*HMAC, error){NewAiralo, NewESIMfly} {
		s, _ := fn("k")
		got, err := s.SignedBytes(body)
		if err != nil || string(got) != string(body) {
			t.Errorf("%v: bench body is not in its form: %v", s, err)
		}
	}
}
