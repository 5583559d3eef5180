package jsonlimit

import (
	"errors"
	"strings"
	"testing"

	"github.com/esimhooks/esimhooks/internal/attack"
)

var nested = attack.NestedArrays

func TestCheck(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		limit    string // "" when within the limits
	}{
		{"flat object", `{"a":1,"b":[true,false,null],"c":"x"}`, ""},
		{"depth at the limit", nested(MaxDepth), ""},
		{"depth beyond", nested(MaxDepth + 1), "depth"},
		{"issue 11 body", nested(9999), "depth"},
		{"objects beyond", strings.Repeat(`{"a":`, MaxDepth+1) + "1" + strings.Repeat("}", MaxDepth+1), "depth"},
		{"brackets in strings do not count", `["` + strings.Repeat("[", 1000) + `"]`, ""},
		{"escaped quote keeps the string open", `["\"[[[[` + strings.Repeat("[", 100) + `"]`, ""},
		{"values at the limit", "[" + strings.Repeat("1,", MaxValues-2) + "1]", ""},
		{"values beyond", "[" + strings.Repeat("1,", MaxValues-1) + "1]", "values"},
		{"keys count", "{" + strings.Repeat(`"k":1,`, MaxValues/2) + `"k":1}`, "values"},
		{"malformed passes", `[1,,}`, ""},
	} {
		err := Check([]byte(tc.in))
		var le *Error
		switch {
		case tc.limit == "" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.limit != "" && (!errors.As(err, &le) || le.Limit != tc.limit):
			t.Errorf("%s: error %v, want the %s limit", tc.name, err, tc.limit)
		case tc.limit != "" && !strings.Contains(err.Error(), "than"):
			t.Errorf("%s: message %q does not name the bound", tc.name, err)
		}
	}
}

// TestCheckDoesNotAllocate: the scan costs no memory, whatever the body.
func TestCheckDoesNotAllocate(t *testing.T) {
	body := []byte(nested(25000)) // 50 KB
	if a := testing.AllocsPerRun(10, func() { _ = Check(body) }); a > 1 {
		t.Errorf("Check allocates %v times per run", a)
	}
}

// BenchmarkCheckNested50KB: the pre-check of a 50 KB body of nested
// arrays (issue 11's attack); it stops at byte MaxDepth.
func BenchmarkCheckNested50KB(b *testing.B) {
	body := []byte(nested(25000))
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		_ = Check(body)
	}
}

// BenchmarkCheckFlat1MB: the cost of the pre-check on a 1 MiB body within
// the limits, the worst case a sound request pays.
func BenchmarkCheckFlat1MB(b *testing.B) {
	body := []byte(`{"payload":"` + strings.Repeat("x", 1<<20) + `"}`)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		_ = Check(body)
	}
}

// BenchmarkCheckEscapes1MB: a string of escapes is scanned once, not once
// per escape.
func BenchmarkCheckEscapes1MB(b *testing.B) {
	body := []byte(`["` + strings.Repeat(`\n`, 1<<19) + `"]`)
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		_ = Check(body)
	}
}
