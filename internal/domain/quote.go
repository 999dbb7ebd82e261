package domain

import "koinon/internal/tally"

// Quote quotes a typed value for an error message, cut to tally.MaxEcho
// characters: the tally's rule, so that every message echoes alike.
func Quote(s string) string { return tally.Quote(s) }
