package api

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	mrand "math/rand/v2"
	"net/http"
	"strings"
	"time"

	"github.com/esimhooks/esimhooks/mockserver/engine"
	"github.com/esimhooks/esimhooks/providers"
	"github.com/esimhooks/esimhooks/providers/payload"
)

// ProviderAPI is one provider's registration API (Airalo's opt-in, eSIM
// Access's webhook/save, ...), mounted by New under Prefix. Package
// mockserver/providerapi has the built-in ones; the server knows none of
// them, so that dependency goes one way (providerapi imports mockserver/api).
//
// Obligations: Prefix is a path of its own, "/" + name + "/" (not /api/,
// /healthz or /metrics, not the dashboard's "/", not another API's); New is
// called once, from New, and its handler serves every request whose path
// starts with Prefix, full path included, behind the server's guard (Host
// and cross-origin checks, body read timeout; not the control API's bearer
// token: the API checks its provider's credentials, Host.Credentials). The
// handler reaches the server only through the Host: it registers endpoints
// under the server's endpoint rules (Endpoints().Upsert), caps bodies at
// MaxBodyBytes, never logs a secret, and answers every request itself, in
// its provider's shape, unknown paths and methods included.
type ProviderAPI struct {
	Prefix string
	New    func(h ProviderHost) http.Handler
}

// ProviderHost is everything the providers' registration APIs use of the
// server: the catalogue, the endpoints (the engine's Endpoints service,
// which owns the endpoint rules), an endpoint's recent deliveries, the
// registration check, the engine's one-off push and clock, the
// credentials, the body cap and the logger. The APIs hold it instead of
// the *Server, and reach no further into the server's store, config, locks
// or logger.
type ProviderHost interface {
	Catalogue() *providers.Catalogue
	// Endpoints reads, registers (Upsert: within the server's
	// MaxEndpoints, beyond it a *engine.LimitError) and removes endpoints
	// under the server's endpoint rules, one endpoint write at a time.
	Endpoints() *engine.Endpoints
	// RecentDeliveries returns the endpoint's newest n deliveries, newest
	// first.
	RecentDeliveries(ctx context.Context, endpointID string, n int) ([]*engine.Delivery, error)
	// CheckRegistration does what variant v does when a partner registers
	// ep's URL; a failed check is a *CheckError.
	CheckRegistration(ctx context.Context, v *providers.Variant, ep *engine.Endpoint) error
	// NewDelivery generates ev's payload (a fresh life starting at the
	// engine's clock), applies overrides, and builds a delivery with a
	// fresh id, for one Send.
	NewDelivery(v *providers.Variant, ev *providers.Event, overrides []providers.Override) (*providers.Delivery, error)
	// Send is Engine.Send.
	Send(ctx context.Context, r engine.SendRequest) (*engine.Delivery, *engine.Attempt, error)
	// Credentials are the provider credentials the APIs require; nil
	// requires none.
	Credentials() *Credentials
	// DeriveKey returns a key derived from the server's token for label
	// (HMAC-SHA256 keyed with the token), the same on every start with
	// that token; nil without a token. The token itself is not shown.
	DeriveKey(label string) []byte
	// MaxBodyBytes caps a registration request's body.
	MaxBodyBytes() int64
	Logger() *slog.Logger
}

// mountProviderAPIs builds each API on h, checking its prefix; it returns
// the handlers by prefix.
func mountProviderAPIs(apis []ProviderAPI, h ProviderHost) (map[string]http.Handler, error) {
	out := make(map[string]http.Handler, len(apis))
	for _, api := range apis {
		p := api.Prefix
		name := strings.Trim(p, "/")
		switch {
		case !strings.HasPrefix(p, "/") || !strings.HasSuffix(p, "/") || name == "" || strings.Contains(name, "/"):
			return nil, fmt.Errorf("provider API prefix %q must be /<name>/", p)
		case name == "api" || name == "healthz" || name == "metrics":
			return nil, fmt.Errorf("provider API prefix %q is the server's own", p)
		case out[p] != nil:
			return nil, fmt.Errorf("provider API prefix %q is mounted twice", p)
		case api.New == nil:
			return nil, fmt.Errorf("provider API %q has no New", p)
		}
		out[p] = api.New(h)
	}
	return out, nil
}

// serverHost is the server's ProviderHost.
type serverHost struct{ s *Server }

func (h serverHost) Catalogue() *providers.Catalogue { return h.s.cat }

func (h serverHost) Endpoints() *engine.Endpoints { return h.s.endpoints }

func (h serverHost) RecentDeliveries(ctx context.Context, endpointID string, n int) ([]*engine.Delivery, error) {
	return h.s.store.ListDeliveries(ctx, engine.DeliveryFilter{EndpointID: endpointID, Limit: n})
}

func (h serverHost) CheckRegistration(ctx context.Context, v *providers.Variant, ep *engine.Endpoint) error {
	return h.s.registrationCheck(ctx, v, ep)
}

func (h serverHost) NewDelivery(v *providers.Variant, ev *providers.Event, overrides []providers.Override) (*providers.Delivery, error) {
	return newSyncDelivery(v, ev, overrides, h.s.engine.Now())
}

func (h serverHost) Send(ctx context.Context, r engine.SendRequest) (*engine.Delivery, *engine.Attempt, error) {
	return h.s.engine.Send(ctx, r)
}

func (h serverHost) Credentials() *Credentials { return h.s.creds }

func (h serverHost) DeriveKey(label string) []byte {
	if h.s.cfg.Token == "" {
		return nil
	}
	return deriveKey(h.s.cfg.Token, label)
}

func (h serverHost) MaxBodyBytes() int64  { return h.s.cfg.MaxBodyBytes }
func (h serverHost) Logger() *slog.Logger { return h.s.log }

// newCheckClient returns the client for HEAD registration checks: it
// never follows redirects (a 3xx is an answer, and not 200) and uses the
// server's TLS settings. Each check bounds its own time.
func newCheckClient(tlsConf *tls.Config) *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	if tlsConf != nil {
		tr.TLSClientConfig = tlsConf.Clone()
	}
	tr.MaxIdleConnsPerHost = 2
	return &http.Client{
		Transport:     tr,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// CheckError says why a registration check failed, in words fit for the
// provider's error answer.
type CheckError struct{ Msg string }

func (e *CheckError) Error() string { return e.Msg }

// registrationCheck does what provider variant v does when a partner
// registers ep's URL: "head" sends HEAD and wants exactly 200 (Airalo);
// "event" sends the variant's check event (eSIM Access's CHECK_HEALTH)
// through the engine, signed as a delivery, and wants it acknowledged;
// "none" does nothing. Each check waits at most the variant's ack
// deadline. A failed check is a *CheckError.
func (s *Server) registrationCheck(ctx context.Context, v *providers.Variant, ep *engine.Endpoint) error {
	deadline := v.Ack.Deadline.D()
	if deadline <= 0 {
		deadline = 10 * time.Second
	}
	switch v.Registration.Check {
	case "head":
		cctx, cancel := context.WithTimeout(ctx, deadline)
		defer cancel()
		req, err := http.NewRequestWithContext(cctx, http.MethodHead, ep.URL, nil)
		if err != nil {
			return &CheckError{fmt.Sprintf("HEAD %s cannot be sent: %v", ep.URL, err)}
		}
		resp, err := s.checkClient.Do(req)
		if err != nil {
			if errors.Is(err, context.DeadlineExceeded) {
				return &CheckError{fmt.Sprintf("HEAD %s got no answer within %s", ep.URL, deadline)}
			}
			return &CheckError{fmt.Sprintf("HEAD %s failed: %v", ep.URL, err)}
		}
		io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return &CheckError{fmt.Sprintf("HEAD %s answered %d; it must answer 200", ep.URL, resp.StatusCode)}
		}
		return nil
	case "event":
		ev, err := v.Event(v.Registration.Event)
		if err != nil {
			return err
		}
		pd, err := newSyncDelivery(v, ev, nil, s.engine.Now())
		if err != nil {
			return err
		}
		a, err := s.engine.Check(ctx, ep, pd)
		if err != nil {
			return err
		}
		if !a.Success {
			return &CheckError{fmt.Sprintf("the %s test notification to %s failed: %s", ev.Name, ep.URL, a.Failure())}
		}
		return nil
	}
	return nil
}

// newSyncDelivery generates ev's payload (a fresh life starting at now,
// the engine's clock), applies overrides, and builds a delivery with a
// fresh id, for a single synchronous Check or Send.
func newSyncDelivery(v *providers.Variant, ev *providers.Event, overrides []providers.Override, now time.Time) (*providers.Delivery, error) {
	rng := mrand.New(mrand.NewPCG(randomSeed(), randomSeed()))
	p, err := ev.Generate(payload.NewWorld(rng.Uint64(), now.UTC().Truncate(time.Second)))
	if err != nil {
		return nil, err
	}
	if p, err = providers.ApplyAll(p, overrides); err != nil {
		return nil, err
	}
	return v.NewDelivery(ev, p, v.NewDeliveryID(rng))
}

// The helpers below are what the control API and the providers'
// registration APIs share.

// WriteJSON answers status with v as JSON (HTML characters not escaped).
func WriteJSON(w http.ResponseWriter, status int, v any) { writeJSON(w, status, v) }

// EqualSecret compares two secrets in constant time (whatever their
// lengths).
func EqualSecret(got, want string) bool { return equalSecret(got, want) }

// PeekBody reads r's body (at most max bytes; more is an error) and puts
// it back, so the handler reads it again.
func PeekBody(r *http.Request, max int64) ([]byte, error) {
	if r.Body == nil || r.Body == http.NoBody {
		return nil, nil
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, max+1))
	putBack(r, body)
	if err == nil && int64(len(body)) > max {
		err = errBodyTooLarge
	}
	return body, err
}
