package tally

import (
	"strings"
	"testing"
)

func TestQuoteCutsLongValues(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"short value unchanged", "bob", `"bob"`},
		{"exactly the limit", strings.Repeat("a", MaxEcho), `"` + strings.Repeat("a", MaxEcho) + `"`},
		{"longer is cut and marked", strings.Repeat("a", 3000), `"` + strings.Repeat("a", MaxEcho) + `…"`},
		{"cut by characters, not bytes", strings.Repeat("ä", 50), `"` + strings.Repeat("ä", MaxEcho) + `…"`},
		{"control characters escaped", "a\nb", `"a\nb"`},
	} {
		if got := Quote(tc.in); got != tc.want {
			t.Errorf("%s: Quote = %s, want %s", tc.name, got, tc.want)
		}
	}
}
