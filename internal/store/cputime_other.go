//go:build !linux

package store

import "time"

// cpuClock falls back to wall time where the thread's CPU time is not
// available (see cputime_linux.go).
func cpuClock() func() time.Duration {
	start := time.Now()
	return func() time.Duration { return time.Since(start) }
}
