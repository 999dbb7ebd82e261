//go:build unix

package notify_test

import "syscall"

// cpuSeconds is the process's user and system CPU time: what a benchmark
// costs, whatever else loads the machine.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}
