package scenario

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/esimhooks/esimhooks/mockserver/wire"
)

// post makes attempt o (through Target.Sender when set) and reads at most
// MaxAnswer bytes of the answer, all within the provider's ack deadline.
// With o.Cut the connection is cut as soon as the answer begins
// (wire.Request.Cut): the receiver has the whole request and has
// answered, the provider never sees the acknowledgement; a receiver that
// never answers still had the request.
func (p *player) post(ctx context.Context, o Outgoing) Attempt {
	deadline, cut := p.v.Ack.Deadline.D(), o.Cut
	var r wire.Result
	if p.t.Sender != nil {
		r = p.t.Sender.Send(ctx, o)
	} else {
		r = p.sender.Send(ctx, wire.Request{URL: p.url.String(), Parsed: p.url, Header: o.Header, Body: o.Delivery.Body, Deadline: deadline, Cut: cut})
	}
	a := Attempt{Cut: cut, Latency: r.Latency}
	timedOut := r.ErrKind == wire.ErrKindTimeout && ctx.Err() == nil
	switch {
	case r.ErrKind == wire.ErrKindCut, cut && timedOut:
	case r.Status != 0:
		// An answer, even with a redirect not followed or a body that
		// broke off.
		a.Status, a.Acked, a.Answer = r.Status, p.v.Ack.Accepts(r.Status), oneLine(r.Body)
	case timedOut:
		a.Err = "no answer within " + ackLimit(deadline)
	default:
		a.Err = r.Err
	}
	return a
}

// describe says why an attempt got no answer, without the URL (which may
// carry a token).
func describe(ctx, actx context.Context, err error, limit string) string {
	if ctx.Err() == nil && errors.Is(actx.Err(), context.DeadlineExceeded) {
		return "no answer within " + limit
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return err.Error()
}

// ackLimit words the ack deadline for describe.
func ackLimit(d time.Duration) string { return fmt.Sprintf("the %s ack deadline", d) }

// oneLine squeezes an answer body onto one line of at most 200 bytes.
func oneLine(b []byte) string {
	s := strings.Join(strings.Fields(strings.ToValidUTF8(string(b), "?")), " ")
	if len(s) > 200 {
		s = strings.ToValidUTF8(s[:200], "") + "…"
	}
	return s
}

// statusSummary prints answer counts by status: "200×10" or "200, 202×2".
func statusSummary(m map[int]int) string {
	codes := make([]int, 0, len(m))
	for c := range m {
		codes = append(codes, c)
	}
	sort.Ints(codes)
	parts := make([]string, len(codes))
	for i, c := range codes {
		parts[i] = strconv.Itoa(c)
		if m[c] > 1 {
			parts[i] += "×" + strconv.Itoa(m[c])
		}
	}
	return strings.Join(parts, ", ")
}
