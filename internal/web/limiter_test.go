package web

import (
	"fmt"
	"testing"
	"time"
)

// TestLoginLimiterHardCap: the limiter never holds more entries than its
// cap, even when every entry is recent, and a new key still gets counted.
func TestLoginLimiterHardCap(t *testing.T) {
	now := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	l := newLoginLimiter(func() time.Time { return now })
	l.max = 50
	for i := range 500 {
		now = now.Add(time.Millisecond)
		l.fail(fmt.Sprintf("h:user%d", i), "ip:192.0.2.1")
		if n := len(l.entries); n > l.max {
			t.Fatalf("after %d failures the limiter holds %d entries, cap %d", i+1, n, l.max)
		}
	}
	if l.entries["ip:192.0.2.1"] == nil {
		t.Fatal("the address that keeps failing was evicted")
	}
	if l.entries["ip:192.0.2.1"].failures != 500 {
		t.Fatalf("address failures = %d, want 500", l.entries["ip:192.0.2.1"].failures)
	}
	if l.wait("ip:192.0.2.1") == 0 {
		t.Fatal("an address over its free failures is not locked")
	}
}
