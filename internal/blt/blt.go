// Package blt reads and writes ballot files in the BLT format used by STV
// software, with the dialects found in real data (see docs/tally.md).
//
// A file is: optional '#' comment lines; a header "nCandidates nSeats";
// optional lines of withdrawn candidates as negative numbers ("-2 -5");
// ballot lines "weight c1 c2 … 0" (an optional leading "(id)" is skipped);
// a line "0"; the candidate names, quoted ("Ann Lee") or one per line
// unquoted (McCune's Scottish files); the title, quoted or not. Anything
// after the title (ERBS trailers, notes) is ignored. Fields are separated by
// runs of white space.
//
// Droop's bracketed options may stand on their own lines before the ballots
// or between the names and the title: "[tie 3 1 2]" sets TieOrder,
// "[nick a b c]" names candidates for use in ballot lines, "[withdrawn a b]"
// adds to Withdrawn; other options are ignored.
//
// Non-strict ranks (Checkoway's IRV dialect, Droop's equal ranks): "-" is a
// blank rank, "a=b" marks several candidates at one rank (an overvote), and
// "-=-" an overvote whose candidates are unknown. Parse keeps the raw
// positions in Ballot.Ranks and normalises Ballot.Ranking the way Koinon
// counts such ballots: blank ranks are dropped, repeats of a candidate
// already ranked are dropped, and the ranking is truncated at the first
// overvote, whose index in Ranking is Ballot.Overvote (-1 when there is
// none). A caller that wants another overvote rule (e.g. Burlington's
// "exhaust only if several marked candidates are continuing") reads Ranks.
//
// Empty ballots ("1 0") are kept with an empty Ranking; whether they count as
// cast is the counting rule's decision. Withdrawn candidates stay in the
// rankings; the count skips them.
//
// It imports the standard library only: no store, web or tally.
package blt

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
)

// Limits that keep a hostile file from making Parse allocate without bound.
const (
	MaxCandidates = 10000
	MaxWeight     = 1_000_000_000_000 // per ballot line
	maxLine       = 1 << 20           // bytes
)

// Ballot is one ballot line: Weight identical ballots ranking Ranking
// (1-based candidate numbers, best first). An empty Ranking is a blank ballot.
type Ballot struct {
	Weight  int64
	Ranking []int
	// Overvote is the index in Ranking at which the ballot had an overvoted
	// rank (Ranking stops there), or -1.
	Overvote int
	// Ranks holds the raw rank positions when they differ from Ranking
	// (blank ranks, overvotes or repeats), else nil. Each position lists the
	// candidates marked there: empty for "-", several for "a=b", with 0 for
	// an unidentified mark ("-=-" is [0 0]).
	Ranks [][]int
}

// Election is a parsed BLT file.
type Election struct {
	Candidates int      // count from the header line
	Seats      int      // from the header line
	Withdrawn  []int    // 1-based candidate numbers, ascending
	Ballots    []Ballot // in file order
	Names      []string // Names[i] is candidate i+1's name
	Title      string
	TieOrder   []int    // from a "[tie …]" option: candidate numbers as listed, else nil
	Nicknames  []string // from a "[nick …]" option, else nil
}

// Parse reads one BLT file. Errors name the line.
func Parse(r io.Reader) (*Election, error) {
	p := &parser{sc: bufio.NewScanner(r)}
	p.sc.Buffer(make([]byte, 0, 64*1024), maxLine)
	p.sc.Split(scanLines)
	e, err := p.parse()
	if err != nil {
		if p.line > 0 {
			return nil, fmt.Errorf("blt: line %d: %w", p.line, err)
		}
		return nil, fmt.Errorf("blt: %w", err)
	}
	return e, nil
}

type parser struct {
	sc       *bufio.Scanner
	line     int
	text     string // current line, trimmed
	pending  bool   // text was pushed back
	nickname map[string]int
}

// next moves to the next non-blank line; false at end of input.
func (p *parser) next() (bool, error) {
	if p.pending {
		p.pending = false
		return true, nil
	}
	for p.sc.Scan() {
		p.line++
		p.text = strings.TrimSpace(p.sc.Text())
		if p.line == 1 {
			p.text = strings.TrimPrefix(p.text, "\ufeff")
		}
		if p.text != "" {
			return true, nil
		}
	}
	if err := p.sc.Err(); err != nil {
		return false, err
	}
	return false, nil
}

func (p *parser) parse() (*Election, error) {
	e := &Election{}
	// Comment lines, then the header.
	for {
		ok, err := p.next()
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, errors.New("missing header line")
		}
		if !strings.HasPrefix(p.text, "#") {
			break
		}
	}
	f := strings.Fields(p.text)
	if len(f) != 2 {
		return nil, fmt.Errorf("header %q: want \"candidates seats\"", p.text)
	}
	nc, err1 := strconv.Atoi(f[0])
	ns, err2 := strconv.Atoi(f[1])
	if err1 != nil || err2 != nil || nc < 1 || nc > MaxCandidates || ns < 1 || ns > nc {
		return nil, fmt.Errorf("header %q: want 1 ≤ seats ≤ candidates ≤ %d", p.text, MaxCandidates)
	}
	e.Candidates, e.Seats = nc, ns

	// Options and withdrawn lines before the ballots.
	for {
		ok, err := p.next()
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, errors.New("missing ballots and the closing 0")
		}
		if strings.HasPrefix(p.text, "[") {
			if err := p.option(e); err != nil {
				return nil, err
			}
			continue
		}
		if !strings.HasPrefix(p.text, "-") {
			p.pending = true
			break
		}
		for _, t := range strings.Fields(p.text) {
			id, err := strconv.Atoi(t)
			if err != nil || id >= 0 {
				return nil, fmt.Errorf("withdrawn line: %q is not a negative candidate number", t)
			}
			if err := e.withdraw(-id); err != nil {
				return nil, err
			}
		}
	}

	// Ballots up to the line "0".
	for {
		ok, err := p.next()
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, errors.New("ballots not closed by a line 0")
		}
		if p.text == "0" {
			break
		}
		b, err := p.ballot(nc)
		if err != nil {
			return nil, err
		}
		e.Ballots = append(e.Ballots, b)
	}

	// Names: quoted strings (several may share a line) or whole unquoted lines.
	// A quoted string beyond the last name is the title.
	var items []string
	for len(items) < nc {
		ok, err := p.next()
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, fmt.Errorf("end of file after %d of %d candidate names", len(items), nc)
		}
		if !strings.HasPrefix(p.text, `"`) {
			items = append(items, p.text)
			continue
		}
		qs, err := quoted(p.text)
		if err != nil {
			return nil, err
		}
		items = append(items, qs...)
	}
	e.Names = items[:nc]
	if len(items) > nc {
		e.Title = items[nc]
		return e, e.check()
	}

	// Options, then the title; the rest of the file is ignored.
	for {
		ok, err := p.next()
		if err != nil {
			return nil, err
		}
		if !ok {
			return e, e.check()
		}
		if strings.HasPrefix(p.text, "[") {
			if err := p.option(e); err != nil {
				return nil, err
			}
			continue
		}
		if strings.HasPrefix(p.text, `"`) {
			qs, err := quoted(p.text)
			if err != nil {
				return nil, err
			}
			e.Title = qs[0]
		} else {
			e.Title = p.text
		}
		return e, e.check()
	}
}

// check validates what depends on the whole file.
func (e *Election) check() error {
	if e.TieOrder != nil {
		seen := make([]bool, e.Candidates+1)
		for _, c := range e.TieOrder {
			if seen[c] {
				return fmt.Errorf("[tie]: candidate %d listed twice", c)
			}
			seen[c] = true
		}
		if len(e.TieOrder) != e.Candidates {
			return fmt.Errorf("[tie] lists %d of %d candidates", len(e.TieOrder), e.Candidates)
		}
	}
	return nil
}

func (e *Election) withdraw(c int) error {
	if c < 1 || c > e.Candidates {
		return fmt.Errorf("withdrawn candidate %d out of range 1..%d", c, e.Candidates)
	}
	if i, found := slices.BinarySearch(e.Withdrawn, c); !found {
		e.Withdrawn = slices.Insert(e.Withdrawn, i, c)
	}
	return nil
}

// option reads one "[keyword args…]" line.
func (p *parser) option(e *Election) error {
	if !strings.HasSuffix(p.text, "]") {
		return fmt.Errorf("option %q not closed by ] on its line", p.text)
	}
	f := strings.Fields(p.text[1 : len(p.text)-1])
	if len(f) == 0 {
		return nil
	}
	switch f[0] {
	case "nick":
		if len(f)-1 != e.Candidates {
			return fmt.Errorf("[nick] names %d of %d candidates", len(f)-1, e.Candidates)
		}
		p.nickname = make(map[string]int, e.Candidates)
		for i, n := range f[1:] {
			if _, err := strconv.Atoi(n); err == nil || strings.ContainsAny(n, "=-()") {
				return fmt.Errorf("[nick]: %q cannot be a nickname", n)
			}
			if _, dup := p.nickname[n]; dup {
				return fmt.Errorf("[nick]: %q used twice", n)
			}
			p.nickname[n] = i + 1
		}
		e.Nicknames = f[1:]
	case "tie":
		e.TieOrder = e.TieOrder[:0]
		for _, t := range f[1:] {
			c, err := p.candidate(t, e.Candidates)
			if err != nil {
				return err
			}
			e.TieOrder = append(e.TieOrder, c)
		}
	case "withdrawn":
		for _, t := range f[1:] {
			c, err := p.candidate(t, e.Candidates)
			if err != nil {
				return err
			}
			if err := e.withdraw(c); err != nil {
				return err
			}
		}
	}
	return nil
}

// candidate reads a candidate number or nickname.
func (p *parser) candidate(t string, nc int) (int, error) {
	if c, ok := p.nickname[t]; ok {
		return c, nil
	}
	c, err := strconv.Atoi(t)
	if err != nil || c < 1 || c > nc {
		return 0, fmt.Errorf("%q is not a candidate (1..%d)", t, nc)
	}
	return c, nil
}

// ballot reads the current line as "[(id)] weight ranks… 0".
func (p *parser) ballot(nc int) (Ballot, error) {
	f := strings.Fields(p.text)
	if strings.HasPrefix(f[0], "(") {
		if !strings.HasSuffix(f[0], ")") {
			return Ballot{}, fmt.Errorf("ballot id %q not closed by )", f[0])
		}
		f = f[1:]
	}
	if len(f) < 2 || f[len(f)-1] != "0" {
		return Ballot{}, fmt.Errorf("ballot line %q does not end with 0", p.text)
	}
	w, err := strconv.ParseInt(f[0], 10, 64)
	if err != nil || w < 1 || w > MaxWeight {
		return Ballot{}, fmt.Errorf("ballot weight %q: want an integer 1..%d", f[0], int64(MaxWeight))
	}
	b := Ballot{Weight: w, Ranking: []int{}, Overvote: -1}
	var ranks [][]int
	raw := false // some position is not a plain new candidate
	seen := make(map[int]bool, len(f))
	for _, t := range f[1 : len(f)-1] {
		var pos []int
		if t != "-" {
			for _, m := range strings.Split(t, "=") {
				if m == "-" {
					pos = append(pos, 0)
					continue
				}
				c, err := p.candidate(m, nc)
				if err != nil {
					return Ballot{}, err
				}
				pos = append(pos, c)
			}
		}
		ranks = append(ranks, pos)
		switch {
		case len(pos) == 1 && !seen[pos[0]]:
			seen[pos[0]] = true
			if b.Overvote < 0 {
				b.Ranking = append(b.Ranking, pos[0])
			}
		case len(pos) > 1 && b.Overvote < 0:
			b.Overvote = len(b.Ranking)
			raw = true
		default:
			raw = true
		}
	}
	if raw {
		if ranks == nil {
			ranks = [][]int{}
		}
		for i := range ranks {
			if ranks[i] == nil {
				ranks[i] = []int{}
			}
		}
		b.Ranks = ranks
	}
	return b, nil
}

// quoted splits a line of one or more "quoted strings"; text after the last
// closing quote that is not another quoted string ends the list.
func quoted(s string) ([]string, error) {
	var out []string
	for strings.HasPrefix(s, `"`) {
		end := strings.IndexByte(s[1:], '"')
		if end < 0 {
			return nil, fmt.Errorf("unterminated quoted string %q", s)
		}
		out = append(out, s[1:1+end])
		s = strings.TrimSpace(s[end+2:])
	}
	return out, nil
}

// Format writes e as a standard BLT file with quoted names (unquoted when a
// name holds a quote), so that Parse reads back an equal Election.
func Format(w io.Writer, e *Election) error {
	if e.Candidates < 1 || e.Candidates > MaxCandidates || e.Seats < 1 || e.Seats > e.Candidates {
		return fmt.Errorf("blt: bad header %d %d", e.Candidates, e.Seats)
	}
	if len(e.Names) != e.Candidates {
		return fmt.Errorf("blt: %d names for %d candidates", len(e.Names), e.Candidates)
	}
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "%d %d\n", e.Candidates, e.Seats)
	if len(e.Withdrawn) > 0 {
		for i, c := range e.Withdrawn {
			if c < 1 || c > e.Candidates {
				return fmt.Errorf("blt: withdrawn candidate %d out of range", c)
			}
			if i > 0 {
				bw.WriteByte(' ')
			}
			fmt.Fprintf(bw, "-%d", c)
		}
		bw.WriteByte('\n')
	}
	if e.Nicknames != nil {
		fmt.Fprintf(bw, "[nick %s]\n", strings.Join(e.Nicknames, " "))
	}
	if e.TieOrder != nil {
		bw.WriteString("[tie")
		for _, c := range e.TieOrder {
			fmt.Fprintf(bw, " %d", c)
		}
		bw.WriteString("]\n")
	}
	for i, b := range e.Ballots {
		if b.Weight < 1 || b.Weight > MaxWeight {
			return fmt.Errorf("blt: ballot %d: weight %d out of range", i+1, b.Weight)
		}
		fmt.Fprintf(bw, "%d", b.Weight)
		if b.Ranks != nil {
			for _, pos := range b.Ranks {
				bw.WriteByte(' ')
				if len(pos) == 0 {
					bw.WriteByte('-')
				}
				for j, c := range pos {
					if j > 0 {
						bw.WriteByte('=')
					}
					if c == 0 {
						bw.WriteByte('-')
					} else {
						fmt.Fprintf(bw, "%d", c)
					}
				}
			}
		} else {
			for _, c := range b.Ranking {
				fmt.Fprintf(bw, " %d", c)
			}
		}
		bw.WriteString(" 0\n")
	}
	bw.WriteString("0\n")
	for _, n := range e.Names {
		if err := writeString(bw, n, false); err != nil {
			return err
		}
	}
	if err := writeString(bw, e.Title, true); err != nil {
		return err
	}
	return bw.Flush()
}

// writeString writes one name or title line.
func writeString(w *bufio.Writer, s string, title bool) error {
	if strings.ContainsAny(s, "\r\n") {
		return fmt.Errorf("blt: %q holds a line break", s)
	}
	if !strings.Contains(s, `"`) {
		_, err := fmt.Fprintf(w, "\"%s\"\n", s)
		return err
	}
	if s != strings.TrimSpace(s) || strings.HasPrefix(s, `"`) || (title && strings.HasPrefix(s, "[")) {
		return fmt.Errorf("blt: %q cannot be written as a BLT name", s)
	}
	_, err := fmt.Fprintf(w, "%s\n", s)
	return err
}

// scanLines splits at "\n", "\r\n" and a lone "\r" (old Mac files), so
// that no line a parser sees holds a line break.
func scanLines(data []byte, atEOF bool) (advance int, token []byte, err error) {
	for i, b := range data {
		switch b {
		case '\n':
			return i + 1, data[:i], nil
		case '\r':
			if i+1 < len(data) {
				if data[i+1] == '\n' {
					return i + 2, data[:i], nil
				}
				return i + 1, data[:i], nil
			}
			if atEOF {
				return i + 1, data[:i], nil
			}
			return 0, nil, nil // a "\n" may follow
		}
	}
	if atEOF && len(data) > 0 {
		return len(data), data, nil
	}
	return 0, nil, nil
}
