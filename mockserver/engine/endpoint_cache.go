package engine

import (
	"context"
	"net/url"
	"sync"
)

// EndpointVersioner is implemented by a Store that counts its endpoint
// writes. EndpointsVersion must grow (before the write's method returns)
// whenever PutEndpoint or DeleteEndpoint changes what GetEndpoint or
// ListEndpoints return, whoever writes, must never go back, and must be
// cheap and safe for concurrent use. The engine then keeps the endpoints in
// memory and reads them again only when the version changes; a Store
// that does not implement it is read on every trigger and attempt.
type EndpointVersioner interface {
	EndpointsVersion() uint64
}

// endpointCache holds the endpoints the engine has read from a Store that
// is an EndpointVersioner, with their parsed URLs. Every snapshot it hands
// out is shared: callers must not modify it.
type endpointCache struct {
	store Store
	ver   EndpointVersioner // nil: no caching

	mu   sync.RWMutex
	at   uint64 // the version the entries belong to
	byID map[string]*endpointSnap
	all  []*Endpoint // ListEndpoints at version at; nil when not read
}

// endpointSnap is an endpoint as read from the Store, and its URL parsed
// once (nil when it does not parse: the attempt reports that).
type endpointSnap struct {
	ep  *Endpoint
	url *url.URL
}

func newEndpointCache(st Store) *endpointCache {
	c := &endpointCache{store: st, byID: map[string]*endpointSnap{}}
	c.ver, _ = st.(EndpointVersioner)
	return c
}

// get returns endpoint id, from memory when the Store's endpoints have not
// changed since it was read.
func (c *endpointCache) get(ctx context.Context, id string) (*endpointSnap, error) {
	if c.ver == nil {
		ep, err := c.store.GetEndpoint(ctx, id)
		if err != nil {
			return nil, err
		}
		return newSnap(ep), nil
	}
	// The version is read before the endpoint, so what is read is at least
	// as new as the version it is filed under.
	v := c.ver.EndpointsVersion()
	c.mu.RLock()
	s, ok := c.byID[id]
	ok = ok && c.at == v
	c.mu.RUnlock()
	if ok {
		return s, nil
	}
	ep, err := c.store.GetEndpoint(ctx, id)
	if err != nil {
		return nil, err
	}
	s = newSnap(ep)
	c.mu.Lock()
	c.resetLocked(v)
	if c.at == v {
		c.byID[id] = s
	}
	c.mu.Unlock()
	return s, nil
}

// list returns every endpoint, as ListEndpoints does.
func (c *endpointCache) list(ctx context.Context) ([]*Endpoint, error) {
	if c.ver == nil {
		return c.store.ListEndpoints(ctx)
	}
	v := c.ver.EndpointsVersion()
	c.mu.RLock()
	all := c.all
	ok := all != nil && c.at == v
	c.mu.RUnlock()
	if ok {
		return all, nil
	}
	all, err := c.store.ListEndpoints(ctx)
	if err != nil {
		return nil, err
	}
	if all == nil {
		all = []*Endpoint{}
	}
	c.mu.Lock()
	c.resetLocked(v)
	if c.at == v {
		c.all = all
	}
	c.mu.Unlock()
	return all, nil
}

// resetLocked forgets everything when version v is newer than the
// entries'. Versions only grow, so an older v (a reader that was slower
// than another) changes nothing and its result is not kept.
func (c *endpointCache) resetLocked(v uint64) {
	if v > c.at {
		clear(c.byID)
		c.all, c.at = nil, v
	}
}

func newSnap(ep *Endpoint) *endpointSnap {
	u, err := url.Parse(ep.URL)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		u = nil
	}
	return &endpointSnap{ep: ep, url: u}
}
