package wire

import (
	"testing"
	"time"
)

func TestFormatLatency(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0:                       "0.0 ms",
		412 * time.Microsecond:  "0.4 ms",
		3210 * time.Microsecond: "3.2 ms",
		12 * time.Millisecond:   "12 ms",
		999 * time.Millisecond:  "999 ms",
		3400 * time.Millisecond: "3.4 s",
		90 * time.Second:        "90.0 s",
	} {
		if got := FormatLatency(d); got != want {
			t.Errorf("FormatLatency(%v) = %q, want %q", d, got, want)
		}
	}
}
