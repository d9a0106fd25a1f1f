package store

import (
	"runtime"
	"syscall"
	"time"
)

// cpuClock measures the CPU time the calling goroutine spends until the
// returned function is called: its OS thread's CPU time, with the
// goroutine locked to the thread meanwhile. modernc.org/sqlite runs a query
// on the calling goroutine, so this is the query's cost, whatever else the
// machine does (wall time under load mostly measures waiting for a core).
func cpuClock() func() time.Duration {
	runtime.LockOSThread()
	start, ok := threadCPU()
	return func() time.Duration {
		end, ok2 := threadCPU()
		runtime.UnlockOSThread()
		if !ok || !ok2 || end < start {
			return 0
		}
		return end - start
	}
}

func threadCPU() (time.Duration, bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(1 /* RUSAGE_THREAD */, &ru); err != nil {
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}
