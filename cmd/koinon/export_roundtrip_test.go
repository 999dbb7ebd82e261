package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"koinon"
	"koinon/internal/auth"
	"koinon/internal/store"
	"koinon/internal/store/storetest"
	"koinon/internal/web"
	"koinon/internal/web/resultstest"
)

// TestExportsRecountWithTally: the result page's exports re-import into
// `koinon tally` with the platform's winners. The BLT export is counted by
// `koinon tally --blt --tiebreak file` (its candidates are listed in the
// reverse of the ballot's tie-break order); ballots.csv becomes a tally
// document whose electorate is the carriers with their weights W(c) and
// is counted by `koinon tally FILE` (same votes, so the same votes_root
// and tie-break order).
func TestExportsRecountWithTally(t *testing.T) {
	st := storetest.SQLite(t)
	signer := resultstest.NewSigner("roundtrip")
	c := resultstest.NewCommunity(t, st, "recount", true, []string{"ann", "bob", "cy", "dee", "eve", "fay", "gus", "hal"}, map[string]int64{"ann": 3})
	c.Delegate(t, "dee", "ann")
	c.Delegate(t, "eve", "bob")
	c.Delegate(t, "fay", "eve")
	specs := []struct {
		spec  resultstest.Spec
		flags []string
	}{
		{resultstest.Spec{Title: "Chair", Method: "irv", Options: []string{"ada", "bea", "cai", "dov"}, Votes: map[string]string{
			"ann": `["bea","ada"]`, "bob": `["ada","cai"]`, "cy": `["cai","dov"]`, "gus": `["dov","cai","ada"]`, "hal": `["cai"]`}}, nil},
		{resultstest.Spec{Title: "Board (Meek)", Method: "stv", Seats: 2, Options: []string{"ada", "bea", "cai", "dov", "eli"}, Votes: map[string]string{
			"ann": `["ada","bea"]`, "bob": `["bea","cai"]`, "cy": `["cai","bea"]`, "gus": `["dov","eli","cai"]`, "hal": `["eli","dov"]`}}, []string{"--stv-rule", "meek"}},
		{resultstest.Spec{Title: "Board (Scottish)", Method: "stv", STVRule: "scottish", Seats: 2, Options: []string{"ada", "bea", "cai", "dov"}, Votes: map[string]string{
			"ann": `["ada","bea"]`, "bob": `["bea","cai"]`, "cy": `["cai","bea"]`, "gus": `["dov","cai"]`, "hal": `["cai"]`}}, []string{"--stv-rule", "scottish"}},
		{resultstest.Spec{Title: "Roadmap", Method: "schulze", Options: []string{"x", "y", "z"}, Votes: map[string]string{
			"ann": `[["x"],["y"],["z"]]`, "bob": `[["y"],["z"],["x"]]`, "cy": `[["z"],["x"],["y"]]`, "gus": `[["y"],["x"],["z"]]`}}, []string{"--method", "schulze"}},
		// Ties everywhere: only the tie-break order decides.
		{resultstest.Spec{Title: "Tied", Method: "irv", Options: []string{"p", "q", "r"}, Votes: map[string]string{
			"cy": `["p"]`, "gus": `["q"]`, "hal": `["r"]`}}, nil},
	}
	srv, err := web.New(web.Deps{Store: st, Tokens: auth.NewTokens([]byte("0123456789abcdef0123456789abcdef"), nil), Assets: koinon.Assets, Signer: signer})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	dir := t.TempDir()
	for _, tc := range specs {
		t.Run(tc.spec.Title, func(t *testing.T) {
			b := c.Closed(t, signer, tc.spec)
			var res struct {
				Winners []string `json:"winners"`
			}
			if err := json.Unmarshal([]byte(*b.ResultJSON), &res); err != nil {
				t.Fatal(err)
			}
			labels := map[string]string{}
			opts, _ := st.BallotOptions(context.Background(), b.ID)
			for _, o := range opts {
				labels[o.Key] = o.Label
			}
			var want []string
			for _, k := range res.Winners {
				want = append(want, labels[k])
			}
			base := ts.URL + "/api/v1/ballots/" + strconv.FormatInt(b.ID, 10) + "/export/"

			// BLT → koinon tally --blt --tiebreak file.
			bltFile := filepath.Join(dir, strconv.FormatInt(b.ID, 10)+".blt")
			os.WriteFile(bltFile, fetch(t, base+"ballots.blt"), 0o644)
			args := append([]string{"tally", "--blt", "--tiebreak", "file"}, tc.flags...)
			out := tallyCLI(t, append(args, bltFile)...)
			var got []string
			for _, k := range out.Result.Winners {
				got = append(got, out.label(k))
			}
			if !slices.Equal(got, want) {
				t.Errorf("BLT recount winners %v, platform %v\n%s", got, want, fetch(t, base+"ballots.blt"))
			}

			// ballots.csv → a tally document → koinon tally FILE.
			doc := csvDocument(t, b, opts, fetch(t, base+"ballots.csv"))
			docFile := filepath.Join(dir, strconv.FormatInt(b.ID, 10)+".json")
			os.WriteFile(docFile, doc, 0o644)
			out = tallyCLI(t, "tally", docFile)
			if !slices.Equal(out.Result.Winners, res.Winners) {
				t.Errorf("CSV recount winners %v, platform %v", out.Result.Winners, res.Winners)
			}
			// result.csv states the same first-round totals as the recount.
			rows, err := csv.NewReader(bytes.NewReader(fetch(t, base+"result.csv"))).ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			if len(rows) < 2 || rows[0][0] != "round" {
				t.Errorf("result.csv: %v", rows)
			}
		})
	}
}

type tallyOut struct {
	Ballot struct {
		Options []struct{ Key, Label string } `json:"options"`
	} `json:"ballot"`
	Result struct {
		Winners []string `json:"winners"`
	} `json:"result"`
}

func (o tallyOut) label(key string) string {
	for _, op := range o.Ballot.Options {
		if op.Key == key {
			return op.Label
		}
	}
	return key
}

// tallyCLI runs the koinon command in-process, as the binary would.
func tallyCLI(t *testing.T, args ...string) tallyOut {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), env{args: args, getenv: func(string) string { return "" }, stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr})
	if code != 0 {
		t.Fatalf("koinon %s: exit %d: %s", strings.Join(args, " "), code, stderr.String())
	}
	var out tallyOut
	if err := json.Unmarshal(stdout.Bytes(), &out); err != nil {
		t.Fatalf("koinon %s: %v", strings.Join(args, " "), err)
	}
	return out
}

// csvDocument turns ballots.csv (voter,weight,choice) into a tally
// document: each carrier is an electorate entry of weight W(c) without
// delegates, voting its choice.
func csvDocument(t *testing.T, b store.Ballot, opts []store.BallotOption, body []byte) []byte {
	t.Helper()
	rows, err := csv.NewReader(bytes.NewReader(body)).ReadAll()
	if err != nil || len(rows) == 0 || !slices.Equal(rows[0], []string{"voter", "weight", "choice"}) {
		t.Fatalf("ballots.csv: %v %v", err, rows)
	}
	type entry struct {
		Voter     string   `json:"voter"`
		Weight    int64    `json:"weight"`
		Delegates []string `json:"delegates"`
	}
	type vote struct {
		Voter  string          `json:"voter"`
		Choice json.RawMessage `json:"choice"`
	}
	var el []entry
	var votes []vote
	for _, r := range rows[1:] {
		w, err := strconv.ParseInt(r[1], 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		el = append(el, entry{r[0], w, []string{}})
		votes = append(votes, vote{r[0], json.RawMessage(r[2])})
	}
	options := []map[string]string{}
	for _, o := range opts {
		options = append(options, map[string]string{"key": o.Key, "label": o.Label})
	}
	ballot := map[string]any{"id": strconv.FormatInt(b.ID, 10), "title": b.Title, "community": "recount", "topic": nil,
		"method": b.Method, "options": options, "seats": b.Seats, "threshold": b.Threshold, "strict": b.Strict,
		"quorum": "0/1", "delegation": false, "secrecy": b.Secrecy, "opens_at": "2026-01-01T00:00:00Z", "closes_at": "2026-01-02T00:00:00Z"}
	if b.Method == "stv" {
		ballot["stv_rule"] = b.STVRule
	}
	doc, err := json.Marshal(map[string]any{"format": "koinon-tally-proof/1", "ballot": ballot, "electorate": el, "votes": votes})
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func fetch(t *testing.T, url string) []byte {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 {
		t.Fatalf("GET %s = %d: %s", url, res.StatusCode, b)
	}
	return b
}
