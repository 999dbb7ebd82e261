package web

import (
	"math/big"
	"slices"
	"strconv"
	"strings"

	"koinon/internal/tally"
)

// Ties that decided something are not in the stored result (tally.md §6
// has no field for them), so the result page finds them in the figures it
// has: a seat won on equal totals, an elimination or defeat among equal
// lowest, a group of the Schulze ranking. Each is said in one sentence
// that names the tied options and what decided between them; the page
// links to the audit page, which shows the tie-break order (tally.md §5).

// resTies returns the sentences of every tie that decided a seat, an
// elimination, a defeat or an order in the ranking.
func resTies(d *resultData, tr resTranslate) []string {
	switch d.Method {
	case "plurality", "approval":
		return seatTies(d, tr)
	case "irv":
		return irvTies(d, tr)
	case "stv":
		return stvTies(d, tr)
	case "schulze":
		return rankingTies(d, tr)
	}
	return nil
}

// labels joins the labels of keys, in the order given.
func (d *resultData) labels(keys []string) string {
	ls := make([]string, len(keys))
	for i, k := range keys {
		ls[i] = d.Label(k)
	}
	return strings.Join(ls, ", ")
}

// seatTies: the last seat went to an option whose total an option that
// did not win also had; tally.md §4.2 orders equal totals by tie-break.
func seatTies(d *resultData, tr resTranslate) []string {
	r := &d.Result
	if len(r.Winners) == 0 {
		return nil
	}
	at := r.Totals[r.Winners[len(r.Winners)-1]]
	var won, lost []string
	for _, o := range d.Options {
		if r.Totals[o.Key] != at {
			continue
		}
		if slices.Contains(r.Winners, o.Key) {
			won = append(won, o.Key)
		} else {
			lost = append(lost, o.Key)
		}
	}
	if len(lost) == 0 {
		return nil
	}
	tied := append(slices.Clone(won), lost...)
	return []string{tr("results.tie.seat", d.labels(tied), strconv.FormatInt(at, 10)) + " " + tr("results.tie.by_order.only") + " " + tr("results.tie.won", d.labels(won))}
}

// irvTies: an elimination among options tied for the lowest total,
// decided by an earlier round or, tied in all of them, by tie-break
// (tally.md §4.4).
func irvTies(d *resultData, tr resTranslate) []string {
	var out []string
	rounds := d.Result.IRVRounds
	figure := func(r int, k string) (*big.Rat, bool) {
		t, ok := rounds[r].Totals[k]
		return big.NewRat(t, 1), ok
	}
	for ri, rd := range rounds {
		if rd.Eliminated == "" {
			continue
		}
		tied := lowest(d.Options, func(k string) (*big.Rat, bool) { return figure(ri, k) }, big.NewRat(rd.Totals[rd.Eliminated], 1), nil)
		if len(tied) < 2 {
			continue
		}
		s := tr("results.tie.irv", ri+1, d.labels(tied), strconv.FormatInt(rd.Totals[rd.Eliminated], 10), d.Label(rd.Eliminated))
		out = append(out, s+" "+earlierRoundDecided(d, tied, ri, rd.Eliminated, tr, figure))
	}
	return out
}

// lowest lists the options (in ballot order) whose figure is at most
// low + margin (margin nil: equal to low).
func lowest(opts []tally.Option, figure func(key string) (*big.Rat, bool), low, margin *big.Rat) []string {
	limit := low
	if margin != nil {
		limit = new(big.Rat).Add(low, margin)
	}
	var out []string
	for _, o := range opts {
		if v, ok := figure(o.Key); ok && v.Cmp(limit) <= 0 {
			out = append(out, o.Key)
		}
	}
	return out
}

// earlierRoundDecided says what broke a tie for the lowest in round ri:
// an earlier round in which the tied options differed (the lowest there
// goes, looking back round by round), or else the tie-break order.
func earlierRoundDecided(d *resultData, tied []string, ri int, out string, tr resTranslate, figure func(round int, key string) (*big.Rat, bool)) string {
	for r := ri - 1; r >= 0; r-- {
		var low *big.Rat
		for _, k := range tied {
			if v, _ := figure(r, k); low == nil || v.Cmp(low) < 0 {
				low = v
			}
		}
		tied = lowest(d.Options, func(k string) (*big.Rat, bool) {
			v, ok := figure(r, k)
			return v, ok && slices.Contains(tied, k)
		}, low, nil)
		if len(tied) == 1 {
			return tr("results.tie.by_round", r+1, d.Label(out))
		}
	}
	if ri == 0 {
		return tr("results.tie.by_order.only")
	}
	return tr("results.tie.by_order")
}

// stvTies: a defeat among hopefuls tied with the lowest. Meek counts as
// tied every hopeful within the round's surplus of the lowest and defeats
// the latest in tie-break order; Scottish rules separate equal lowest by
// earlier stages, then by tie-break (tally.md §4.6).
func stvTies(d *resultData, tr resTranslate) []string {
	var out []string
	rounds := d.Result.STVRounds
	meek := stvIsMeek(rounds)
	figure := func(r int, k string) (*big.Rat, bool) {
		c, ok := rounds[r].Candidates[k]
		return stvUnits(c.Vote), ok
	}
	for ri, rd := range rounds {
		if len(rd.Defeated) != 1 {
			continue // none, or the final defeat of all remaining hopefuls
		}
		gone := rd.Defeated[0]
		var margin *big.Rat
		if meek {
			margin = stvSurplus(rd)
		}
		tied := lowest(d.Options, func(k string) (*big.Rat, bool) {
			c, ok := rd.Candidates[k]
			return stvUnits(c.Vote), ok && (c.State == "hopeful" || k == gone)
		}, stvUnits(rd.Candidates[gone].Vote), margin)
		switch {
		case len(tied) < 2:
		case meek:
			out = append(out, tr("results.tie.meek", ri+1, d.labels(tied), d.Label(gone))+" "+tr("results.tie.by_order.only"))
		default:
			out = append(out, tr("results.tie.scottish", ri+1, d.labels(tied), d.Label(gone))+" "+earlierRoundDecided(d, tied, ri, gone, tr, figure))
		}
	}
	return out
}

// stvIsMeek tells Meek rounds (with keep factors) from Scottish stages.
func stvIsMeek(rounds []tally.STVRound) bool {
	for _, rd := range rounds {
		for _, c := range rd.Candidates {
			return c.Keep != ""
		}
	}
	return false
}

// stvUnits reads a decimal figure of a round exactly (0 when malformed).
func stvUnits(s string) *big.Rat {
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		return new(big.Rat)
	}
	return r
}

// stvSurplus is the round's total surplus: what elected candidates hold
// above the quota.
func stvSurplus(rd tally.STVRound) *big.Rat {
	q := stvUnits(rd.Quota)
	sum := new(big.Rat)
	for _, c := range rd.Candidates {
		if c.State == "elected" {
			if v := stvUnits(c.Vote); v.Cmp(q) > 0 {
				sum.Add(sum, new(big.Rat).Sub(v, q))
			}
		}
	}
	return sum
}

// rankingTies: a group of the Schulze ranking holds options none of which
// beats another; tie-break ordered them (tally.md §4.5).
func rankingTies(d *resultData, tr resTranslate) []string {
	var out []string
	for _, g := range d.Result.Ranking {
		if len(g) > 1 {
			out = append(out, tr("results.tie.schulze", d.labels(g))+" "+tr("results.tie.by_order.only"))
		}
	}
	return out
}
