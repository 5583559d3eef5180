package receiver

import (
	"fmt"
	"net/http"
	"time"

	"github.com/esimhooks/esimhooks/providers/jsonv"
)

// checkReplay rejects an event whose time, where the variant's replay rule
// says to look (a header or a body field), is older than the rule's window:
// SimplifyTrip's createdAt older than 24 hours. Standard Webhooks' signer
// already refused a webhook-timestamp outside its tolerance; checking it
// here again keeps one rule for every provider with a window. A variant
// without a rule, or an event without the time, passes.
func (r *Receiver) checkReplay(h http.Header, p jsonv.Value) error {
	rule := r.v.Replay
	t, ok := r.v.ReplayTime(h, p)
	if !ok {
		return nil
	}
	if age := r.now().Sub(t); age > rule.Window.D() {
		return fmt.Errorf("stale event: %s is %s old, past the %s replay window", rule.Time, age.Round(time.Second), rule.Window)
	}
	return nil
}
