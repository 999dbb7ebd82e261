package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"slices"
	"strconv"

	"koinon/internal/blt"
	"koinon/internal/proof"
)

// parseArgs parses flags that may come before or after positional
// arguments, and returns the positional ones.
func parseArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

// readInput reads a file, or standard input for "-".
func readInput(name string, stdin io.Reader) ([]byte, error) {
	if name == "-" {
		return io.ReadAll(stdin)
	}
	return os.ReadFile(name)
}

func cmdTally(ctx context.Context, e env) int {
	fs := flag.NewFlagSet("tally", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Usage = func() {
		fmt.Fprintln(e.stderr, "usage: koinon tally FILE|-                 recount a tally document, print the unsigned proof")
		fmt.Fprintln(e.stderr, "       koinon tally --blt FILE|- [flags]   count a BLT ballot file")
		fmt.Fprintln(e.stderr, "       koinon tally --pb FILE|- [flags]    count a pabulib .pb file (participatory budgeting)")
		fs.PrintDefaults()
	}
	isBLT := fs.Bool("blt", false, "read a BLT ballot file instead of a tally document")
	method := fs.String("method", "", "BLT: irv, schulze, plurality or stv (default: irv for one seat, else stv)")
	rule := fs.String("stv-rule", "meek", "BLT with stv: meek or scottish")
	seats := fs.Int("seats", 0, "BLT: seats to fill (default: the file's header)")
	tiebreak := fs.String("tiebreak", "hash", "BLT, .pb: hash (tally.md §5) or file (BLT: the reverse of the file's [tie] line, else of its candidate order; .pb: the project order)")
	isPB := fs.Bool("pb", false, "read a pabulib .pb file instead of a tally document")
	pbRule := fs.String("rule", "mes", ".pb: mes or greedy")
	completion := fs.String("completion", "add1", ".pb with mes: add1, add1+greedy or none")
	exhaustive := fs.Bool("exhaustive-stop", true, ".pb with mes: stop add1 once the outcome is exhaustive")
	compare := fs.Bool("compare-with-greedy", false, ".pb with mes: use greedy's outcome if more voters prefer it")
	args, err := parseArgs(fs, e.args)
	if err != nil {
		return 2
	}
	if len(args) != 1 {
		fs.Usage()
		return 2
	}
	data, err := readInput(args[0], e.stdin)
	if err != nil {
		fmt.Fprintf(e.stderr, "koinon tally: %v\n", err)
		return 2
	}
	if e.getenv("GOGC") == "" {
		// A count allocates a few large, long-lived structures; collecting
		// half as often saves about a quarter of the CPU time on a million
		// voters for little extra memory.
		defer debug.SetGCPercent(debug.SetGCPercent(200))
	}
	var order []string
	if *isBLT && *isPB {
		fmt.Fprintln(e.stderr, "koinon tally: --blt and --pb exclude each other")
		return 2
	}
	var convert func([]byte) ([]byte, []string, string, error)
	switch {
	case *isPB:
		opts := pbOptions{rule: *pbRule, completion: *completion, tiebreak: *tiebreak, exhaustiveStop: *exhaustive, compare: *compare}
		convert = func(d []byte) ([]byte, []string, string, error) { return pbDocument(d, opts) }
	case *isBLT:
		opts := bltOptions{method: *method, rule: *rule, seats: *seats, tiebreak: *tiebreak}
		convert = func(d []byte) ([]byte, []string, string, error) { return bltDocument(d, opts) }
	}
	if convert != nil {
		var source string
		data, order, source, err = convert(data)
		if err != nil {
			fmt.Fprintf(e.stderr, "koinon tally: %s: %v\n", args[0], err)
			return 2
		}
		fmt.Fprintf(e.stderr, "koinon tally: tie-break order: %s\n", source)
	}
	doc, err := proof.ParseDocument(data)
	if err == nil {
		data, err = proof.TallyWithOrder(doc, order)
	}
	if err != nil {
		fmt.Fprintf(e.stderr, "koinon tally: %s: %v\n", args[0], err)
		var se *proof.SyntaxError
		if errors.As(err, &se) {
			return 2
		}
		return 1
	}
	w := bufio.NewWriterSize(e.stdout, 1<<20)
	_, err = w.Write(data)
	if err == nil {
		err = w.Flush()
	}
	if err != nil {
		fmt.Fprintf(e.stderr, "koinon tally: write: %v\n", err)
		return 1
	}
	return 0
}

type bltOptions struct {
	method, rule, tiebreak string
	seats                  int
}

// bltDocument turns a BLT file into a tally document: candidate i is option
// "i" labelled with its name (withdrawn candidates left out), and each
// ballot line is one electorate entry of the line's weight, with a
// synthetic voter id (b000001, …, zero-padded so that sorting keeps file
// order) voting that ranking. It also returns the tie-break order when the
// file order is asked for (nil for the hash order) and a phrase saying
// which order the count uses.
func bltDocument(data []byte, o bltOptions) ([]byte, []string, string, error) {
	el, err := blt.Parse(bytes.NewReader(data))
	if err != nil {
		return nil, nil, "", err
	}
	seats := el.Seats
	if o.seats != 0 {
		seats = o.seats
	}
	if seats < 1 {
		return nil, nil, "", fmt.Errorf("--seats: must be at least 1, not %d", seats)
	}
	method := o.method
	if method == "" {
		method = "stv"
		if seats == 1 {
			method = "irv"
		}
	}
	if !slices.Contains([]string{"irv", "schulze", "plurality", "stv"}, method) {
		return nil, nil, "", fmt.Errorf("--method: want irv, schulze, plurality or stv, not %q", method)
	}
	if o.tiebreak != "hash" && o.tiebreak != "file" {
		return nil, nil, "", fmt.Errorf("--tiebreak: want hash or file, not %q", o.tiebreak)
	}

	sum := sha256.Sum256(data)
	b := docBallot{
		ID:        "blt-" + hex.EncodeToString(sum[:6]),
		Title:     el.Title,
		Community: "blt",
		Method:    method,
		Seats:     seats,
		Secrecy:   "public",
		OpensAt:   "1970-01-01T00:00:00Z", // a BLT file has no voting period
		ClosesAt:  "1970-01-01T00:00:00Z",
	}
	if method == "stv" {
		b.STVRule = o.rule
	}
	var order []string
	for c := 1; c <= el.Candidates; c++ {
		if slices.Contains(el.Withdrawn, c) {
			continue
		}
		name := "Candidate " + strconv.Itoa(c)
		if c <= len(el.Names) && el.Names[c-1] != "" {
			name = el.Names[c-1]
		}
		b.Options = append(b.Options, docOption{Key: strconv.Itoa(c), Label: name})
		order = append([]string{strconv.Itoa(c)}, order...)
	}
	width := max(6, len(strconv.Itoa(len(el.Ballots))))
	electorate := make([]docEntry, 0, len(el.Ballots))
	votes := make([]docVote, 0, len(el.Ballots))
	for i, bl := range el.Ballots {
		if bl.Weight < 1 {
			continue
		}
		voter := fmt.Sprintf("b%0*d", width, i+1)
		electorate = append(electorate, docEntry{Voter: voter, Weight: bl.Weight, Delegates: []string{}})
		ranking := make([]string, 0, len(bl.Ranking))
		for _, c := range bl.Ranking {
			if !slices.Contains(el.Withdrawn, c) {
				ranking = append(ranking, strconv.Itoa(c))
			}
		}
		var choice any = ranking
		switch method {
		case "plurality":
			if len(ranking) == 0 {
				continue // a blank ballot names no option: no vote
			}
			choice = ranking[0]
		case "schulze":
			groups := make([][]string, len(ranking))
			for j, k := range ranking {
				groups[j] = []string{k}
			}
			choice = groups
		}
		votes = append(votes, docVote{Voter: voter, Choice: choice})
	}
	doc, err := marshalDocument(b, electorate, votes)
	if err != nil {
		return nil, nil, "", err
	}
	if o.tiebreak == "hash" {
		return doc, nil, "hash of the votes root (tally.md §5)", nil
	}
	if el.TieOrder != nil {
		return doc, fileTieOrder(el.TieOrder, el.Withdrawn), "reverse of the file's [tie] line", nil
	}
	return doc, order, "reverse of the file's candidate order", nil
}

// docBallot, docOption, docEntry and docVote are the parts of a tally
// document that bltDocument and pbDocument write.
type docBallot struct {
	ID                string      `json:"id"`
	Title             string      `json:"title"`
	Community         string      `json:"community"`
	Topic             *string     `json:"topic"`
	Method            string      `json:"method"`
	Options           []docOption `json:"options"`
	Seats             int         `json:"seats,omitempty"`
	STVRule           string      `json:"stv_rule,omitempty"`
	Budget            *int64      `json:"budget,omitempty"`
	Currency          *string     `json:"currency,omitempty"`
	BudgetRule        string      `json:"budget_rule,omitempty"`
	Completion        string      `json:"completion,omitempty"`
	ExhaustiveStop    *bool       `json:"exhaustive_stop,omitempty"`
	CompareWithGreedy bool        `json:"compare_with_greedy,omitempty"`
	Delegation        bool        `json:"delegation"`
	Secrecy           string      `json:"secrecy"`
	OpensAt           string      `json:"opens_at"`
	ClosesAt          string      `json:"closes_at"`
}

type docOption struct {
	Key   string `json:"key"`
	Label string `json:"label"`
	Cost  int64  `json:"cost,omitempty"`
}

type docEntry struct {
	Voter     string   `json:"voter"`
	Weight    int64    `json:"weight"`
	Delegates []string `json:"delegates"`
}

type docVote struct {
	Voter  string `json:"voter"`
	Choice any    `json:"choice"`
}

func marshalDocument(b docBallot, electorate []docEntry, votes []docVote) ([]byte, error) {
	return json.Marshal(struct {
		Format     string     `json:"format"`
		Ballot     docBallot  `json:"ballot"`
		Electorate []docEntry `json:"electorate"`
		Votes      []docVote  `json:"votes"`
	}{proof.Format, b, electorate, votes})
}

// fileTieOrder turns a BLT "[tie …]" line, which lists candidates from the
// one that loses every tie to the one that wins (Droop's convention, as the
// candidate order is when the line is absent), into a Koinon tie-break
// order (earlier wins, tally.md §5) over the option keys: reversed, with
// withdrawn candidates left out.
func fileTieOrder(tie, withdrawn []int) []string {
	order := make([]string, 0, len(tie))
	for _, c := range slices.Backward(tie) {
		if !slices.Contains(withdrawn, c) {
			order = append(order, strconv.Itoa(c))
		}
	}
	return order
}
