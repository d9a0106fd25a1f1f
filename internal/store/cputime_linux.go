package store

import (
	"runtime"
	"syscall"
	"time"
	"unsafe"
)

// cpuClock measures the CPU time the calling goroutine spends until the
// returned function is called: its OS thread's CPU clock, with the
// goroutine locked to the thread meanwhile. modernc.org/sqlite runs a query
// on the calling goroutine, so this is the query's cost whatever else the
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

// threadCPU reads CLOCK_THREAD_CPUTIME_ID (nanoseconds; getrusage's thread
// times are only as fine as the scheduler tick).
func threadCPU() (time.Duration, bool) {
	const clockThreadCPUTimeID = 3
	var ts syscall.Timespec
	if _, _, errno := syscall.Syscall(syscall.SYS_CLOCK_GETTIME, clockThreadCPUTimeID, uintptr(unsafe.Pointer(&ts)), 0); errno != 0 {
		return 0, false
	}
	return time.Duration(ts.Nano()), true
}
