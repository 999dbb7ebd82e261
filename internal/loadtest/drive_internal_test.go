package loadtest

import (
	"runtime"
	"testing"
	"time"
)

// machineCPU reads /proc/stat: busy time never exceeds the total, both
// grow, and a second of one busy core shows as busy.
func TestMachineCPU(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("/proc/stat is Linux's")
	}
	b0, t0 := machineCPU()
	for end := time.Now().Add(time.Second); time.Now().Before(end); {
	}
	b1, t1 := machineCPU()
	if t0 <= 0 || b0 > t0 || b1 > t1 || t1 <= t0 {
		t.Fatalf("machineCPU: busy %d of %d, then %d of %d", b0, t0, b1, t1)
	}
	if b1 <= b0 {
		t.Errorf("a busy second added no busy time (%d → %d)", b0, b1)
	}
}
