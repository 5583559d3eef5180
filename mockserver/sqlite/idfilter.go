package sqlite

import (
	"hash/maphash"
	"math/bits"
	"sync"
)

// idFilter is the set of delivery ids a segment of a Segmented log may
// hold: a Bloom filter that grows (a layer twice as large as the last when
// that one is full), so that it never says "no" for an id that was added,
// and says "maybe" for one that was not about once in 300 times. A
// Segmented log asks it before the segment's file, so that writing a new
// delivery costs no read of the older segments. It never forgets: a
// segment only loses deliveries when it is dropped whole.
//
// At idBits bits an id, it takes 1.5 bytes of memory a delivery when its
// last layer is full, up to twice that just after a layer is added.
type idFilter struct {
	mu     sync.RWMutex
	layers []*bloomLayer
}

// Bloom filter parameters: 12 bits and 8 probes an id give a false
// "maybe" rate of about 0.3 % in a full layer.
const (
	idBits       = 12
	idProbes     = 8
	firstIDLayer = 4096 // ids the first layer is sized for
)

// idSeed is the filters' hash seed: they live in memory only.
var idSeed = maphash.MakeSeed()

type bloomLayer struct {
	bits     []uint64
	capacity int // ids it is sized for
	n        int // ids added
}

func newIDFilter() *idFilter { return &idFilter{} }

// add adds id.
func (f *idFilter) add(id string) {
	h := maphash.String(idSeed, id)
	f.mu.Lock()
	defer f.mu.Unlock()
	last := len(f.layers) - 1
	if last < 0 || f.layers[last].n >= f.layers[last].capacity {
		c := firstIDLayer
		if last >= 0 {
			c = 2 * f.layers[last].capacity
		}
		f.layers = append(f.layers, &bloomLayer{bits: make([]uint64, (c*idBits+63)/64), capacity: c})
		last++
	}
	l := f.layers[last]
	l.each(h, func(word int, bit uint64) bool { l.bits[word] |= bit; return true })
	l.n++
}

// has reports whether id may have been added: false means it was not.
func (f *idFilter) has(id string) bool {
	h := maphash.String(idSeed, id)
	f.mu.RLock()
	defer f.mu.RUnlock()
	for _, l := range f.layers {
		if l.each(h, func(word int, bit uint64) bool { return l.bits[word]&bit != 0 }) {
			return true
		}
	}
	return false
}

// each calls fn with the idProbes bits of hash h (double hashing), and
// reports whether fn returned true for all of them (stopping at the first
// false).
func (l *bloomLayer) each(h uint64, fn func(word int, bit uint64) bool) bool {
	m := uint64(len(l.bits) * 64)
	h1, h2 := h, bits.RotateLeft64(h, 32)|1
	for i := range uint64(idProbes) {
		p := (h1 + i*h2) % m
		if !fn(int(p/64), 1<<(p%64)) {
			return false
		}
	}
	return true
}
