package jsonv

import (
	"fmt"
	"strings"
	"testing"
)

// benchPayload returns a realistic eSIM webhook body of about 2 KiB.
func benchPayload() []byte {
	var esims []string
	for i := 0; i < 5; i++ {
		esims = append(esims, fmt.Sprintf(`{"iccid":"894400000000000%05d","status":"active","lpa":"LPA:1$smdp.example.com$K2-1A2B3C-%04d","usage":{"data_mb":%d.5,"remaining_mb":1024.00,"expires_at":"2026-01-%02dT12:00:00Z"}}`, i, i, i*100, i+1))
	}
	s := `{"event":"esim.usage.updated","id":"evt_01HZX8Q3W2","created_at":"2026-01-01T00:00:00.000Z",` +
		`"data":{"order":{"id":12345678,"package":"Merhaba-7days-1gb","price":5.50,"currency":"USD","note":"caf\u00e9 \u2014 \u003cok\u003e / \ud83d\ude00"},` +
		`"esims":[` + strings.Join(esims, ",") + `],` +
		`"customer":{"email":"user@example.com","country":"TR","tags":["travel","prepaid",null,true,1e-7,1e21]}},` +
		`"meta":{"retries":0,"signature_version":"v1","trace":"` + strings.Repeat("ab01", 180) + `"}}`
	return []byte(s)
}

func TestBenchPayloadSize(t *testing.T) {
	if n := len(benchPayload()); n < 1900 || n > 2300 {
		t.Errorf("benchmark payload is %d bytes, want about 2 KiB", n)
	}
	if _, err := StringifyJS(benchPayload()); err != nil {
		t.Fatal(err)
	}
}

func BenchmarkParse(b *testing.B) {
	data := benchPayload()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := Parse(data); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEncodeJS(b *testing.B) {
	v, err := Parse(benchPayload())
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(benchPayload())))
	for b.Loop() {
		if _, err := EncodeJS(v); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEncodePHP(b *testing.B) {
	v, err := Parse(benchPayload())
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(benchPayload())))
	for b.Loop() {
		if _, err := EncodePHP(v); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkFlatten(b *testing.B) {
	v, err := Parse(benchPayload())
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(benchPayload())))
	for b.Loop() {
		if _, err := Flatten(v); err != nil {
			b.Fatal(err)
		}
	}
}
