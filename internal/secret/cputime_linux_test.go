package secret

import "syscall"

// cpuSeconds is the process's user+system CPU time, to report benchmarks
// on a shared machine where wall time depends on other load.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}
