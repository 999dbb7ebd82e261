package tally

import (
	"strconv"
	"unicode/utf8"
)

// MaxEcho is how many characters of a given value an error message repeats.
const MaxEcho = 40

// Quote quotes a value for an error message, cut to MaxEcho characters and
// marked "…" when longer: a message never sends a long input back whole.
func Quote(s string) string {
	if utf8.RuneCountInString(s) > MaxEcho {
		s = string([]rune(s)[:MaxEcho]) + "…"
	}
	return strconv.Quote(s)
}
