//go:build unix

package sqlite

import (
	"testing"

	"github.com/esimhooks/esimhooks/mockserver"
)

// listRows is the size of BenchmarkListDeliveries's log.
const listRows = 200_000

// BenchmarkListDeliveries lists the newest 50 deliveries of a log of
// listRows, as the dashboard does, under each filter.
func BenchmarkListDeliveries(b *testing.B) {
	s, _ := openTemp(b)
	fillLog(b, s, listRows)
	for _, c := range []struct {
		name string
		f    mockserver.DeliveryFilter
	}{
		{"all", mockserver.DeliveryFilter{}},
		{"provider", mockserver.DeliveryFilter{Provider: "esimfly"}},
		{"event", mockserver.DeliveryFilter{Event: "esim.activated"}},
		{"event-1%", mockserver.DeliveryFilter{Event: "topup.failed"}},
		{"event-none", mockserver.DeliveryFilter{Event: "no.such.event"}},
		{"endpoint", mockserver.DeliveryFilter{EndpointID: "ep3"}},
		{"state-pending", mockserver.DeliveryFilter{State: mockserver.StatePending}},
		{"state-failed", mockserver.DeliveryFilter{State: mockserver.StateFailed}},
		{"state-exhausted", mockserver.DeliveryFilter{State: mockserver.StateExhausted}},
		{"state-delivered", mockserver.DeliveryFilter{State: mockserver.StateDelivered}},
		{"event-id", mockserver.DeliveryFilter{EventID: "evt_12345"}},
		{"provider+failed", mockserver.DeliveryFilter{Provider: "airalo", State: mockserver.StateFailed}},
		{"provider+event-1%", mockserver.DeliveryFilter{Provider: "airalo", Event: "topup.failed"}},
	} {
		b.Run(c.name, func(b *testing.B) {
			c.f.Limit = 50
			cpu0 := processCPU()
			for b.Loop() {
				if _, err := s.ListDeliveries(b.Context(), c.f); err != nil {
					b.Fatal(err)
				}
			}
			reportRate(b, "lists/s", cpu0)
		})
	}
}
