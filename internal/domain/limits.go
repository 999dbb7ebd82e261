package domain

import (
	"strings"
	"unicode"
)

// Limits that real elections never reach but that bound what one request
// can make the server store, count or render (docs/security.md, "Limits").
// Each is refused with 422 naming the field and the limit.
const (
	MaxOptions        = 200    // options on a ballot of any method
	MaxRankedOptions  = 60     // irv, stv, schulze: rankings, rounds and matrices grow as n²
	MaxSeats          = 100    // seats of a plurality, approval, schulze or stv ballot
	MaxTitle          = 200    // ballot and proposal titles
	MaxOptionLabel    = 200    // one option's label
	MaxBallotText     = 20_000 // a ballot's description
	MaxProposalBody   = 50_000 // a proposal's text
	MaxCommunitiesDay = 5      // communities one citizen may found in 24 hours
)

// MaxOptionsFor is the option limit of a method. A ranking is a list of
// distinct options, so its length is bounded by the same number.
func MaxOptionsFor(method string) int {
	switch method {
	case "irv", "stv", "schulze":
		return MaxRankedOptions
	}
	return MaxOptions
}

// CheckOptionCount refuses a ballot with more options than its method allows.
func CheckOptionCount(method string, n int) error {
	if max := MaxOptionsFor(method); n > max {
		return Refuse("options", "options_max", max, method, n)
	}
	return nil
}

// CheckSeats refuses more seats than MaxSeats (the tally checks the rest).
func CheckSeats(seats int) error {
	if seats > MaxSeats {
		return Refuse("seats", "seats_max", MaxSeats)
	}
	return nil
}

// CheckCommunitiesFounded refuses a new community when the citizen has
// already founded MaxCommunitiesDay in the last 24 hours.
func CheckCommunitiesFounded(founded int64) error {
	if founded >= MaxCommunitiesDay {
		return Refuse("slug", "communities_per_day", MaxCommunitiesDay)
	}
	return nil
}

// CheckLine validates a single-line text field: like CheckText, and no
// control characters (NUL, tabs, line breaks and the like).
func CheckLine(field, s string, required bool, max int) error {
	if err := CheckText(field, s, required, max); err != nil {
		return err
	}
	if strings.IndexFunc(s, unicode.IsControl) >= 0 {
		return Refuse(field, "line_control")
	}
	return nil
}
