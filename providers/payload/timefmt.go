package payload

import (
	"fmt"
	"sort"
	"strconv"
	"time"

	"github.com/esimhooks/esimhooks/providers/jsonv"
)

// timeFormats are the timestamp forms the providers use.
var timeFormats = map[string]func(t time.Time) jsonv.Value{
	// ISO 8601 / RFC 3339 in UTC with a Z, as eSIMfly and eSIM Access's open API send.
	"iso8601": func(t time.Time) jsonv.Value { return t.UTC().Format("2006-01-02T15:04:05Z") },
	// ISO 8601 with milliseconds, as JavaScript's Date.toISOString prints.
	"iso8601ms": func(t time.Time) jsonv.Value { return t.UTC().Format("2006-01-02T15:04:05.000Z") },
	// ISO 8601 with a +0000 offset, as eSIM Access's API reference shows.
	"iso8601+0000": func(t time.Time) jsonv.Value { return t.UTC().Format("2006-01-02T15:04:05-0700") },
	// "YYYY-MM-DD hh:mm:ss", as Airalo's order objects print created_at.
	"sql": func(t time.Time) jsonv.Value { return t.UTC().Format("2006-01-02 15:04:05") },
	// A calendar date.
	"date": func(t time.Time) jsonv.Value { return t.UTC().Format("2006-01-02") },
	// Unix seconds, as Roamify's data.timestamp and Standard Webhooks' header.
	"unix": func(t time.Time) jsonv.Value { return jsonv.Number(strconv.FormatInt(t.Unix(), 10)) },
	// Unix milliseconds.
	"unixms": func(t time.Time) jsonv.Value { return jsonv.Number(strconv.FormatInt(t.UnixMilli(), 10)) },
}

// TimeFormats lists the names FormatTime accepts, sorted.
func TimeFormats() []string {
	out := make([]string, 0, len(timeFormats))
	for k := range timeFormats {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// FormatTime prints t in the named format.
func FormatTime(format string, t time.Time) (jsonv.Value, error) {
	f, ok := timeFormats[format]
	if !ok {
		return nil, fmt.Errorf("unknown time format %q (known: %v)", format, TimeFormats())
	}
	return f(t), nil
}

// ParseTime reads a timestamp in any of the providers' forms: RFC 3339 (with
// or without fraction), +0000-style offsets, "YYYY-MM-DD hh:mm:ss" (UTC), or
// unix seconds/milliseconds given as a number.
func ParseTime(v jsonv.Value) (time.Time, error) {
	switch t := v.(type) {
	case jsonv.Number:
		f, err := strconv.ParseFloat(string(t), 64)
		if err != nil {
			return time.Time{}, err
		}
		if f > 1e12 {
			return time.UnixMilli(int64(f)).UTC(), nil
		}
		return time.Unix(int64(f), 0).UTC(), nil
	case string:
		for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05-0700", "2006-01-02T15:04:05.000-0700", "2006-01-02 15:04:05", "2006-01-02"} {
			if tm, err := time.Parse(layout, t); err == nil {
				return tm.UTC(), nil
			}
		}
		return time.Time{}, fmt.Errorf("unrecognised timestamp %q", t)
	}
	return time.Time{}, fmt.Errorf("timestamp is %T, not a string or number", v)
}

func (c *Context) timeArg(base time.Time, a []string) (jsonv.Value, error) {
	if len(a) == 2 {
		d, err := ParseOffset(a[1])
		if err != nil {
			return nil, err
		}
		base = base.Add(d)
	}
	return FormatTime(a[0], base)
}
