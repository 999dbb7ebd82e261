package domain_test

import (
	"strings"
	"testing"

	"koinon/internal/domain"
	"koinon/internal/tally"
)

func TestOptionKey(t *testing.T) {
	tests := []struct{ name, label, want string }{
		{"diacritics are stripped", "Dara Ó Briain", "dara-o-briain"},
		{"runs of separators collapse", "  Ann -- Marie / Lee!! ", "ann-marie-lee"},
		{"German letters are spelled out", "Straße Ærø Łódź", "strasse-aero-lodz"},
		{"compatibility forms fold", "ﬁnance Ｎｏ２", "finance-no2"},
		{"a label of another script gets a stable id", "日本語", "o-"},
		{"a mixed label gets a stable id, not a partial slug", "Café 東京", "o-"},
		{"symbols only get a stable id", "🍕 !", "o-"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := domain.OptionKey(tc.label)
			if tc.want == "o-" {
				if !strings.HasPrefix(got, "o-") || len(got) != 12 {
					t.Errorf("OptionKey(%q) = %q, want o- and 10 base32 digits", tc.label, got)
				}
				if again := domain.OptionKey(tc.label); again != got {
					t.Errorf("OptionKey(%q) not stable: %q then %q", tc.label, got, again)
				}
			} else if got != tc.want {
				t.Errorf("OptionKey(%q) = %q, want %q", tc.label, got, tc.want)
			}
			if !tally.ValidKey(got) {
				t.Errorf("OptionKey(%q) = %q is not a valid key", tc.label, got)
			}
		})
	}
	if a, b := domain.OptionKey("東京"), domain.OptionKey("大阪"); a == b {
		t.Errorf("東京 and 大阪 share key %q", a)
	}
	if k := domain.OptionKey(strings.Repeat("ab ", 40)); len(k) > 64 || strings.HasSuffix(k, "-") {
		t.Errorf("long label gave %q", k)
	}
}

func TestUniqueOptionKey(t *testing.T) {
	taken := map[string]bool{}
	var got []string
	for _, l := range []string{"Ann Marie", "Ann-Marie", "ann marie", "日本語", "日本語"} {
		k := domain.UniqueOptionKey(l, taken)
		taken[k] = true
		got = append(got, k)
	}
	if strings.Join(got[:3], ",") != "ann-marie,ann-marie-2,ann-marie-3" || got[4] != got[3]+"-2" {
		t.Errorf("keys %v", got)
	}
	long := strings.Repeat("x", 70)
	taken = map[string]bool{domain.OptionKey(long): true}
	if k := domain.UniqueOptionKey(long, taken); len(k) != 64 || !strings.HasSuffix(k, "-2") {
		t.Errorf("long duplicate gave %q", k)
	}
}
