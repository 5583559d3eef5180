package main

import (
	"crypto/rand"
	"encoding/binary"
	"flag"
	"fmt"
	mrand "math/rand/v2"
	"os"
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
	fs.StringVar(&f.now, "now", "", "the life's start time (RFC 3339, or \"now\"); default: now, or "+payload.Epoch.Format(time.RFC3339)+" when --seed is given")
	fs.Var(&f.sets, "set", "override a payload value: PATH=VALUE, PATH a dotted path (data.iccid) or JSON pointer (/data/iccid); VALUE JSON or text (a string stays a string); repeatable")
	fs.BoolVar(&f.force, "force", false, "send an event the provider lists but does not emit (reserved, e.g. order.completed of esimfly@2026-09)")
	fs.StringVar(&f.payloadFile, "payload", "", "send this JSON file as the payload instead of a generated one (overrides still apply)")
}

// built is a generated event ready to sign.
type built struct {
	variant  *providers.Variant
	event    *providers.Event
	delivery *providers.Delivery
	start    time.Time
	warn     error // schema violations after overrides (still sent)
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
		return nil, usageErr("%v", err)
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
	start := time.Now().UTC().Truncate(time.Second).Add(-ev.At.D())
	if f.seedSet {
		start = payload.Epoch
	}
	switch f.now {
	case "", "now":
		if f.now == "now" {
			start = time.Now().UTC().Truncate(time.Second).Add(-ev.At.D())
		}
	default:
		t, err := time.Parse(time.RFC3339, f.now)
		if err != nil {
			return nil, usageErr("--now %q: want RFC 3339 like 2026-01-15T09:30:00Z, or now", f.now)
		}
		start = t
	}
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
	for _, s := range f.sets {
		o, err := providers.ParseOverride(s)
		if err != nil {
			return nil, usageErr("%v", err)
		}
		if p, err = o.Apply(p); err != nil {
			return nil, usageErr("%v", err)
		}
	}
	id := v.NewDeliveryID(mrand.New(mrand.NewPCG(seed, 0x1d)))
	d, err := v.NewDelivery(ev, p, id)
	if err != nil {
		return nil, err
	}
	b := &built{variant: v, event: ev, delivery: d, start: start}
	if err := ev.Validate(p); err != nil && err != providers.ErrNoSchema {
		b.warn = err
	}
	return b, nil
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
