package mockserver

import (
	"context"
	"log/slog"
	"time"

	"github.com/esimhooks/esimhooks/providers"
)

// providerHost is everything the providers' registration mocks use of the
// server: the catalogue, the endpoints (read, written under the server's
// endpoint rules, removed), an endpoint's recent deliveries, the
// registration check, the engine's one-off push and clock, the
// credentials, the body cap and the logger. The mocks hold it instead of
// the *Server, and reach no further into the server's store, config, locks
// or logger: it is the seam along which they move to a package of their
// own (issue 12's mockserver/providerapi), so its methods are exported.
type providerHost interface {
	Catalogue() *providers.Catalogue
	// Endpoint returns endpoint id; an error wrapping ErrNotFound when
	// there is none.
	Endpoint(ctx context.Context, id string) (*Endpoint, error)
	// UpsertEndpoint loads endpoint id (or starts a new one, within the
	// server's MaxEndpoints), lets update change it, and stores it, one
	// endpoint write at a time. update gets existed=false for a new
	// endpoint (ID, CreatedAt and Source set); its error stores nothing.
	UpsertEndpoint(ctx context.Context, id, source string, update func(ep *Endpoint, existed bool) error) (*Endpoint, error)
	// DeleteEndpoint removes endpoint id.
	DeleteEndpoint(ctx context.Context, id string) error
	// RecentDeliveries returns the endpoint's newest n deliveries, newest
	// first.
	RecentDeliveries(ctx context.Context, endpointID string, n int) ([]*Delivery, error)
	// CheckRegistration does what variant v does when a partner registers
	// ep's URL; a failed check is a *checkError.
	CheckRegistration(ctx context.Context, v *providers.Variant, ep *Endpoint) error
	// Send is Engine.Send; Now the engine's clock.
	Send(ctx context.Context, r SendRequest) (*Delivery, *Attempt, error)
	Now() time.Time
	// Credentials are the provider credentials the mocks require; nil
	// requires none.
	Credentials() *Credentials
	// MaxBodyBytes caps a registration request's body.
	MaxBodyBytes() int64
	Logger() *slog.Logger
}

// serverHost is the server's providerHost.
type serverHost struct{ s *Server }

func (h serverHost) Catalogue() *providers.Catalogue { return h.s.cat }

func (h serverHost) Endpoint(ctx context.Context, id string) (*Endpoint, error) {
	return h.s.store.GetEndpoint(ctx, id)
}

func (h serverHost) UpsertEndpoint(ctx context.Context, id, source string, update func(*Endpoint, bool) error) (*Endpoint, error) {
	return h.s.upsertEndpoint(ctx, id, source, update)
}

func (h serverHost) DeleteEndpoint(ctx context.Context, id string) error {
	h.s.epMu.Lock()
	defer h.s.epMu.Unlock()
	return h.s.store.DeleteEndpoint(ctx, id)
}

func (h serverHost) RecentDeliveries(ctx context.Context, endpointID string, n int) ([]*Delivery, error) {
	return h.s.store.ListDeliveries(ctx, DeliveryFilter{EndpointID: endpointID, Limit: n})
}

func (h serverHost) CheckRegistration(ctx context.Context, v *providers.Variant, ep *Endpoint) error {
	return h.s.registrationCheck(ctx, v, ep)
}

func (h serverHost) Send(ctx context.Context, r SendRequest) (*Delivery, *Attempt, error) {
	return h.s.engine.Send(ctx, r)
}

func (h serverHost) Now() time.Time            { return h.s.engine.Now() }
func (h serverHost) Credentials() *Credentials { return h.s.creds }
func (h serverHost) MaxBodyBytes() int64       { return h.s.cfg.MaxBodyBytes }
func (h serverHost) Logger() *slog.Logger      { return h.s.log }
