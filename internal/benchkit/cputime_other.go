//go:build !unix

package benchkit

import "time"

// processCPU is unknown here: see cputime_unix.go.
func processCPU() (time.Duration, bool) { return 0, false }
