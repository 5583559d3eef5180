package jsonv

import (
	"encoding/base64"
	"strings"
	"testing"
)

// encodeCase is one row of an encoder table: a JSON text and the exact
// bytes expected, or wantErr when the encoder must fail.
type encodeCase struct {
	in, want string
	wantErr  bool
}

func runEncodeTable(t *testing.T, name string, fn func([]byte) ([]byte, error), cases []encodeCase) {
	t.Helper()
	for _, c := range cases {
		label := c.in
		if len(label) > 40 {
			label = label[:40] + "…"
		}
		t.Run(label, func(t *testing.T) {
			got, err := fn([]byte(c.in))
			if c.wantErr {
				if err == nil {
					t.Fatalf("%s(%s) = %s, want an error", name, c.in, got)
				}
				return
			}
			if err != nil {
				t.Fatalf("%s(%s): %v", name, c.in, err)
			}
			if string(got) != c.want {
				t.Errorf("%s(%s)\n got %s\nwant %s", name, c.in, got, c.want)
			}
		})
	}
}

func tableInputs(cases []encodeCase) []string {
	in := make([]string, len(cases))
	for i, c := range cases {
		in[i] = c.in
	}
	return in
}

// checkTable compares each row's expectation with a runtime's output line.
func checkTable(t *testing.T, runtime string, cases []encodeCase, lines []string) {
	t.Helper()
	for i, c := range cases {
		if strings.HasPrefix(lines[i], "ERR") {
			if !c.wantErr {
				t.Errorf("%s rejects %s (%s), the table expects %s", runtime, c.in, lines[i], c.want)
			}
			continue
		}
		got, _ := base64.StdEncoding.DecodeString(lines[i])
		if c.wantErr || string(got) != c.want {
			t.Errorf("%s gives %s for %s, the table expects %q (error: %v)", runtime, got, c.in, c.want, c.wantErr)
		}
	}
}
