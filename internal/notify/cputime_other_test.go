//go:build !unix

package notify_test

// cpuSeconds is unknown here: the CPU figures read 0.
func cpuSeconds() float64 { return 0 }
