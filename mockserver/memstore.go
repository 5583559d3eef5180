package mockserver

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
)

// errStoreClosed is returned by a memory store's methods after Close.
var errStoreClosed = errors.New("store closed")

// memStore is the in-memory Store. It keeps everything until the process
// ends — every endpoint, delivery and attempt — and is meant for tests,
// demos and benchmarks, not for long-running servers (use the SQLite
// store there).
type memStore struct {
	mu         sync.RWMutex
	closed     bool
	endpoints  map[string]*Endpoint
	deliveries map[string]*memDelivery
	// order holds every delivery sorted by (CreatedAt, ID), oldest first.
	order []*memDelivery
	// epVer counts endpoint writes (EndpointVersioner).
	epVer atomic.Uint64
}

// memDelivery is a delivery as the memory store keeps it.
//
// Locking: s.mu guards the maps, the order and every field; a holder of
// s.mu's read lock may also change the fields an attempt changes (State,
// Attempts, NextAttemptAt, UpdatedAt) and the attempts, under mu, so
// that recording attempts does not serialise on s.mu. Readers holding
// s.mu's read lock read those under mu's read lock; the other fields
// change only under s.mu's write lock.
type memDelivery struct {
	mu       sync.RWMutex
	d        Delivery
	attempts []*memAttempt
}

// snapshot copies md's delivery (body included); the caller holds s.mu.
func (md *memDelivery) snapshot() *Delivery {
	md.mu.RLock()
	defer md.mu.RUnlock()
	return copyDelivery(&md.d)
}

// state returns md's state; the caller holds s.mu.
func (md *memDelivery) state() string {
	md.mu.RLock()
	defer md.mu.RUnlock()
	return md.d.State
}

// memAttempt is an attempt as the memory store keeps it: the header maps
// are packed into byte slices, which the garbage collector need not scan.
type memAttempt struct {
	a          Attempt // RequestHeaders and ResponseHeaders nil
	reqH, resH []byte
}

// cmpKey orders deliveries by creation time, then id.
func cmpKey(a, b *Delivery) int {
	if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
		return c
	}
	return strings.Compare(a.ID, b.ID)
}

// indexLocked returns where d's key is, or would be, in order.
func (s *memStore) indexLocked(d *Delivery) (int, bool) {
	return slices.BinarySearchFunc(s.order, d, func(m *memDelivery, d *Delivery) int { return cmpKey(&m.d, d) })
}

// NewMemoryStore returns an empty in-memory Store. It is unbounded: it
// keeps every endpoint, delivery and attempt until it is garbage
// collected, so it suits tests, demos and benchmarks, not a server that
// runs for weeks (use the SQLite store). It copies what it is given and
// what it returns, bodies and headers included, so callers may modify
// their values freely. ListDeliveries returns the newest first by
// CreatedAt (ties by id), so a Before cursor pages without gaps or
// repeats. After Close every method fails.
func NewMemoryStore() Store {
	return &memStore{
		endpoints:  map[string]*Endpoint{},
		deliveries: map[string]*memDelivery{},
	}
}

func copyEndpoint(e *Endpoint) *Endpoint {
	c := *e
	c.Events = slices.Clone(e.Events)
	c.Headers = maps.Clone(e.Headers)
	return &c
}

func (s *memStore) PutEndpoint(_ context.Context, e *Endpoint) error {
	if e == nil || e.ID == "" {
		return errors.New("endpoint without an id")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return errStoreClosed
	}
	s.endpoints[e.ID] = copyEndpoint(e)
	s.epVer.Add(1)
	return nil
}

func (s *memStore) GetEndpoint(_ context.Context, id string) (*Endpoint, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return nil, errStoreClosed
	}
	e, ok := s.endpoints[id]
	if !ok {
		return nil, fmt.Errorf("endpoint %q: %w", id, ErrNotFound)
	}
	return copyEndpoint(e), nil
}

func (s *memStore) ListEndpoints(_ context.Context) ([]*Endpoint, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return nil, errStoreClosed
	}
	out := make([]*Endpoint, 0, len(s.endpoints))
	for _, e := range s.endpoints {
		out = append(out, copyEndpoint(e))
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].CreatedAt.Equal(out[j].CreatedAt) {
			return out[i].CreatedAt.Before(out[j].CreatedAt)
		}
		return out[i].ID < out[j].ID
	})
	return out, nil
}

func (s *memStore) DeleteEndpoint(_ context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return errStoreClosed
	}
	if _, ok := s.endpoints[id]; !ok {
		return fmt.Errorf("endpoint %q: %w", id, ErrNotFound)
	}
	delete(s.endpoints, id)
	s.epVer.Add(1)
	return nil
}

// EndpointsVersion implements EndpointVersioner.
func (s *memStore) EndpointsVersion() uint64 { return s.epVer.Load() }

func (s *memStore) PutDelivery(_ context.Context, d *Delivery) error {
	if d == nil || d.ID == "" {
		return errors.New("delivery without an id")
	}
	body := bytes.Clone(d.Body) // outside the lock, which every write takes
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return errStoreClosed
	}
	s.putLocked(d, body)
	return nil
}

// putLocked stores d. body is d.Body, cloned by the caller, or nil to
// clone it here unless it is the body already stored.
func (s *memStore) putLocked(d *Delivery, body []byte) {
	md, ok := s.deliveries[d.ID]
	if ok && !md.d.CreatedAt.Equal(d.CreatedAt) {
		if i, found := s.indexLocked(&md.d); found {
			s.order = slices.Delete(s.order, i, i+1)
		}
		ok = false
	}
	if md == nil {
		md = &memDelivery{}
		s.deliveries[d.ID] = md
	}
	if body == nil && d.Body != nil {
		body = md.d.Body
		if !bytes.Equal(body, d.Body) || body == nil {
			body = bytes.Clone(d.Body)
		}
	}
	md.d = *d
	md.d.Body = body
	if !ok {
		// Deliveries mostly arrive in creation order: append is the fast path.
		if n := len(s.order); n == 0 || cmpKey(&s.order[n-1].d, d) < 0 {
			s.order = append(s.order, md)
		} else {
			i, _ := s.indexLocked(d)
			s.order = slices.Insert(s.order, i, md)
		}
	}
}

func (s *memStore) GetDelivery(_ context.Context, id string) (*Delivery, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return nil, errStoreClosed
	}
	md, ok := s.deliveries[id]
	if !ok {
		return nil, fmt.Errorf("delivery %q: %w", id, ErrNotFound)
	}
	return md.snapshot(), nil
}

func copyDelivery(d *Delivery) *Delivery {
	c := *d
	c.Body = bytes.Clone(d.Body)
	return &c
}

func (s *memStore) ListDeliveries(_ context.Context, f DeliveryFilter) ([]*Delivery, error) {
	limit := f.Limit
	if limit <= 0 {
		limit = 100
	}
	limit = min(limit, 1000)
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return nil, errStoreClosed
	}
	i := len(s.order) - 1
	if f.Before != "" {
		md, ok := s.deliveries[f.Before]
		if !ok {
			return nil, fmt.Errorf("cursor delivery %q: %w", f.Before, ErrNotFound)
		}
		j, _ := s.indexLocked(&md.d)
		i = j - 1
	}
	out := []*Delivery{}
	for ; i >= 0 && len(out) < limit; i-- {
		md := s.order[i]
		d := &md.d
		if (f.Provider != "" && d.Provider != f.Provider) || (f.Event != "" && d.Event != f.Event) ||
			(f.EndpointID != "" && d.EndpointID != f.EndpointID) || (f.State != "" && md.state() != f.State) ||
			(f.EventID != "" && d.EventID != f.EventID) {
			continue
		}
		out = append(out, md.snapshot())
	}
	return out, nil
}

func (s *memStore) Pending(_ context.Context) ([]*Delivery, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return nil, errStoreClosed
	}
	// A scan: Pending is called once, when an engine starts, and keeping
	// a pending set would cost every write.
	out := []*Delivery{}
	for _, md := range s.order {
		if md.state() == StatePending {
			out = append(out, md.snapshot())
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].NextAttemptAt.Before(out[j].NextAttemptAt) })
	return out, nil
}

func (s *memStore) AddAttempt(_ context.Context, a *Attempt, d *Delivery) error {
	if a == nil || d == nil || d.ID == "" {
		return errors.New("attempt without a delivery")
	}
	if a.DeliveryID != d.ID {
		return fmt.Errorf("attempt of delivery %q recorded with delivery %q", a.DeliveryID, d.ID)
	}
	// Everything but the bookkeeping is done before a lock is taken.
	ac := &memAttempt{a: *a, reqH: packHeader(a.RequestHeaders), resH: packHeader(a.ResponseHeaders)}
	ac.a.RequestHeaders, ac.a.ResponseHeaders = nil, nil
	ac.a.ResponseBody = bytes.Clone(a.ResponseBody)
	// The usual case, an attempt that changes only what an attempt changes,
	// needs only s.mu's read lock.
	s.mu.RLock()
	if s.closed {
		s.mu.RUnlock()
		return errStoreClosed
	}
	if md, ok := s.deliveries[d.ID]; ok && sameButAttemptFields(&md.d, d) {
		md.mu.Lock()
		md.d.State, md.d.Attempts, md.d.NextAttemptAt, md.d.UpdatedAt = d.State, d.Attempts, d.NextAttemptAt, d.UpdatedAt
		md.addAttemptLocked(ac, a.RequestBody)
		md.mu.Unlock()
		s.mu.RUnlock()
		return nil
	}
	s.mu.RUnlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return errStoreClosed
	}
	s.putLocked(d, nil)
	s.deliveries[d.ID].addAttemptLocked(ac, a.RequestBody)
	return nil
}

// sameButAttemptFields reports whether d differs from the stored delivery
// only in the fields an attempt changes; the caller holds s.mu's read
// lock, under which the others do not change.
func sameButAttemptFields(stored, d *Delivery) bool {
	return stored.ID == d.ID && stored.EventID == d.EventID && stored.EndpointID == d.EndpointID &&
		stored.Provider == d.Provider && stored.Variant == d.Variant && stored.Event == d.Event &&
		stored.WireID == d.WireID && stored.Key == d.Key && stored.CopyOf == d.CopyOf &&
		stored.ResendOf == d.ResendOf && stored.Chaos == d.Chaos && stored.CreatedAt.Equal(d.CreatedAt) &&
		(stored.Body == nil) == (d.Body == nil) && bytes.Equal(stored.Body, d.Body)
}

// addAttemptLocked inserts ac, sharing the stored body when the request's
// is the same; the caller holds md.mu or s.mu's write lock.
func (md *memDelivery) addAttemptLocked(ac *memAttempt, reqBody []byte) {
	if bytes.Equal(reqBody, md.d.Body) && reqBody != nil {
		ac.a.RequestBody = md.d.Body // immutable inside the store: share it
	} else {
		ac.a.RequestBody = bytes.Clone(reqBody)
	}
	// Attempts list by N; they mostly arrive in that order.
	i := len(md.attempts)
	for i > 0 && md.attempts[i-1].a.N > ac.a.N {
		i--
	}
	md.attempts = slices.Insert(md.attempts, i, ac)
}

func (s *memStore) ListAttempts(_ context.Context, deliveryID string) ([]*Attempt, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return nil, errStoreClosed
	}
	md, ok := s.deliveries[deliveryID]
	if !ok {
		return nil, fmt.Errorf("delivery %q: %w", deliveryID, ErrNotFound)
	}
	md.mu.RLock()
	attempts := slices.Clone(md.attempts) // an insert may shift them
	md.mu.RUnlock()
	out := make([]*Attempt, len(attempts))
	for i, ma := range attempts {
		a := ma.a
		a.RequestBody, a.ResponseBody = bytes.Clone(a.RequestBody), bytes.Clone(a.ResponseBody)
		a.RequestHeaders, a.ResponseHeaders = unpackHeader(ma.reqH), unpackHeader(ma.resH)
		out[i] = &a
	}
	return out, nil
}

// Close makes every later call fail; it is idempotent. The data is kept
// until the store is garbage collected.
func (s *memStore) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	return nil
}

// packHeader encodes h as a sequence of uvarint-length-prefixed name and
// value pairs, one pair per value; nil stays nil.
func packHeader(h http.Header) []byte {
	if h == nil {
		return nil
	}
	n := 0
	for k, vs := range h {
		for _, v := range vs {
			n += len(k) + len(v) + 4
		}
	}
	b := make([]byte, 0, n)
	for k, vs := range h {
		for _, v := range vs {
			b = binary.AppendUvarint(b, uint64(len(k)))
			b = append(b, k...)
			b = binary.AppendUvarint(b, uint64(len(v)))
			b = append(b, v...)
		}
	}
	return b
}

// unpackHeader decodes what packHeader encoded.
func unpackHeader(b []byte) http.Header {
	if b == nil {
		return nil
	}
	h := http.Header{}
	next := func() string {
		n, w := binary.Uvarint(b)
		s := string(b[w : w+int(n)])
		b = b[w+int(n):]
		return s
	}
	for len(b) > 0 {
		k := next()
		h[k] = append(h[k], next())
	}
	return h
}
