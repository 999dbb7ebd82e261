// Package textdiff compares two texts line by line (longest common
// subsequence), for the diff view between proposal versions. Pure: no I/O.
package textdiff

import "strings"

// Op is what happened to a line.
type Op int

const (
	Same Op = iota
	Removed
	Added
)

// Line is one line of the comparison.
type Line struct {
	Op   Op
	Text string
}

// MaxLines bounds each side: the table is (a+1)·(b+1) cells. Longer texts
// are compared as a whole (every old line removed, every new one added).
const MaxLines = 3000

// Lines compares a and b, split at line breaks.
func Lines(a, b string) []Line {
	x, y := split(a), split(b)
	if len(x) > MaxLines || len(y) > MaxLines {
		out := make([]Line, 0, len(x)+len(y))
		for _, l := range x {
			out = append(out, Line{Removed, l})
		}
		for _, l := range y {
			out = append(out, Line{Added, l})
		}
		return out
	}
	// lcs[i][j]: length of the longest common subsequence of x[i:], y[j:].
	w := len(y) + 1
	lcs := make([]int32, (len(x)+1)*w)
	for i := len(x) - 1; i >= 0; i-- {
		for j := len(y) - 1; j >= 0; j-- {
			if x[i] == y[j] {
				lcs[i*w+j] = lcs[(i+1)*w+j+1] + 1
			} else {
				lcs[i*w+j] = max(lcs[(i+1)*w+j], lcs[i*w+j+1])
			}
		}
	}
	var out []Line
	i, j := 0, 0
	for i < len(x) && j < len(y) {
		switch {
		case x[i] == y[j]:
			out = append(out, Line{Same, x[i]})
			i, j = i+1, j+1
		case lcs[(i+1)*w+j] >= lcs[i*w+j+1]:
			out = append(out, Line{Removed, x[i]})
			i++
		default:
			out = append(out, Line{Added, y[j]})
			j++
		}
	}
	for ; i < len(x); i++ {
		out = append(out, Line{Removed, x[i]})
	}
	for ; j < len(y); j++ {
		out = append(out, Line{Added, y[j]})
	}
	return out
}

func split(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n")
}
