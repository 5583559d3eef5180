package sqlite

import (
	"encoding/json"
	"fmt"
	"math"
	"time"
)

// zeroTime is how the zero time.Time is stored: the smallest int64, so that
// it sorts before every real time, as it does in Go.
const zeroTime = math.MinInt64

// Times are stored as Unix nanoseconds, which holds every time from
// 1677-09-21 to 2262-04-11 exactly; minUnix and maxUnix bound the seconds
// of a time that fits, with a second of margin at either end.
const (
	minUnix = math.MinInt64/int64(time.Second) + 1
	maxUnix = math.MaxInt64/int64(time.Second) - 1
)

// encTime returns t as Unix nanoseconds, or zeroTime for the zero time.
func encTime(t time.Time) (int64, error) {
	if t.IsZero() {
		return zeroTime, nil
	}
	if s := t.Unix(); s < minUnix || s > maxUnix {
		return 0, fmt.Errorf("time %s is outside the range the log can store (1677 to 2262)", t.UTC().Format(time.RFC3339))
	}
	return t.UnixNano(), nil
}

// decTime is the inverse of encTime; real times come back in UTC.
func decTime(n int64) time.Time {
	if n == zeroTime {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

// encJSON marshals v for a TEXT column.
func encJSON(v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	return string(b), nil
}

// decJSON unmarshals a TEXT column written by encJSON into v.
func decJSON(s string, v any) error {
	return json.Unmarshal([]byte(s), v)
}

// blob returns b, or an empty non-nil slice for nil, so that the driver binds
// an empty BLOB instead of NULL.
func blob(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

// boolInt returns 1 for true and 0 for false.
func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}
