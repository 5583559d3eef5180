package providers

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/esimhooks/esimhooks/providers/payload"
)

// UnmarshalJSON reads "5s", "2m", "1h", "2d" or a number of seconds.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		var secs float64
		if err2 := json.Unmarshal(b, &secs); err2 != nil {
			return fmt.Errorf("duration must be a string like \"5s\" or a number of seconds, got %s", b)
		}
		*d = Duration(secs * float64(time.Second))
		return nil
	}
	v, err := payload.ParseOffset(s)
	if err != nil {
		return err
	}
	if v < 0 {
		return fmt.Errorf("duration %q is negative", s)
	}
	*d = Duration(v)
	return nil
}

// MarshalJSON writes the duration in Go's notation ("1h0m0s" becomes "1h").
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(d.String()) }

// String prints the duration compactly: "5s", "2m", "1h", "1h30m".
func (d Duration) String() string {
	s := time.Duration(d).String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
