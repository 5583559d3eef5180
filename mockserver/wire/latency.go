package wire

import (
	"fmt"
	"time"
)

// FormatLatency writes a latency as esimhooks prints it everywhere (send,
// tail, play, check's evidence): "0.4 ms" and "3.2 ms" below 10 ms (a
// loopback answer is well below a millisecond, which rounding to whole
// milliseconds would print as 0), "12 ms" below a second, "3.4 s" above.
func FormatLatency(d time.Duration) string {
	switch {
	case d < 10*time.Millisecond:
		return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond))
	case d < time.Second:
		return fmt.Sprintf("%d ms", d.Milliseconds())
	}
	return fmt.Sprintf("%.1f s", d.Seconds())
}
