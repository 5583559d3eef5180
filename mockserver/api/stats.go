package api

import (
	"context"
	"math"
	"net/http"
	"slices"
	"strconv"

	"github.com/esimhooks/esimhooks/mockserver/engine"
)

// endpointStats summarises an endpoint's recent deliveries.
type endpointStats struct {
	EndpointID string `json:"endpoint_id"`
	// Deliveries is how many of the most recent deliveries were counted.
	Deliveries int            `json:"deliveries"`
	States     map[string]int `json:"states"`
	Attempts   int            `json:"attempts"`
	Successful int            `json:"successful_attempts"`
	// SuccessRate is Successful / Attempts; nil without attempts.
	SuccessRate *float64     `json:"success_rate"`
	LatencyMS   latencyStats `json:"latency_ms"`
}

type latencyStats struct {
	P50 *float64 `json:"p50"`
	P95 *float64 `json:"p95"`
}

// handleEndpointStats counts the attempts of the endpoint's last `window`
// deliveries (default 100): how many, how many succeeded, and the median
// and 95th percentile latency of those that got an answer or timed out.
func (s *Server) handleEndpointStats(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if _, err := s.store.GetEndpoint(r.Context(), id); err != nil {
		writeProblem(w, r, s.endpointProblem(r, err))
		return
	}
	window := 100
	if q := r.URL.Query(); q.Has("window") {
		window, _ = strconv.Atoi(q.Get("window")) // validated: 1..1000
	}
	st, err := s.endpointStats(r.Context(), id, window)
	if err != nil {
		writeProblem(w, r, problemFor(s.log, r, err))
		return
	}
	writeJSON(w, http.StatusOK, st)
}

// endpointStats counts the attempts of endpoint id's last window
// deliveries.
func (s *Server) endpointStats(ctx context.Context, id string, window int) (*endpointStats, error) {
	ds, err := s.store.ListDeliveries(ctx, engine.DeliveryFilter{EndpointID: id, Limit: window})
	if err != nil {
		return nil, err
	}
	st := &endpointStats{EndpointID: id, Deliveries: len(ds), States: map[string]int{}}
	var lat []float64
	for _, d := range ds {
		st.States[d.State]++
		as, err := s.store.ListAttempts(ctx, d.ID)
		if err != nil {
			return nil, err
		}
		for _, a := range as {
			st.Attempts++
			if a.Success {
				st.Successful++
			}
			if a.Latency > 0 {
				lat = append(lat, millis(a.Latency))
			}
		}
	}
	if st.Attempts > 0 {
		rate := float64(st.Successful) / float64(st.Attempts)
		st.SuccessRate = &rate
	}
	st.LatencyMS.P50, st.LatencyMS.P95 = percentile(lat, 0.50), percentile(lat, 0.95)
	return st, nil
}

// percentile returns the nearest-rank q-quantile of xs (sorted in place),
// or nil for none.
func percentile(xs []float64, q float64) *float64 {
	if len(xs) == 0 {
		return nil
	}
	slices.Sort(xs)
	i := int(math.Ceil(q*float64(len(xs)))) - 1
	v := xs[max(i, 0)]
	return &v
}
