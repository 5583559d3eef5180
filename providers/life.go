package providers

import (
	"time"

	"github.com/esimhooks/esimhooks/providers/payload"
)

// LifeStart returns when the order's life that e belongs to starts; e's
// own time is then the start plus e.At. Every sender (send, generate,
// the API's triggers) places a life with it:
//
//   - an explicit start wins;
//   - a seeded life without one starts at payload.Epoch, so that the seed
//     fixes every byte and the life's events keep their offsets (order
//     created, completed 15 s later, activated 2 h later) whenever and
//     wherever each one is generated;
//   - otherwise the event happens now: the life started e.At before now,
//     to the second.
func (e *Event) LifeStart(seeded bool, start *time.Time, now time.Time) time.Time {
	switch {
	case start != nil:
		return start.UTC()
	case seeded:
		return payload.Epoch
	}
	return now.UTC().Truncate(time.Second).Add(-e.At.D())
}
