package mockserver

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"net/http"
	"strings"
	"time"

	"github.com/esimhooks/esimhooks/providers"
	"github.com/esimhooks/esimhooks/providers/payload"
)

// This file holds what the providers' registration mocks share: routing
// with the provider's own 404/405 shapes, the registration checks (HEAD,
// or an event such as CHECK_HEALTH), and endpoint bookkeeping. Each mock
// registers or updates an Endpoint whose Source is the provider's name and
// whose id is derived from the caller's credential, so registering again
// updates the same endpoint.

// providerRoute is one route of a provider mock.
type providerRoute struct {
	method, path string
	handler      http.HandlerFunc
}

// providerRoutes dispatches a provider mock's routes by exact path and
// method, answering unknown paths and methods in the provider's shape.
type providerRoutes struct {
	routes []providerRoute
	// notFound answers a path no route has.
	notFound http.HandlerFunc
	// notAllowed answers a known path with another method; Allow is set.
	notAllowed http.HandlerFunc
}

func (t *providerRoutes) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p := r.URL.Path
	if len(p) > 1 {
		p = strings.TrimSuffix(p, "/")
	}
	var allow []string
	for _, rt := range t.routes {
		if rt.path != p {
			continue
		}
		if rt.method == r.Method {
			rt.handler(w, r)
			return
		}
		allow = append(allow, rt.method)
	}
	if len(allow) > 0 {
		w.Header().Set("Allow", strings.Join(allow, ", "))
		t.notAllowed(w, r)
		return
	}
	t.notFound(w, r)
}

// readBody reads a registration request's body, at most max bytes;
// tooLarge reports a body over the limit.
func readBody(w http.ResponseWriter, r *http.Request, max int64) (body []byte, tooLarge bool, err error) {
	if r.ContentLength > max {
		return nil, true, nil
	}
	body, err = io.ReadAll(http.MaxBytesReader(w, r.Body, max))
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return nil, true, nil
	}
	return body, false, err
}

// accountKey derives a short, stable account id from a credential (a
// bearer token, an access code), so endpoint ids never carry the
// credential itself.
func accountKey(credential string) string {
	sum := sha256.Sum256([]byte(credential))
	return hex.EncodeToString(sum[:6])
}

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

// checkError says why a registration check failed, in words fit for the
// provider's error answer.
type checkError struct{ msg string }

func (e *checkError) Error() string { return e.msg }

// registrationCheck does what provider variant v does when a partner
// registers ep's URL: "head" sends HEAD and wants exactly 200 (Airalo);
// "event" sends the variant's check event (eSIM Access's CHECK_HEALTH)
// through the engine, signed as a delivery, and wants it acknowledged;
// "none" does nothing. Each check waits at most the variant's ack
// deadline. A failed check is a *checkError.
func (s *Server) registrationCheck(ctx context.Context, v *providers.Variant, ep *Endpoint) error {
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
			return &checkError{fmt.Sprintf("HEAD %s cannot be sent: %v", ep.URL, err)}
		}
		resp, err := s.checkClient.Do(req)
		if err != nil {
			if errors.Is(err, context.DeadlineExceeded) {
				return &checkError{fmt.Sprintf("HEAD %s got no answer within %s", ep.URL, deadline)}
			}
			return &checkError{fmt.Sprintf("HEAD %s failed: %v", ep.URL, err)}
		}
		io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return &checkError{fmt.Sprintf("HEAD %s answered %d; it must answer 200", ep.URL, resp.StatusCode)}
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
			return &checkError{fmt.Sprintf("the %s test notification to %s failed: %s", ev.Name, ep.URL, attemptSummary(a))}
		}
		return nil
	}
	return nil
}

// attemptSummary says what an unsuccessful attempt got.
func attemptSummary(a *Attempt) string {
	if a.Status != 0 {
		return fmt.Sprintf("the receiver answered %d", a.Status)
	}
	if a.ErrorKind != "" {
		return a.ErrorKind + ": " + a.Error
	}
	return a.Error
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

// upsertEndpoint loads endpoint id (or starts a new one), lets update
// change it, and stores it. update gets existed=false for a new endpoint
// (ID, CreatedAt and Source are set); returning an error stores nothing.
func (s *Server) upsertEndpoint(ctx context.Context, id, source string, update func(ep *Endpoint, existed bool) error) (*Endpoint, error) {
	s.epMu.Lock()
	defer s.epMu.Unlock()
	now := time.Now().UTC()
	ep, err := s.store.GetEndpoint(ctx, id)
	existed := err == nil
	switch {
	case errors.Is(err, ErrNotFound):
		if err := s.checkEndpointRoom(ctx); err != nil {
			return nil, err
		}
		ep = &Endpoint{ID: id, Source: source, CreatedAt: now}
	case err != nil:
		return nil, err
	}
	if err := update(ep, existed); err != nil {
		return nil, err
	}
	ep.UpdatedAt = now
	if err := s.store.PutEndpoint(ctx, ep); err != nil {
		return nil, err
	}
	return ep, nil
}
