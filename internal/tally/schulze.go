package tally

import "slices"

// countSchulze implements tally.md §4.5 (winning votes). Identical rankings
// are summed first, so the cost grows with the distinct rankings, not the
// voters. Without votes there are no winners.
func countSchulze(c counting, r *Result) {
	n := len(c.ballot.Options)
	d := newMatrix(n)
	rank := make([]int, n)
	for _, g := range c.groupSchulze() {
		groups := c.ballots[g.ref].choice.Groups
		// rank[x] is x's group number; unlisted options share the last.
		for i := range rank {
			rank[i] = len(groups)
		}
		for gi, grp := range groups {
			for _, k := range grp {
				rank[c.keys[k]] = gi
			}
		}
		for _, grp := range groups {
			for _, k := range grp {
				x := c.keys[k]
				row := d[x]
				for y, ry := range rank {
					if rank[x] < ry {
						row[y] += g.weight
					}
				}
			}
		}
	}
	schulzeResult(c, r, d)
}

// schulzeResult decides a Schulze ballot from its pairwise matrix d.
func schulzeResult(c counting, r *Result, d [][]int64) {
	n := len(c.ballot.Options)
	p := newMatrix(n)
	for i := range n {
		for j := range n {
			if i != j && d[i][j] > d[j][i] {
				p[i][j] = d[i][j]
			}
		}
	}
	for k := range n {
		for i := range n {
			if i == k || p[i][k] == 0 {
				continue
			}
			for j := range n {
				if j != i && j != k {
					p[i][j] = max(p[i][j], min(p[i][k], p[k][j]))
				}
			}
		}
	}
	r.Pairwise, r.Paths = d, p

	remaining := make([]int, n)
	for i := range remaining {
		remaining[i] = i
	}
	var flat []string
	for len(remaining) > 0 {
		var top, rest []int
		for _, x := range remaining {
			beaten := false
			for _, y := range remaining {
				if p[y][x] > p[x][y] {
					beaten = true
					break
				}
			}
			if beaten {
				rest = append(rest, x)
			} else {
				top = append(top, x)
			}
		}
		if len(top) == 0 { // cannot happen: the beat relation is transitive
			top, rest = rest, nil
		}
		c.byTiebreak(top)
		keys := make([]string, len(top))
		for i, o := range top {
			keys[i] = c.ballot.Options[o].Key
		}
		r.Ranking = append(r.Ranking, keys)
		flat = append(flat, keys...)
		remaining = rest
	}
	if c.quorumMet && len(c.ballots) > 0 {
		r.Winners = flat[:c.ballot.Seats]
	}
}

func newMatrix(n int) [][]int64 {
	cells := make([]int64, n*n)
	m := make([][]int64, n)
	for i := range m {
		m[i] = cells[i*n : (i+1)*n : (i+1)*n]
	}
	return m
}

// schulzeGroup is the summed weight of the rankings identical to
// c.ballots[ref].
type schulzeGroup struct {
	ref    int
	weight int64
}

// groupSchulze sums the weights of identical rankings; the order of keys
// inside a tied group does not matter.
func (c counting) groupSchulze() []schulzeGroup {
	at := make(map[string]int)
	var out []schulzeGroup
	var buf []byte
	var idx []int
	for bi, b := range c.ballots {
		buf = buf[:0]
		for _, grp := range b.choice.Groups {
			idx = idx[:0]
			for _, k := range grp {
				idx = append(idx, c.keys[k])
			}
			slices.Sort(idx)
			buf = append(rankingKey(buf, idx), 0xff, 0xff)
		}
		if i, ok := at[string(buf)]; ok {
			out[i].weight += b.weight
			continue
		}
		at[string(buf)] = len(out)
		out = append(out, schulzeGroup{ref: bi, weight: b.weight})
	}
	return out
}
