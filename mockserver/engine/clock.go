package engine

import "time"

// Clock is the engine's source of time: Now for timestamps and due times,
// NewTimer for waiting until the next delivery is due. The real clock is
// used when EngineConfig.Clock is nil; tests drive a FakeClock instead.
// Implementations must be safe for concurrent use.
type Clock interface {
	// Now returns the current time.
	Now() time.Time
	// NewTimer returns a running timer that fires once, d from now.
	NewTimer(d time.Duration) Timer
}

// Timer is a one-shot timer of a Clock. Its methods follow time.Timer in
// Go 1.23 and later: after Stop or Reset returns, no stale value is
// received from C.
type Timer interface {
	// C returns the channel the timer's time is sent on when it fires.
	C() <-chan time.Time
	// Stop prevents the timer from firing; it reports whether it was
	// running.
	Stop() bool
	// Reset makes the timer fire d from now; it reports whether it was
	// running.
	Reset(d time.Duration) bool
}

// RealClock is the wall clock (time.Now and time.NewTimer).
type RealClock struct{}

// Now returns time.Now().
func (RealClock) Now() time.Time { return time.Now() }

// NewTimer returns a time.Timer wrapped as a Timer.
func (RealClock) NewTimer(d time.Duration) Timer { return realTimer{time.NewTimer(d)} }

type realTimer struct{ t *time.Timer }

func (r realTimer) C() <-chan time.Time        { return r.t.C }
func (r realTimer) Stop() bool                 { return r.t.Stop() }
func (r realTimer) Reset(d time.Duration) bool { return r.t.Reset(d) }

// Clock returns the engine's source of time (EngineConfig.Clock), for
// what runs beside it: the retention's pruner.
func (e *Engine) Clock() Clock { return e.clock }
