package scenario

import (
	"context"
	crand "crypto/rand"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/esimhooks/esimhooks/mockserver/wire"
	"github.com/esimhooks/esimhooks/providers"
	"github.com/esimhooks/esimhooks/providers/payload"
	"github.com/esimhooks/esimhooks/providers/signing"
)

// Target is the receiver a scenario is played against.
type Target struct {
	// URL is the receiver's webhook URL (http or https).
	URL string
	// Secret is the signing secret; it may be empty only for a provider
	// that signs nothing (eSIM Access). It is never logged or reported.
	Secret string
	// Probe is the base URL of the receiver's conformance probe (GET
	// {Probe}/events/{key}, GET {Probe}/resources/{id}); empty skips the
	// probe expectations.
	Probe string
	// Headers are added to every delivery (not signed), for a gateway.
	Headers http.Header
	// Client sends the requests; nil uses the player's own wire.Sender
	// and a client for the probe, neither using a proxy. Play never
	// follows redirects, whatever the client says, and bounds every
	// request by the provider's ack deadline. A cut attempt
	// (cut_after_body) goes through the same client (wire.Request.Cut).
	Client *http.Client
	// TLS configures the player's own clients (ignored with Client); nil
	// is the system roots. See wire.TLSConfig.
	TLS *tls.Config
	// Sender, when not nil, makes the deliveries' attempts instead of the
	// player's own wire.Sender (the mock server's engine, so that a run's
	// requests are deliveries of its log); URL, Headers and Client then
	// do not apply to them. The player still signs, paces, retries and
	// grades every attempt.
	Sender Sender
}

// Sender makes one attempt of a scenario's delivery. Play calls it from
// several goroutines at once for a step's concurrent copies.
type Sender interface {
	Send(ctx context.Context, o Outgoing) wire.Result
}

// Outgoing is one attempt Play makes.
type Outgoing struct {
	// Step is the step's index from 0, Copy the copy's (0 is the
	// original, then the duplicates), N the attempt's number from 1.
	Step, Copy, N int
	// Delivery is the step's delivery: body, wire id, variant, event.
	Delivery *providers.Delivery
	// Header is the signed request header; the copies of a step share
	// it (byte-identical duplicates). The Sender must not modify it.
	Header http.Header
	// Cut cuts the connection once the answer begins (cut_after_body).
	Cut bool
	// Retry says another attempt follows, RetryIn (already scaled) after
	// this one, unless it is acknowledged (or refused for good: a 4xx of
	// a provider that does not retry those).
	Retry   bool
	RetryIn time.Duration
}

// Options tune a run.
type Options struct {
	// TimeScale multiplies every deliberate wait: step delays and the
	// provider's retry intervals (each capped at RetryWaitCap first). 1 is
	// real time, 0.1 ten times faster; 0, the zero value, does not wait.
	TimeScale float64
	// Settle is how long a probe check keeps polling the probe while it
	// disagrees, for receivers that apply events after acknowledging
	// them; 0 checks once.
	Settle time.Duration
	// Progress, if not nil, is called with each step's result as soon as
	// the step and its own expectations are done, in order, and then with
	// the final expectations' entry. It is called from Play's goroutine,
	// never concurrently.
	Progress func(StepResult)
}

// ProbeTimeout bounds each request to the probe.
const ProbeTimeout = 5 * time.Second

// player is one run of a scenario.
type player struct {
	sc     *Scenario
	v      *providers.Variant
	t      Target
	url    *url.URL
	opts   Options
	signer signing.Signer
	client *http.Client // for the probe
	sender *wire.Sender // for the deliveries
	world  *payload.World
	plan   []planned
	own    *http.Transport // Play's own transport, closed at the end
}

// Play sends the scenario's steps to t and checks its expectations. It
// returns an error, and no result, when the run cannot start (bad URL,
// missing secret, bad options); and the partial result with ctx's error
// when ctx ends the run. Failed deliveries and expectations are reported
// in the Result, not as an error.
func Play(ctx context.Context, sc *Scenario, t Target, opts Options) (*Result, error) {
	p, err := newPlayer(sc, t, opts)
	if err != nil {
		return nil, err
	}
	defer p.close()
	start := time.Now()
	res := &Result{Scenario: sc.Name, Title: sc.Title, Variant: sc.Variant.ID(), URL: wire.RedactURL(t.URL), Start: start}
	p.world = payload.NewWorld(sc.Seed, lifeStart(sc, start))
	var seed [16]byte
	_, _ = crand.Read(seed[:])
	r := rand.New(rand.NewPCG(binary.LittleEndian.Uint64(seed[:8]), binary.LittleEndian.Uint64(seed[8:])))
	p.plan = plan(sc, p.world, r)
	report := func(sr StepResult) {
		res.Steps = append(res.Steps, sr)
		if opts.Progress != nil {
			opts.Progress(sr)
		}
	}
	stop := func(err error) (*Result, error) {
		res.Err = "run stopped: " + err.Error()
		res.Elapsed = time.Since(start)
		return res, err
	}
	for i, st := range sc.Steps {
		if err := p.wait(ctx, st.Delay); err != nil {
			return stop(err)
		}
		report(p.step(ctx, i))
		if err := ctx.Err(); err != nil {
			return stop(err)
		}
	}
	if fin, ok := p.final(ctx); ok {
		report(fin)
	}
	if err := ctx.Err(); err != nil {
		return stop(err)
	}
	res.Elapsed = time.Since(start)
	return res, nil
}

func newPlayer(sc *Scenario, t Target, opts Options) (*player, error) {
	if sc == nil || sc.Variant == nil {
		return nil, errors.New("scenario: Play: no scenario")
	}
	u, err := checkURL("target URL", t.URL)
	if err != nil {
		return nil, err
	}
	if t.Probe != "" {
		if _, err := checkURL("probe URL", t.Probe); err != nil {
			return nil, err
		}
	}
	if opts.TimeScale < 0 || math.IsNaN(opts.TimeScale) || math.IsInf(opts.TimeScale, 0) {
		return nil, fmt.Errorf("scenario: time scale must be 0 or more, got %v", opts.TimeScale)
	}
	p := &player{sc: sc, v: sc.Variant, t: t, url: u, opts: opts}
	if p.v.Signature.Scheme != "none" {
		if t.Secret == "" {
			return nil, fmt.Errorf("scenario: %s signs its deliveries: the target's secret is required", p.v.ID())
		}
		if p.signer, err = p.v.Signer(t.Secret); err != nil {
			return nil, fmt.Errorf("scenario: %s: secret: %w", p.v.ID(), err)
		}
	}
	if t.Client != nil {
		c := *t.Client
		p.client = &c
	} else {
		p.own = http.DefaultTransport.(*http.Transport).Clone()
		p.own.Proxy = nil
		p.own.TLSClientConfig = t.TLS
		p.client = &http.Client{Transport: p.own}
	}
	if t.Sender == nil {
		p.sender = wire.New(wire.Options{Client: t.Client, TLS: t.TLS, Conns: 16, NoProxy: true})
	}
	// Providers do not follow redirects: a 3xx is a failed attempt.
	p.client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return p, nil
}

func checkURL(what, s string) (*url.URL, error) {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("scenario: %s %q: want an http:// or https:// URL", what, s)
	}
	return u, nil
}

func (p *player) close() {
	if p.sender != nil {
		p.sender.Close()
	}
	if p.own != nil {
		p.own.CloseIdleConnections()
	}
}

// scaled applies the time scale to d.
func (p *player) scaled(d time.Duration) time.Duration {
	return time.Duration(float64(d) * p.opts.TimeScale)
}

// wait waits d scaled by the time scale, or until ctx ends.
func (p *player) wait(ctx context.Context, d time.Duration) error {
	d = p.scaled(d)
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// step sends step i's copies, each with its retries, then checks the
// step's expectations.
func (p *player) step(ctx context.Context, i int) StepResult {
	st, pl := p.sc.Steps[i], p.plan[i]
	sr := StepResult{Index: i, Label: p.sc.StepLabel(i), Note: st.Note}
	if st.Event != nil {
		sr.Event = st.Event.Name
	}
	if pl.err != nil {
		sr.Err = pl.err.Error()
		return sr
	}
	sr.DeliveryID, sr.Key = pl.d.ID, pl.key
	if pl.timed {
		sr.EventTime = pl.at
	}
	h, err := p.headers(pl.d)
	if err != nil {
		sr.Err = err.Error()
		return sr
	}
	sr.Copies = make([]Copy, 1+st.Duplicates)
	if st.Concurrent {
		var wg sync.WaitGroup
		ready := make(chan struct{})
		for c := range sr.Copies {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-ready
				sr.Copies[c] = p.deliver(ctx, i, c, st, pl.d, h)
			}()
		}
		close(ready)
		wg.Wait()
	} else {
		for c := range sr.Copies {
			sr.Copies[c] = p.deliver(ctx, i, c, st, pl.d, h)
		}
	}
	if st.Ack != AckAny {
		sr.Expectations = append(sr.Expectations, ackExpectation(st.Ack, sr.Copies))
	}
	if st.Applied != nil {
		sr.Expectations = append(sr.Expectations, p.appliedExpectation(ctx, pl.key, *st.Applied))
	}
	return sr
}

// headers signs one attempt of d now and adds the target's headers.
func (p *player) headers(d *providers.Delivery) (http.Header, error) {
	h, err := d.Request(p.signer, time.Now())
	if err != nil {
		return nil, err
	}
	for k, vs := range p.t.Headers {
		for _, v := range vs {
			h.Add(k, v)
		}
	}
	return h, nil
}

// deliver sends copy c of step i: the first attempt with headers h
// (shared by the copies, so they are byte-identical), then the provider's
// retries, each signed afresh, until one is acknowledged or the retries
// run out.
func (p *player) deliver(ctx context.Context, i, c int, st *Step, d *providers.Delivery, h http.Header) Copy {
	var cp Copy
	for n := 0; ; n++ {
		if n > 0 {
			if p.wait(ctx, retryWait(p.v, n)) != nil {
				return cp
			}
			var err error
			if h, err = p.headers(d); err != nil {
				cp.Attempts = append(cp.Attempts, Attempt{Err: err.Error()})
				return cp
			}
		}
		o := Outgoing{Step: i, Copy: c, N: n + 1, Delivery: d, Header: h, Cut: n == 0 && st.CutAfterBody, Retry: n < st.Retries}
		if o.Retry {
			o.RetryIn = p.scaled(retryWait(p.v, n+1))
		}
		a := p.post(ctx, o)
		cp.Attempts = append(cp.Attempts, a)
		if a.Acked || n >= st.Retries || ctx.Err() != nil {
			return cp
		}
		if p.v.Retry.NoRetryOn4xx && a.Status >= 400 && a.Status < 500 {
			return cp
		}
	}
}

// retryWait is the wait before attempt n (from 1): the profile's interval,
// capped at RetryWaitCap.
func retryWait(v *providers.Variant, n int) time.Duration {
	s := v.Retry.Schedule
	if n >= len(s) {
		return RetryWaitCap
	}
	return min(s[n].D(), RetryWaitCap)
}

// matches reports whether status satisfies an ack expectation.
func matches(want string, status int) bool {
	if want == Ack4xx {
		return status >= 400 && status < 500
	}
	// 200 and 2xx are success rules as a profile states them.
	return providers.AckSpec{Success: want}.Accepts(status)
}

// ackExpectation grades every answer of the step against want.
func ackExpectation(want string, copies []Copy) Expectation {
	e := Expectation{What: "ack " + want}
	answers, bad := 0, 0
	first := ""
	statuses := map[int]int{}
	for ci, c := range copies {
		for ai, a := range c.Attempts {
			if a.Cut {
				continue
			}
			answers++
			ok := a.Err == "" && matches(want, a.Status)
			if a.Err == "" {
				statuses[a.Status]++
			}
			if ok {
				continue
			}
			bad++
			if first == "" {
				got := "no answer: " + a.Err
				if a.Err == "" {
					got = "got " + strconv.Itoa(a.Status)
				}
				first = fmt.Sprintf("expected %s, %s (copy %d, attempt %d)", want, got, ci+1, ai+1)
			}
		}
	}
	switch {
	case answers == 0:
		e.Outcome, e.Evidence = Skipped, "every attempt was cut before its answer"
	case bad > 0:
		e.Outcome, e.Evidence = Failed, first
		if answers > 1 {
			e.Evidence += fmt.Sprintf("; %d of %d answers failed", bad, answers)
		}
	default:
		e.Outcome, e.Evidence = Passed, statusSummary(statuses)
	}
	return e
}
