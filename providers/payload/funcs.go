package payload

import (
	"encoding/base64"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"

	"github.com/esimhooks/esimhooks/providers/jsonv"
)

type function struct {
	min, max int // argument counts; max -1 = unbounded
	usage    string
	doc      string
	fn       func(c *Context, args []string) (jsonv.Value, error)
}

// FuncNames lists the template functions, sorted.
func FuncNames() []string {
	names := make([]string, 0, len(funcs))
	for n := range funcs {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// FuncDoc returns the usage line and description of a template function.
func FuncDoc(name string) (usage, doc string, ok bool) {
	f, ok := funcs[name]
	return f.usage, f.doc, ok
}

var funcs map[string]function

func init() {
	funcs = map[string]function{
		"iccid": {0, 1, "iccid [N]", "the life's N-th ICCID (19–20 digits, Luhn check digit); N defaults to 0",
			func(c *Context, a []string) (jsonv.Value, error) {
				n, err := index(a)
				return c.World.once("iccid/"+strconv.Itoa(n), func(r *rand.Rand) any { return ICCID(r) }), err
			}},
		"matching_id": {0, 1, "matching_id [N]", "the activation code (matching id) of the life's N-th eSIM",
			func(c *Context, a []string) (jsonv.Value, error) {
				n, err := index(a)
				return c.matchingID(n), err
			}},
		"lpa": {1, 2, "lpa SMDP [N]", "the LPA string LPA:1$SMDP$<matching id> of the N-th eSIM",
			func(c *Context, a []string) (jsonv.Value, error) {
				n, err := index(a[1:])
				return "LPA:1$" + a[0] + "$" + c.matchingID(n), err
			}},
		"id": {2, 2, "id NAME PATTERN", "a value stable across the life, from PATTERN (# digit, A/a letter, x hex, * alnum, ? nanoid)",
			func(c *Context, a []string) (jsonv.Value, error) {
				return c.World.once("id/"+a[0]+"/"+a[1], func(r *rand.Rand) any { return Pattern(r, a[1]) }), nil
			}},
		"fresh": {1, 1, "fresh PATTERN", "a value new to this event, from PATTERN",
			func(c *Context, a []string) (jsonv.Value, error) { return Pattern(c.freshStream(), a[0]), nil }},
		"uuid": {0, 1, "uuid [NAME]", "a UUID v4; with NAME it is stable across the life",
			func(c *Context, a []string) (jsonv.Value, error) {
				if len(a) == 1 {
					return c.World.once("uuid/"+a[0], func(r *rand.Rand) any { return UUID(r) }), nil
				}
				return UUID(c.freshStream()), nil
			}},
		"int": {3, 3, "int NAME MIN MAX", "an integer of this event, the same for the same NAME",
			func(c *Context, a []string) (jsonv.Value, error) {
				lo, hi, err := bounds(a[1], a[2])
				if err != nil {
					return nil, err
				}
				return jsonv.Number(strconv.FormatInt(int64(lo)+c.eventStream(a[0]).Int64N(int64(hi-lo)+1), 10)), nil
			}},
		"stable_int": {3, 3, "stable_int NAME MIN MAX", "an integer stable across the life",
			func(c *Context, a []string) (jsonv.Value, error) {
				lo, hi, err := bounds(a[1], a[2])
				if err != nil {
					return nil, err
				}
				return c.World.once("int/"+a[0]+"/"+a[1]+"/"+a[2], func(r *rand.Rand) any {
					return jsonv.Number(strconv.FormatInt(int64(lo)+r.Int64N(int64(hi-lo)+1), 10))
				}), nil
			}},
		"decimal": {4, 4, "decimal NAME MIN MAX PLACES", "a decimal number of this event with at most PLACES decimals",
			func(c *Context, a []string) (jsonv.Value, error) {
				lo, hi, err := bounds(a[1], a[2])
				if err != nil {
					return nil, err
				}
				places, err := strconv.Atoi(a[3])
				if err != nil || places < 0 || places > 6 {
					return nil, fmt.Errorf("PLACES must be 0..6, got %q", a[3])
				}
				scale := math.Pow10(places)
				steps := int64((hi - lo) * scale)
				v := lo + float64(c.eventStream(a[0]).Int64N(steps+1))/scale
				return decimal(v, places), nil
			}},
		"pick": {2, -1, "pick NAME V1 V2 …", "one of the values for this event (the same for the same NAME); numbers and booleans keep their type",
			func(c *Context, a []string) (jsonv.Value, error) {
				return literal(a[1+c.eventStream(a[0]).IntN(len(a)-1)]), nil
			}},
		"stable": {2, -1, "stable NAME V1 V2 …", "one of the values, stable across the life",
			func(c *Context, a []string) (jsonv.Value, error) {
				return c.World.once("pick/"+a[0], func(r *rand.Rand) any { return literal(a[1+r.IntN(len(a)-1)]) }), nil
			}},
		"time": {1, 2, "time FORMAT [OFFSET]", "the event's time (+OFFSET like 7d, -2h) in FORMAT: " + strings.Join(TimeFormats(), ", "),
			func(c *Context, a []string) (jsonv.Value, error) { return c.timeArg(c.Time, a) }},
		"start": {1, 2, "start FORMAT [OFFSET]", "the life's start time (+OFFSET) in FORMAT",
			func(c *Context, a []string) (jsonv.Value, error) { return c.timeArg(c.World.Start, a) }},
		"attempt_time": {1, 1, "attempt_time FORMAT", "the time of the delivery attempt (headers), in FORMAT",
			func(c *Context, a []string) (jsonv.Value, error) {
				if c.Attempt.IsZero() {
					return FormatTime(a[0], c.Time)
				}
				return FormatTime(a[0], c.Attempt)
			}},
		"package": {1, 1, "package FIELD", "the life's data plan: code, slug, name, country, data_gb, data_mb, data_bytes, days, price, currency",
			func(c *Context, a []string) (jsonv.Value, error) { return c.pkgField(a[0]) }},
		"usage": {2, -1, "usage WHAT LEVEL…", "usage at one of the LEVELs (percent used) for this event; WHAT: percent, fraction, remain_fraction, used_bytes, remain_bytes, total_bytes, used_mb, remain_mb, total_mb, used_gb, total_gb",
			func(c *Context, a []string) (jsonv.Value, error) { return c.usage(a[0], a[1:]) }},
		"data_url": {0, 0, "data_url", "a data: URL holding a small PNG (a QR code image)",
			func(c *Context, a []string) (jsonv.Value, error) {
				r := c.World.stream("qr", c.Event)
				img := []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
				for i := 0; i < 48; i++ {
					img = append(img, byte(r.UintN(256)))
				}
				return "data:image/png;base64," + base64.StdEncoding.EncodeToString(img), nil
			}},
		"event": {0, 0, "event", "the event type's name",
			func(c *Context, a []string) (jsonv.Value, error) { return c.Event, nil }},
		"var": {1, 1, "var NAME", "a value supplied by the caller (delivery_id, attempt_time, …)",
			func(c *Context, a []string) (jsonv.Value, error) {
				v, ok := c.Vars[a[0]]
				if !ok {
					return nil, fmt.Errorf("no variable %q", a[0])
				}
				return v, nil
			}},
	}
}

func index(a []string) (int, error) {
	if len(a) == 0 {
		return 0, nil
	}
	n, err := strconv.Atoi(a[0])
	if err != nil || n < 0 || n > 99 {
		return 0, fmt.Errorf("index must be 0..99, got %q", a[0])
	}
	return n, nil
}

func bounds(a, b string) (float64, float64, error) {
	lo, err1 := strconv.ParseFloat(a, 64)
	hi, err2 := strconv.ParseFloat(b, 64)
	if err1 != nil || err2 != nil || hi < lo {
		return 0, 0, fmt.Errorf("bad range %s..%s", a, b)
	}
	return lo, hi, nil
}

// decimal prints v with at most places decimals and no trailing zeros.
func decimal(v float64, places int) jsonv.Number {
	s := strconv.FormatFloat(v, 'f', places, 64)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return jsonv.Number(s)
}

func (c *Context) matchingID(n int) string {
	return c.World.once("matching/"+strconv.Itoa(n), func(r *rand.Rand) any {
		return Pattern(r, "*****-*****-*****-*****")
	}).(string)
}

// asciiFold drops the diacritics of the Latin letters in Packages' names.
var asciiFold = strings.NewReplacer("ü", "u", "Ü", "U", "ö", "o", "Ö", "O", "ä", "a", "Ä", "A",
	"é", "e", "è", "e", "ç", "c", "ñ", "n", "ı", "i", "ş", "s", "ğ", "g", "ã", "a", "ô", "o")

func (c *Context) pkg() Package {
	return c.World.once("package", func(r *rand.Rand) any { return Packages[r.IntN(len(Packages))] }).(Package)
}

func (c *Context) pkgField(f string) (jsonv.Value, error) {
	p := c.pkg()
	switch f {
	case "code":
		return p.Code, nil
	case "slug":
		return p.Slug, nil
	case "name":
		if c.ASCII {
			return asciiFold.Replace(p.Name), nil
		}
		return p.Name, nil
	case "country":
		return p.Country, nil
	case "data_gb":
		return decimal(p.DataGB, 2), nil
	case "data_mb":
		return jsonv.Number(strconv.Itoa(int(p.DataGB * 1024))), nil
	case "data_bytes":
		return jsonv.Number(strconv.FormatInt(int64(p.DataGB*(1<<30)), 10)), nil
	case "days":
		return jsonv.Number(strconv.Itoa(p.Days)), nil
	case "price":
		return decimal(p.Price, 2), nil
	case "currency":
		return p.Currency, nil
	}
	return nil, fmt.Errorf("unknown package field %q", f)
}

func (c *Context) usage(what string, levels []string) (jsonv.Value, error) {
	pct, err := strconv.ParseFloat(levels[c.World.stream("usage", c.Event, strings.Join(levels, ",")).IntN(len(levels))], 64)
	if err != nil || pct < 0 || pct > 100 {
		return nil, fmt.Errorf("levels must be percentages, got %v", levels)
	}
	p := c.pkg()
	total := int64(p.DataGB * (1 << 30))
	used := int64(float64(total) * pct / 100)
	mb := func(b int64) jsonv.Value { return decimal(float64(b)/(1<<20), 2) }
	switch what {
	case "percent":
		return decimal(pct, 2), nil
	case "fraction":
		return decimal(pct/100, 4), nil
	case "remain_fraction":
		return decimal(1-pct/100, 4), nil
	case "used_bytes":
		return jsonv.Number(strconv.FormatInt(used, 10)), nil
	case "remain_bytes":
		return jsonv.Number(strconv.FormatInt(total-used, 10)), nil
	case "total_bytes":
		return jsonv.Number(strconv.FormatInt(total, 10)), nil
	case "used_mb":
		return mb(used), nil
	case "remain_mb":
		return mb(total - used), nil
	case "total_mb":
		return mb(total), nil
	case "used_gb":
		return decimal(float64(used)/(1<<30), 2), nil
	case "total_gb":
		return decimal(p.DataGB, 2), nil
	}
	return nil, fmt.Errorf("unknown usage field %q", what)
}
