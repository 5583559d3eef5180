package main

import (
	"crypto/rand"
	"encoding/binary"
	"flag"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/esimhooks/esimhooks/providers"
	"github.com/esimhooks/esimhooks/providers/jsonv"
	"github.com/esimhooks/esimhooks/providers/payload"
)

// eventFlags select and shape one generated event.
type eventFlags struct {
	providerFlags
	event       string
	seed        uint64
	seedSet     bool
	now         string
	sets        multi
	payloadFile string
	encoding    string
	force       bool
}

func (f *eventFlags) register(fs *flag.FlagSet) {
	f.providerFlags.register(fs)
	fs.StringVar(&f.event, "event", "", "event type (see esimhooks events --provider P)")
	fs.Func("seed", "seed for every generated value: the same seed prints the same bytes, and events generated with one seed belong to one order's life (same ids)", func(s string) error {
		_, err := fmt.Sscan(s, &f.seed)
		f.seedSet = err == nil
		if err != nil {
			return fmt.Errorf("must be a non-negative integer")
		}
		return nil
	})
	fs.StringVar(&f.now, "now", "", "the life's start time (RFC 3339), or \"now\" for the event to happen now; default: now, or "+payload.Epoch.Format(time.RFC3339)+" when --seed is given. Requests are signed at the current time (a dry run with --now RFC3339 at the event's time); send warns when a receiver will reject the event's time as a replay")
	fs.Var(&f.sets, "set", "override a payload value; repeatable. PATH=TEXT: TEXT takes the type of the value it replaces (a number must be a JSON number, kept digit for digit; a boolean true/false; a string, null or a new path: a string as it is). PATH:=JSON: a JSON value as it is (n:=5, s:=\"5\", x:=null, o:={\"a\":[1]}). PATH: dotted (data.esims.0.iccid) or a JSON pointer (/data/esims/0/iccid). A path the payload lacks is added, with a warning naming the nearest existing paths")
	fs.BoolVar(&f.force, "force", false, "send an event the provider lists but does not emit (reserved, e.g. order.completed of esimfly@2026-09)")
	fs.StringVar(&f.payloadFile, "payload", "", "send this JSON file as the payload instead of a generated one (overrides still apply)")
	fs.StringVar(&f.encoding, "encoding", "", "write the body in this encoding instead of the variant's: "+strings.Join(providers.Encodings, ", ")+" (Airalo: php sends non-ASCII as \\uXXXX for its PHP SDK, php-utf8 as literal UTF-8 for its Node and Python SDKs; assumed)")
}

// explicitNow reports whether --now gave the life's start as a time.
func (f *eventFlags) explicitNow() bool { return f.now != "" && f.now != "now" }

// built is a generated event ready to sign.
type built struct {
	variant  *providers.Variant
	event    *providers.Event
	delivery *providers.Delivery
	start    time.Time
	warn     error    // schema violations after overrides (still sent)
	warnings []string // overrides that added a path the payload lacked
	// bodyWarn says which official verifiers will reject the body although
	// it is signed correctly (providers.BodyWarnings).
	bodyWarn []string
}

func (f *eventFlags) build() (*built, error) {
	_, v, err := f.resolve()
	if err != nil {
		return nil, err
	}
	if f.event == "" {
		return nil, usageErr("--event is required (valid for %s: %s)", v.ID(), eventNames(v))
	}
	ev, err := v.Event(f.event)
	if err != nil {
		return nil, f.lookupErr(err)
	}
	if err := ev.CheckSendable(f.force); err != nil {
		return nil, usageErr("%v (--force)", err)
	}
	seed := f.seed
	if !f.seedSet {
		var b [8]byte
		_, _ = rand.Read(b[:])
		seed = binary.LittleEndian.Uint64(b[:])
	}
	var explicit *time.Time
	seeded := f.seedSet
	switch f.now {
	case "":
	case "now":
		seeded = false // the ids of the seed's life, the event now
	default:
		t, err := time.Parse(time.RFC3339, f.now)
		if err != nil {
			return nil, usageErr("--now %q: want RFC 3339 like 2026-01-15T09:30:00Z, or now", f.now)
		}
		explicit = &t
	}
	start := ev.LifeStart(seeded, explicit, time.Now())
	var p jsonv.Value
	if f.payloadFile != "" {
		data, err := os.ReadFile(f.payloadFile)
		if err != nil {
			return nil, usageErr("--payload: %v", err)
		}
		if p, err = jsonv.Parse(data); err != nil {
			return nil, usageErr("--payload %s: %v", f.payloadFile, err)
		}
	} else if p, err = ev.Generate(payload.NewWorld(seed, start)); err != nil {
		return nil, err
	}
	overrides := make([]providers.Override, len(f.sets))
	for i, s := range f.sets {
		if overrides[i], err = providers.ParseOverride(s); err != nil {
			return nil, usageErr("--set %v", err)
		}
	}
	var warns []string
	if p, warns, err = v.ApplyOverrides(p, overrides); err != nil {
		return nil, usageErr("--set %v", err)
	}
	id := v.NewDeliveryID(mrand.New(mrand.NewPCG(seed, 0x1d)))
	enc := v.Encoding
	if f.encoding != "" {
		if !slices.Contains(providers.Encodings, f.encoding) {
			return nil, usageErr("--encoding %q: want one of %s", f.encoding, strings.Join(providers.Encodings, ", "))
		}
		enc = f.encoding
	}
	d, err := v.NewDeliveryIn(enc, ev, p, id)
	if err != nil {
		return nil, err
	}
	b := &built{variant: v, event: ev, delivery: d, start: start, warnings: warns, bodyWarn: providers.BodyWarnings(enc, d.Body)}
	if err := ev.Validate(p); err != nil && err != providers.ErrNoSchema {
		b.warn = err
	}
	return b, nil
}

// printWarnings writes what the user should know about the built event:
// paths that overrides added, and schema violations.
func (b *built) printWarnings(w io.Writer) {
	for _, s := range b.warnings {
		fmt.Fprintf(w, "warning: --set %s\n", s)
	}
	if b.warn != nil {
		fmt.Fprintf(w, "warning: the payload no longer matches the event's schema:\n%v\n", b.warn)
	}
	for _, s := range b.bodyWarn {
		fmt.Fprintf(w, "warning: %s\n", s)
	}
}

func eventNames(v *providers.Variant) string {
	var s string
	for i, e := range v.Events {
		if i > 0 {
			s += ", "
		}
		s += e.Name
	}
	return s
}
