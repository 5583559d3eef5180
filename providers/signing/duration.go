package signing

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Duration is a time.Duration that a provider profile writes as a Go
// duration string ("5m", "300s", "1m30s") or as a whole number of seconds
// (300, "300"). It decodes from both forms in encoding/json and in
// gopkg.in/yaml.v3, and encodes as a duration string ("5m0s").
type Duration time.Duration

// String returns the duration as time.Duration prints it, e.g. "5m0s".
func (d Duration) String() string { return time.Duration(d).String() }

// MarshalText encodes d as a duration string; encoding/json and yaml.v3 use
// it to write d.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText decodes a duration string or a whole number of seconds.
func (d *Duration) UnmarshalText(text []byte) error {
	v, err := parseDuration(string(text))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// UnmarshalJSON decodes a JSON string (duration or seconds) or a JSON
// integer (seconds). A JSON null leaves d unchanged.
func (d *Duration) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if string(b) == "null" {
		return nil
	}
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return fmt.Errorf("signing: duration: %w", err)
		}
		return d.UnmarshalText([]byte(s))
	}
	return d.UnmarshalText(b)
}

// UnmarshalYAML decodes a YAML scalar: a duration string or an integer
// number of seconds. It has the signature yaml.v3 (and yaml.v2) call for a
// custom unmarshaler, so this package needs no YAML import.
func (d *Duration) UnmarshalYAML(unmarshal func(any) error) error {
	var v any
	if err := unmarshal(&v); err != nil {
		return err
	}
	switch v := v.(type) {
	case nil:
		return nil
	case string:
		return d.UnmarshalText([]byte(v))
	case int:
		return d.UnmarshalText([]byte(strconv.Itoa(v)))
	case int64:
		return d.UnmarshalText([]byte(strconv.FormatInt(v, 10)))
	case uint64:
		return d.UnmarshalText([]byte(strconv.FormatUint(v, 10)))
	default:
		return fmt.Errorf("signing: duration: want a string like \"5m\" or whole seconds, got %T", v)
	}
}

func parseDuration(s string) (Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, fmt.Errorf("signing: duration: empty")
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		if n > int64(1<<63-1)/int64(time.Second) || n < -int64(1<<63-1)/int64(time.Second) {
			return 0, fmt.Errorf("signing: duration: %d seconds is out of range", n)
		}
		return Duration(time.Duration(n) * time.Second), nil
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("signing: duration: want a string like \"5m\" or \"300s\", or whole seconds: %w", err)
	}
	return Duration(v), nil
}
