package payload_test

import (
	"errors"
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/esimhooks/esimhooks/providers/jsonv"
	"github.com/esimhooks/esimhooks/providers/payload"
)

func TestICCIDsAreLuhnValidAnd19To20Digits(t *testing.T) {
	seen := map[int]bool{}
	for i := uint64(0); i < 2000; i++ {
		s := payload.ICCID(rand.New(rand.NewPCG(i, 0)))
		if len(s) < 19 || len(s) > 20 || !strings.HasPrefix(s, "89") || !payload.LuhnValid(s) {
			t.Fatalf("bad ICCID %q", s)
		}
		seen[len(s)] = true
	}
	if !seen[19] || !seen[20] {
		t.Errorf("lengths seen %v, want both 19 and 20", seen)
	}
	// Known Luhn values: 7992739871 → 3; the seed's example ICCID is not Luhn-valid.
	if payload.LuhnDigit("7992739871") != 3 || !payload.LuhnValid("79927398713") || payload.LuhnValid("79927398710") {
		t.Error("Luhn arithmetic is wrong")
	}
}

func TestUUIDsAreVersion4(t *testing.T) {
	re := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	for i := uint64(0); i < 500; i++ {
		if u := payload.UUID(rand.New(rand.NewPCG(i, 9))); !re.MatchString(u) {
			t.Fatalf("not a v4 UUID: %s", u)
		}
	}
}

func gen(t *testing.T, w *payload.World, event string, tmpl string) *jsonv.Object {
	t.Helper()
	v, err := jsonv.Parse([]byte(tmpl))
	if err != nil {
		t.Fatal(err)
	}
	out, err := payload.Generate(v, &payload.Context{World: w, Event: event, Time: w.Start})
	if err != nil {
		t.Fatal(err)
	}
	return out.(*jsonv.Object)
}

func get(o *jsonv.Object, k string) jsonv.Value { v, _ := o.Get(k); return v }

func TestAWorldKeepsIDsAcrossEvents(t *testing.T) {
	w := payload.NewWorld(42, payload.Epoch)
	a := gen(t, w, "order.completed", `{"iccid":"{{iccid}}","order":"{{id order ORD-######}}","lpa":"{{lpa smdp.example.com}}","u":"{{uuid}}"}`)
	b := gen(t, w, "esim.activated", `{"u":"{{uuid}}","lpa":"{{lpa smdp.example.com}}","order":"{{id order ORD-######}}","iccid":"{{iccid}}"}`)
	for _, k := range []string{"iccid", "order", "lpa"} {
		if get(a, k) != get(b, k) {
			t.Errorf("%s differs across one life: %v vs %v", k, get(a, k), get(b, k))
		}
	}
	if get(a, "u") == get(b, "u") {
		t.Error("unnamed uuids must differ between events")
	}
	if !regexp.MustCompile(`^LPA:1\$smdp\.example\.com\$[A-Z0-9-]{23}$`).MatchString(get(a, "lpa").(string)) {
		t.Errorf("LPA string %v", get(a, "lpa"))
	}
	other := gen(t, payload.NewWorld(43, payload.Epoch), "order.completed", `{"iccid":"{{iccid}}"}`)
	if get(other, "iccid") == get(a, "iccid") {
		t.Error("different seeds gave the same ICCID")
	}
	// Order of generation must not matter.
	w2 := payload.NewWorld(42, payload.Epoch)
	b2 := gen(t, w2, "esim.activated", `{"iccid":"{{iccid}}"}`)
	if get(b2, "iccid") != get(a, "iccid") {
		t.Error("ICCID depends on the order events were generated in")
	}
}

func TestTypesAndTimes(t *testing.T) {
	w := payload.NewWorld(1, time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	o := gen(t, w, "e", `{"n":"{{int n 5 5}}","b":"{{pick b true}}","s":"x-{{int n 5 5}}","iso":"{{time iso8601}}","ref":"{{time iso8601+0000 1d}}","unix":"{{time unix}}","sql":"{{start sql -1h}}","d":"{{decimal d 5.5 5.5 2}}"}`)
	want := map[string]jsonv.Value{"n": jsonv.Number("5"), "b": true, "s": "x-5", "iso": "2026-03-01T12:00:00Z",
		"ref": "2026-03-02T12:00:00+0000", "unix": jsonv.Number("1772366400"), "sql": "2026-03-01 11:00:00", "d": jsonv.Number("5.5")}
	for k, v := range want {
		if got := get(o, k); got != v {
			t.Errorf("%s = %#v, want %#v", k, got, v)
		}
	}
}

func TestTemplateErrorsNameTheFunctionAndPlace(t *testing.T) {
	w := payload.NewWorld(1, payload.Epoch)
	for tmpl, want := range map[string]string{
		`{"a":{"b":"{{nope}}"}}`:        `/a/b: unknown function "nope"`,
		`{"a":"{{int x 9 1}}"}`:         "bad range",
		`{"a":"{{time fortnight}}"}`:    "unknown time format",
		`{"a":["{{iccid 1000}}"]}`:      "/a/0",
		`{"a":"{{ unclosed"}`:           "unclosed",
		`{"a":"{{package colour}}"}`:    "unknown package field",
		`{"a":"{{usage percent 101}}"}`: "percentages",
	} {
		v, _ := jsonv.Parse([]byte(tmpl))
		_, err := payload.Generate(v, &payload.Context{World: w, Event: "e", Time: w.Start})
		if err == nil || !errors.Is(err, payload.ErrTemplate) || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: got %v, want an ErrTemplate containing %q", tmpl, err, want)
		}
	}
}

func TestParseOffset(t *testing.T) {
	for in, want := range map[string]time.Duration{"7d": 7 * 24 * time.Hour, "-2h": -2 * time.Hour, "7d2h": 170 * time.Hour, "90s": 90 * time.Second} {
		if got, err := payload.ParseOffset(in); err != nil || got != want {
			t.Errorf("%s: %v %v", in, got, err)
		}
	}
	if _, err := payload.ParseOffset("soon"); err == nil {
		t.Error("bad offset accepted")
	}
}
