//go:build unix

package benchkit

import (
	"syscall"
	"time"
)

// processCPU returns the CPU time (user and system) this process has used
// so far, its child processes not included; ok is false where the system
// does not say.
func processCPU() (d time.Duration, ok bool) {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}
