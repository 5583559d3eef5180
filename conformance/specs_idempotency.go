package conformance

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2" //nolint:revive // the Ginkgo DSL reads best unqualified

	"github.com/esimhooks/esimhooks/mockserver/engine"
	"github.com/esimhooks/esimhooks/providers"
)

// describeIdempotency declares IDM-001..003: duplicates are acknowledged
// and applied once.
func (st *runState) describeIdempotency() {
	Describe("idempotency", func() {
		var d *providers.Delivery
		BeforeEach(func() { d = st.freshPrimary() })

		When("a byte-identical duplicate arrives after the original", func() {
			It("answers 2xx to both", For("IDM-001"), func(ctx SpecContext) {
				ctx2 := st.requestCtx(ctx)
				first := st.post(ctx2, d)
				second := st.post(ctx2, d)
				c := all(is2xx(first), is2xx(second))
				c.Actual = "original " + first.String() + ", duplicate " + second.String()
				st.acceptedOrBlocked(ctx2, first)
				st.verify(c)
			})

			It("applies the event once", For("IDM-002"), func(ctx SpecContext) {
				ctx2 := st.requestCtx(ctx)
				// The copy is a later attempt: where the signature covers
				// the attempt's time it differs, as a provider's would.
				h, err := st.fx.signedAt(d, time.Now().Add(-2*time.Second))
				must(err)
				first := st.postRaw(ctx2, h, d.Body)
				second := st.post(ctx2, d)
				st.acceptedOrBlocked(ctx2, first, second)
				st.appliedOnce(ctx2, d.Key(), "copies answered "+first.String()+", "+second.String())
			})
		})

		When("two copies arrive at the same moment", func() {
			It("applies the event once", For("IDM-003"), func(ctx SpecContext) {
				ctx2 := st.requestCtx(ctx)
				rs := st.sendBurst(ctx2, []*providers.Delivery{d, d}, st.untimedBound())
				st.acceptedOrBlocked(ctx2, rs...)
				st.appliedOnce(ctx2, d.Key(), "concurrent copies answered "+rs[0].String()+", "+rs[1].String())
			})
		})
	})
}

// describeRetry declares RTY-001: the mock provider's engine cuts the
// connection after the first attempt's body, so the acknowledgement is
// lost, and retries on the provider's schedule, compressed.
func (st *runState) describeRetry() {
	Describe("retries", func() {
		When("the provider retries after losing the acknowledgement", func() {
			It("applies the event once", For("RTY-001"), func(ctx SpecContext) {
				ctx2 := st.requestCtx(ctx)
				key, note, err := st.retryAfterLostAck(ctx2)
				if errors.Is(err, errRetryLate) {
					blockedBy("ACK-001", err.Error())
				}
				if err != nil {
					st.requireAccepting(ctx2)
					Fail(err.Error())
				}
				st.appliedOnce(ctx2, key, note)
			})
		})
	})
}

// retryAfterLostAck triggers the primary event through a private engine
// with CutAfterBody=1 and waits until an attempt succeeds or the delivery
// gives up. It returns the event's idempotency key and what the attempts
// were.
func (st *runState) retryAfterLostAck(ctx context.Context) (key, note string, err error) {
	v := st.v
	sched := v.Retry.Schedule
	if len(sched) < 2 {
		return "", "", fmt.Errorf("%s documents no retry", v.ID())
	}
	// Compress the schedule so the retry comes about 100 ms after the cut,
	// or 1.1 s where the signature covers the attempt's time, so that the
	// retry's signature differs from the first attempt's as a real retry's
	// (minutes later) does.
	gap := 100 * time.Millisecond
	if v.SignsAttemptTime() {
		gap = 1100 * time.Millisecond
	}
	scale := min(1, float64(gap)/float64(max(sched[1].D(), time.Millisecond)))
	store := engine.NewMemoryStore()
	defer store.Close()
	eng, err := engine.NewEngine(engine.EngineConfig{
		Catalogue: st.cat, Store: store, TimeScale: scale, TLSConfig: st.tls,
	})
	if err != nil {
		return "", "", err
	}
	if err := eng.Start(ctx); err != nil {
		return "", "", err
	}
	defer eng.Close()
	attempts, unsubscribe := eng.Subscribe(16)
	defer unsubscribe()
	headers := map[string]string{}
	for k := range st.opts.Headers {
		headers[k] = st.opts.Headers.Get(k)
	}
	ep := &engine.Endpoint{
		ID: "conformance", URL: st.opts.Target, Provider: v.Provider.Name, Variant: v.Name,
		Secret: st.opts.Secret, Headers: headers, Source: "cli", CreatedAt: time.Now(), UpdatedAt: time.Now(),
	}
	if err := store.PutEndpoint(ctx, ep); err != nil {
		return "", "", err
	}
	e := st.fx.primary()
	p, err := st.fx.generate(e, st.fx.nextSeed(), time.Now())
	if err != nil {
		return "", "", err
	}
	res, err := eng.Trigger(ctx, engine.Trigger{
		Provider: v.Provider.Name, Variant: v.Name, Event: e.Name, EndpointIDs: []string{ep.ID},
		Payload: p, Chaos: &engine.Chaos{CutAfterBody: 1},
	})
	if err != nil {
		return "", "", err
	}
	if len(res.Deliveries) != 1 {
		return "", "", fmt.Errorf("the engine planned %d deliveries, want 1", len(res.Deliveries))
	}
	key = res.Deliveries[0].Key
	var seen []string
	bound := time.NewTimer(st.opts.RequestTimeout + st.timedBound()*2)
	defer bound.Stop()
	for {
		select {
		case <-ctx.Done():
			return key, strings.Join(seen, ", "), ctx.Err()
		case <-bound.C:
			return key, "", fmt.Errorf("expected an answered retry, got %s and no more attempts within %s",
				strings.Join(seen, ", "), st.opts.RequestTimeout+st.timedBound()*2)
		case a, ok := <-attempts:
			if !ok {
				return key, "", errors.New("the engine stopped")
			}
			seen = append(seen, describeAttempt(a))
			switch {
			case a.N > 1 && a.ErrorKind == engine.ErrKindTimeout:
				// The provider gives up on an attempt at its deadline: a
				// receiver this slow never acknowledges the retry.
				return key, "", fmt.Errorf("%w: %s", errRetryLate, strings.Join(append(seen, "timed out at the "+st.deadline().String()+" deadline"), ", "))
			case a.N > 1 && a.ErrorKind == "":
				// The retry was answered, whatever the status: whether the
				// event is now applied once is the probe's to say.
				return key, strings.Join(seen, ", "), nil
			case a.Success || a.NextRetryAt.IsZero():
				return key, "", fmt.Errorf("expected an answered retry, got %s", strings.Join(seen, ", "))
			}
		}
	}
}

// errRetryLate is retryAfterLostAck's error when the provider's retry got
// no answer within the deadline: RTY-001 is then blocked by ACK-001.
var errRetryLate = errors.New("the provider's retry got no answer within its deadline")

// describeAttempt says what one engine attempt came to, briefly.
func describeAttempt(a *engine.Attempt) string {
	switch {
	case a.ErrorKind == engine.ErrKindCut:
		return fmt.Sprintf("attempt %d cut after the body", a.N)
	case a.ErrorKind != "":
		return fmt.Sprintf("attempt %d: %s", a.N, a.ErrorKind)
	}
	return fmt.Sprintf("attempt %d: %d in %s", a.N, a.Status, ms(a.Latency))
}
