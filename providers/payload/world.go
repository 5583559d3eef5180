// Package payload generates realistic, deterministic webhook payloads from the
// templates in provider profiles.
//
// A World is one simulated order's life: one seed fixes its order ids, ICCIDs,
// matching ids, package and start time, so that every event generated from the
// same World agrees (the ICCID in order.completed is the one esim.activated
// later reports). Values that should differ per event (a fresh UUID, an
// amount) come from a stream seeded by the World's seed and the event name, so
// the same seed and event always give the same bytes.
package payload

import (
	"hash/fnv"
	"math/rand/v2"
	"sync"
	"time"
)

// Epoch is the start time of a World made by NewWorld when the caller asks
// for a deterministic clock.
var Epoch = time.Date(2026, 1, 15, 9, 30, 0, 0, time.UTC)

// World holds the values shared by every event of one simulated order's life.
// It is safe for concurrent use.
type World struct {
	// Seed fixes every generated value.
	Seed uint64
	// Start is the time of the life's first event; an event's time is Start
	// plus the offset its profile gives it.
	Start time.Time

	mu     sync.Mutex
	stable map[string]any
}

// NewWorld returns the World for seed whose life starts at start.
func NewWorld(seed uint64, start time.Time) *World {
	return &World{Seed: seed, Start: start.UTC(), stable: map[string]any{}}
}

// stream returns a random stream determined by the seed and the given labels.
func (w *World) stream(labels ...string) *rand.Rand {
	h := fnv.New64a()
	for _, l := range labels {
		h.Write([]byte(l))
		h.Write([]byte{0})
	}
	return rand.New(rand.NewPCG(w.Seed, h.Sum64()))
}

// once returns the value stored under key, making it with mk on first use.
// Stable values do not depend on the order in which events are generated,
// because mk only draws from a stream seeded by the key itself.
func (w *World) once(key string, mk func(r *rand.Rand) any) any {
	w.mu.Lock()
	defer w.mu.Unlock()
	if v, ok := w.stable[key]; ok {
		return v
	}
	v := mk(w.stream("stable", key))
	w.stable[key] = v
	return v
}
