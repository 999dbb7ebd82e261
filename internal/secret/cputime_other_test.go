//go:build !linux

package secret

func cpuSeconds() float64 { return 0 }
