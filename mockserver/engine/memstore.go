package engine

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/maphash"
	"maps"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// errStoreClosed is returned by a memory store's methods after Close.
var errStoreClosed = errors.New("store closed")

// memShards is how many independently locked parts the memory store's
// delivery index is split into.
const memShards = 64

// memStore is the in-memory Store. It keeps every endpoint, delivery and
// attempt until the process ends or Prune removes them (serve's --retain
// keeps the newest 10,000 deliveries by default), and is meant for tests,
// demos and benchmarks; the SQLite store survives restarts.
//
// Locking. No lock covers the whole store, so that a trigger storing a
// hundred duplicates, the attempts being recorded and another endpoint's
// trigger do not queue behind one another: deliveries are indexed by id
// in memShards shards, each under its own lock; order (for listing) has
// its own lock, taken only to add a delivery or move one whose CreatedAt
// changed, and by the listings; each delivery's fields and attempts are
// under its own lock (memDelivery). Locks are taken in the order shard,
// order, delivery, never the other way, and bodies are copied outside
// the shard and order locks.
type memStore struct {
	closed atomic.Bool

	epMu      sync.RWMutex
	endpoints map[string]*Endpoint
	// epVer counts endpoint writes (EndpointVersioner).
	epVer atomic.Uint64

	seed   maphash.Seed
	shards [memShards]memShard

	orderMu sync.RWMutex
	// order holds every delivery sorted by (created, id), oldest first.
	order []*memDelivery

	// attempts counts the attempts held (LogSize).
	attempts atomic.Int64

	// lastBody is the body PutDelivery last copied: a trigger's
	// deliveries (one per endpoint, and each chaos duplicate) have the
	// same body, which is then kept once. Stored bodies are never
	// modified, so they may be shared.
	lastBody atomic.Pointer[[]byte]
}

// cloneBody returns a copy of b that the store may keep: the last body
// it copied when b has the same bytes, so that a duplicate storm's
// hundred identical bodies are one.
func (s *memStore) cloneBody(b []byte) []byte {
	if b == nil {
		return nil
	}
	if last := s.lastBody.Load(); last != nil && bytes.Equal(*last, b) {
		return *last
	}
	c := bytes.Clone(b)
	s.lastBody.Store(&c)
	return c
}

// memShard is one part of the delivery index; only Prune removes
// deliveries from it (see memstore_retention.go).
type memShard struct {
	mu sync.RWMutex
	m  map[string]*memDelivery
}

// memDelivery is a delivery as the memory store keeps it. mu guards d and
// attempts. created is d.CreatedAt as order is sorted by it: it changes
// only under both its shard's and orderMu's write locks, so a holder of
// either (read or write) may read it; id never changes.
type memDelivery struct {
	id      string
	created time.Time

	mu       sync.RWMutex
	d        Delivery
	attempts []*memAttempt
	pruned   bool // removed by Prune: a write must put it anew
	// terms caches SearchTerms(&d) for DeliveryFilter.Q; nil until a
	// search asks, and again after d changes (under mu).
	terms atomic.Pointer[[]string]
}

// searchTerms returns SearchTerms(&md.d), from the cache when it holds
// them; the caller holds md.mu (read or write).
func (md *memDelivery) searchTerms() []string {
	if p := md.terms.Load(); p != nil {
		return *p
	}
	t := SearchTerms(&md.d)
	md.terms.Store(&t)
	return t
}

// snapshot copies md's delivery (body included).
func (md *memDelivery) snapshot() *Delivery {
	md.mu.RLock()
	defer md.mu.RUnlock()
	return copyDelivery(&md.d)
}

// memAttempt is an attempt as the memory store keeps it: the header maps
// are packed into byte slices, which the garbage collector need not scan.
type memAttempt struct {
	a          Attempt // RequestHeaders and ResponseHeaders nil
	reqH, resH []byte
}

// cmpKey orders deliveries by creation time, then id; the caller holds
// orderMu or the deliveries' shard locks.
func cmpKey(m *memDelivery, created time.Time, id string) int {
	if c := m.created.Compare(created); c != 0 {
		return c
	}
	return strings.Compare(m.id, id)
}

// indexLocked returns where the key (created, id) is, or would be, in
// order; the caller holds orderMu.
func (s *memStore) indexLocked(created time.Time, id string) (int, bool) {
	return slices.BinarySearchFunc(s.order, id, func(m *memDelivery, id string) int { return cmpKey(m, created, id) })
}

// NewMemoryStore returns an empty in-memory Store. It keeps every
// endpoint, delivery and attempt until it is garbage collected or Prune
// removes them (a Server prunes it by Config.Retention). It copies what it is given and
// what it returns, bodies and headers included, so callers may modify
// their values freely. ListDeliveries returns the newest first by
// CreatedAt (ties by id), so a Before cursor pages without gaps or
// repeats. After Close every method fails.
func NewMemoryStore() Store {
	s := &memStore{endpoints: map[string]*Endpoint{}, seed: maphash.MakeSeed()}
	for i := range s.shards {
		s.shards[i].m = map[string]*memDelivery{}
	}
	return s
}

func (s *memStore) shard(id string) *memShard {
	return &s.shards[maphash.String(s.seed, id)%memShards]
}

// lookup returns delivery id, or nil.
func (s *memStore) lookup(id string) *memDelivery {
	sh := s.shard(id)
	sh.mu.RLock()
	md := sh.m[id]
	sh.mu.RUnlock()
	return md
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
	c := copyEndpoint(e)
	s.epMu.Lock()
	defer s.epMu.Unlock()
	if s.closed.Load() {
		return errStoreClosed
	}
	s.endpoints[e.ID] = c
	s.epVer.Add(1)
	return nil
}

func (s *memStore) GetEndpoint(_ context.Context, id string) (*Endpoint, error) {
	if s.closed.Load() {
		return nil, errStoreClosed
	}
	s.epMu.RLock()
	e, ok := s.endpoints[id]
	s.epMu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("endpoint %q: %w", id, ErrNotFound)
	}
	return copyEndpoint(e), nil // stored endpoints are replaced, never changed
}

func (s *memStore) ListEndpoints(_ context.Context) ([]*Endpoint, error) {
	if s.closed.Load() {
		return nil, errStoreClosed
	}
	s.epMu.RLock()
	stored := slices.Collect(maps.Values(s.endpoints))
	s.epMu.RUnlock()
	out := make([]*Endpoint, len(stored))
	for i, e := range stored {
		out[i] = copyEndpoint(e)
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
	s.epMu.Lock()
	defer s.epMu.Unlock()
	if s.closed.Load() {
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
	if s.closed.Load() {
		return errStoreClosed
	}
	body := s.cloneBody(d.Body) // outside every lock
	sh := s.shard(d.ID)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	s.putLocked(sh, d, body)
	return nil
}

// putLocked stores d and returns it as stored; the caller holds sh.mu
// (d's shard). body is d.Body, cloned by the caller, or nil to clone it
// here unless it is the body already stored.
func (s *memStore) putLocked(sh *memShard, d *Delivery, body []byte) *memDelivery {
	md := sh.m[d.ID]
	if md == nil {
		md = &memDelivery{id: d.ID, created: d.CreatedAt, d: *d}
		if body == nil {
			body = bytes.Clone(d.Body)
		}
		md.d.Body = body
		md.d.LastAttempt = nil // the store's: an attempt sets it
		sh.m[d.ID] = md
		s.orderMu.Lock()
		// Deliveries mostly arrive in creation order: append is the fast path.
		if n := len(s.order); n == 0 || cmpKey(s.order[n-1], d.CreatedAt, d.ID) < 0 {
			s.order = append(s.order, md)
		} else {
			i, _ := s.indexLocked(d.CreatedAt, d.ID)
			s.order = slices.Insert(s.order, i, md)
		}
		s.orderMu.Unlock()
		return md
	}
	moved := !md.created.Equal(d.CreatedAt)
	if moved {
		s.orderMu.Lock()
		defer s.orderMu.Unlock()
		if i, found := s.indexLocked(md.created, md.id); found {
			s.order = slices.Delete(s.order, i, i+1)
		}
	}
	md.mu.RLock()
	if body == nil && d.Body != nil {
		body = md.d.Body
		if !bytes.Equal(body, d.Body) || body == nil {
			body = bytes.Clone(d.Body)
		}
	}
	md.mu.RUnlock()
	md.mu.Lock()
	last := md.d.LastAttempt // the store's: an attempt sets it
	md.d = *d
	md.d.Body = body
	md.d.LastAttempt = last
	md.terms.Store(nil)
	md.mu.Unlock()
	if moved {
		md.created = d.CreatedAt
		i, _ := s.indexLocked(d.CreatedAt, d.ID)
		s.order = slices.Insert(s.order, i, md)
	}
	return md
}

func (s *memStore) GetDelivery(_ context.Context, id string) (*Delivery, error) {
	if s.closed.Load() {
		return nil, errStoreClosed
	}
	md := s.lookup(id)
	if md == nil {
		return nil, fmt.Errorf("delivery %q: %w", id, ErrNotFound)
	}
	return md.snapshot(), nil
}

func copyDelivery(d *Delivery) *Delivery {
	c := *d
	c.Body = bytes.Clone(d.Body)
	c.LastAttempt = copySummary(d.LastAttempt)
	return &c
}

func copySummary(s *AttemptSummary) *AttemptSummary {
	if s == nil {
		return nil
	}
	c := *s
	return &c
}

// matches reports whether d, whose SearchTerms terms returns, passes f's
// filters (all but the cursor and the limit).
func (f *DeliveryFilter) matches(d *Delivery, terms func() []string) bool {
	return (f.Provider == "" || d.Provider == f.Provider) && (f.Variant == "" || d.Variant == f.Variant) &&
		(f.Event == "" || d.Event == f.Event) && (f.EndpointID == "" || d.EndpointID == f.EndpointID) &&
		(f.State == "" || d.State == f.State) && (f.EventID == "" || d.EventID == f.EventID) &&
		(f.ID == "" || d.ID == f.ID) && (f.RunID == "" || d.RunID == f.RunID) &&
		(f.Status == nil || d.LastAttempt != nil && d.LastAttempt.Status == *f.Status) &&
		(f.Since.IsZero() || !d.CreatedAt.Before(f.Since)) && (f.Until.IsZero() || d.CreatedAt.Before(f.Until)) &&
		(f.Q == "" || slices.Contains(terms(), f.Q))
}

func (s *memStore) ListDeliveries(_ context.Context, f DeliveryFilter) ([]*Delivery, error) {
	limit := f.Limit
	if limit <= 0 {
		limit = 100
	}
	limit = min(limit, 1000)
	if s.closed.Load() {
		return nil, errStoreClosed
	}
	var cursor *memDelivery
	if f.Before != "" && f.BeforeAt.IsZero() {
		// Looked up before orderMu is taken (shard locks come first).
		if cursor = s.lookup(f.Before); cursor == nil {
			return nil, fmt.Errorf("cursor delivery %q: %w", f.Before, ErrNotFound)
		}
	}
	s.orderMu.RLock()
	defer s.orderMu.RUnlock()
	i := len(s.order) - 1
	switch {
	case cursor != nil:
		j, _ := s.indexLocked(cursor.created, cursor.id)
		i = j - 1
	case f.Before != "":
		// The position the cursor's delivery has, or had.
		j, _ := s.indexLocked(f.BeforeAt, f.Before)
		i = j - 1
	}
	out := []*Delivery{}
	for ; i >= 0 && len(out) < limit; i-- {
		md := s.order[i]
		md.mu.RLock()
		if f.matches(&md.d, md.searchTerms) {
			out = append(out, copyDelivery(&md.d))
		}
		md.mu.RUnlock()
	}
	return out, nil
}

func (s *memStore) Pending(_ context.Context) ([]*Delivery, error) {
	if s.closed.Load() {
		return nil, errStoreClosed
	}
	s.orderMu.RLock()
	// A scan: Pending is called once, when an engine starts, and keeping
	// a pending set would cost every write.
	out := []*Delivery{}
	for _, md := range s.order {
		md.mu.RLock()
		if md.d.State == StatePending {
			out = append(out, copyDelivery(&md.d))
		}
		md.mu.RUnlock()
	}
	s.orderMu.RUnlock()
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
	if s.closed.Load() {
		return errStoreClosed
	}
	// Everything but the bookkeeping is done before a lock is taken.
	ac := &memAttempt{a: *a}
	ac.reqH, ac.resH, ac.a.ResponseBody = packAttempt(a)
	ac.a.RequestHeaders, ac.a.ResponseHeaders = nil, nil
	// The usual case, an attempt that changes only what an attempt changes,
	// takes only the delivery's own lock.
	if md := s.lookup(d.ID); md != nil {
		md.mu.Lock()
		if !md.pruned && sameButAttemptFields(&md.d, d) {
			md.d.State, md.d.Attempts, md.d.NextAttemptAt, md.d.UpdatedAt = d.State, d.Attempts, d.NextAttemptAt, d.UpdatedAt
			md.d.LastAttempt = a.Summary()
			md.addAttemptLocked(ac, a.RequestBody)
			md.mu.Unlock()
			s.attempts.Add(1)
			return nil
		}
		md.mu.Unlock()
	}
	sh := s.shard(d.ID)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	md := s.putLocked(sh, d, nil)
	md.mu.Lock()
	md.d.LastAttempt = a.Summary()
	md.addAttemptLocked(ac, a.RequestBody)
	md.mu.Unlock()
	s.attempts.Add(1)
	return nil
}

// sameButAttemptFields reports whether d differs from the stored delivery
// only in the fields an attempt changes; the caller holds the stored
// delivery's lock.
func sameButAttemptFields(stored, d *Delivery) bool {
	return stored.ID == d.ID && stored.EventID == d.EventID && stored.EndpointID == d.EndpointID &&
		stored.Provider == d.Provider && stored.Variant == d.Variant && stored.Event == d.Event &&
		stored.WireID == d.WireID && stored.Key == d.Key && stored.CopyOf == d.CopyOf &&
		stored.ResendOf == d.ResendOf && stored.RunID == d.RunID && stored.Chaos == d.Chaos && stored.CreatedAt.Equal(d.CreatedAt) &&
		(stored.Body == nil) == (d.Body == nil) && bytes.Equal(stored.Body, d.Body)
}

// addAttemptLocked inserts ac, sharing the stored body when the request's
// is the same; the caller holds md.mu.
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
	if s.closed.Load() {
		return nil, errStoreClosed
	}
	md := s.lookup(deliveryID)
	if md == nil {
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
	s.closed.Store(true)
	return nil
}

// packHeader encodes h as a sequence of uvarint-length-prefixed name and
// value pairs, one pair per value; nil stays nil.
func packHeader(h http.Header) []byte {
	if h == nil {
		return nil
	}
	return appendHeader(make([]byte, 0, packedSize(h)), h)
}

// packAttempt returns a's headers as packHeader packs them and a copy of
// its response body (nil stays nil), all three in one allocation: the
// store keeps them for as long as the attempt and only reads them.
func packAttempt(a *Attempt) (reqH, resH, resBody []byte) {
	n := packedSize(a.RequestHeaders) + packedSize(a.ResponseHeaders) + len(a.ResponseBody)
	b := make([]byte, 0, n)
	part := func(i int) []byte { return b[i:len(b):len(b)] }
	if a.RequestHeaders != nil {
		b = appendHeader(b, a.RequestHeaders)
		reqH = part(0)
	}
	if i := len(b); a.ResponseHeaders != nil {
		b = appendHeader(b, a.ResponseHeaders)
		resH = part(i)
	}
	if i := len(b); a.ResponseBody != nil {
		b = append(b, a.ResponseBody...)
		resBody = part(i)
	}
	return reqH, resH, resBody
}

// packedSize is how many bytes appendHeader appends for h.
func packedSize(h http.Header) int {
	n := 0
	for k, vs := range h {
		for _, v := range vs {
			n += uvarintLen(len(k)) + len(k) + uvarintLen(len(v)) + len(v)
		}
	}
	return n
}

func uvarintLen(x int) int {
	n := 1
	for ; x >= 0x80; x >>= 7 {
		n++
	}
	return n
}

func appendHeader(b []byte, h http.Header) []byte {
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
