package faulty

import (
	"context"
	"sync"
	"time"

	"github.com/esimhooks/esimhooks/providers/jsonv"
)

// barrier makes the check-then-act race deterministic: the first request
// to meet on a key waits for a second one (or until the timeout), so both
// have passed the "seen?" check before either marks the key.
type barrier struct {
	timeout time.Duration
	mu      sync.Mutex
	waiting map[string]chan struct{}
}

func newBarrier(timeout time.Duration) *barrier {
	return &barrier{timeout: timeout, waiting: map[string]chan struct{}{}}
}

// meet is receiver.Faults.BetweenCheckAndMark: it releases a copy waiting
// on key, or waits for the next one.
func (b *barrier) meet(ctx context.Context, key string) {
	b.mu.Lock()
	if ch, ok := b.waiting[key]; ok {
		delete(b.waiting, key)
		close(ch)
		b.mu.Unlock()
		return
	}
	ch := make(chan struct{})
	b.waiting[key] = ch
	b.mu.Unlock()

	t := time.NewTimer(b.timeout)
	defer t.Stop()
	select {
	case <-ch:
		return
	case <-t.C:
	case <-ctx.Done():
	}
	b.mu.Lock()
	if b.waiting[key] == ch {
		delete(b.waiting, key)
	}
	b.mu.Unlock()
}

// hasUnknownField reports whether payload p has an object member that the
// event's payload template tmpl lacks, at any depth (an array's elements
// are compared with the template's first element). It is what a strict
// decoder (DisallowUnknownFields) reports.
func hasUnknownField(tmpl, p jsonv.Value) bool {
	switch t := tmpl.(type) {
	case *jsonv.Object:
		o, ok := p.(*jsonv.Object)
		if !ok {
			return false
		}
		for _, k := range o.Keys() {
			tv, known := t.Get(k)
			if !known {
				return true
			}
			if pv, _ := o.Get(k); hasUnknownField(tv, pv) {
				return true
			}
		}
	case []jsonv.Value:
		a, ok := p.([]jsonv.Value)
		if !ok || len(t) == 0 {
			return false
		}
		for _, e := range a {
			if hasUnknownField(t[0], e) {
				return true
			}
		}
	}
	return false
}
