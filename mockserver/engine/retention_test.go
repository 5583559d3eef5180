package engine

import (
	"testing"
	"time"
)

func TestParseRetention(t *testing.T) {
	day := 24 * time.Hour
	for _, c := range []struct {
		in   string
		want Retention
		str  string
	}{
		{"off", Retention{}, "off"},
		{"0", Retention{}, "off"},
		{"30d", Retention{MaxAge: 30 * day}, "30d"},
		{"12h", Retention{MaxAge: 12 * time.Hour}, "12h0m0s"},
		{"20000", Retention{MaxCount: 20000}, "20000"},
		{"7d,100000", Retention{MaxAge: 7 * day, MaxCount: 100000}, "7d,100000"},
		{" 100000 , 90m ", Retention{MaxAge: 90 * time.Minute, MaxCount: 100000}, "1h30m0s,100000"},
	} {
		got, err := ParseRetention(c.in)
		if err != nil || got != c.want || got.String() != c.str {
			t.Errorf("ParseRetention(%q) = %+v (%s), %v; want %+v (%s)", c.in, got, got, err, c.want, c.str)
		}
		if again, err := ParseRetention(got.String()); err != nil || again != got {
			t.Errorf("ParseRetention(%q) (its own String) = %+v, %v; want %+v", got.String(), again, err, got)
		}
	}
	for _, bad := range []string{"", "-1", "1,2", "7d,8d", "7d,1,2", "soon", "-5h", "0s", "36501d", "1000000001", "7x"} {
		if r, err := ParseRetention(bad); err == nil {
			t.Errorf("ParseRetention(%q) = %+v, want an error", bad, r)
		}
	}
}
