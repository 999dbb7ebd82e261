package web_test

import (
	"fmt"
	"html"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"koinon/internal/store"
	"koinon/internal/store/sqlstore"
	"koinon/internal/store/storetest"
	"koinon/internal/web/resultstest"
)

// closingTimes finds the datetime attributes of the <dd class="CLASS">
// elements of a page.
func closingTimes(body, class string) []string {
	re := regexp.MustCompile(`<dd class="` + class + `"><time datetime="([^"]+)"`)
	var out []string
	for _, m := range re.FindAllStringSubmatch(body, -1) {
		out = append(out, m[1])
	}
	return out
}

// A ballot closed before its planned time shows when it actually closed,
// and its planned time only labelled as planned: on the ballot page, the
// result and audit pages, and in the ballot and community lists.
func TestClosedBallotShowsActualClosingTime(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *sqlstore.Store) {
		f := newResultsFixture(t, st)
		ts, _ := resultsServer(t, st)
		b := f.Ballots["Pick a logo"]
		if b.ClosedAt == nil || !b.ClosedAt.Before(b.ClosesAt) {
			t.Fatalf("fixture ballot should have closed early: closed %v, planned %v", b.ClosedAt, b.ClosesAt)
		}
		closed, planned := b.ClosedAt.UTC().Format(time.RFC3339), b.ClosesAt.UTC().Format(time.RFC3339)
		for _, path := range []string{"", "/results", "/audit"} {
			_, _, body := get(t, ts.URL+"/ballots/"+itoa(b.ID)+path, "")
			if got := closingTimes(body, "closing-at"); len(got) != 1 || got[0] != closed {
				t.Errorf("/ballots/%d%s: closing time %v, want the actual %s", b.ID, path, got, closed)
			}
			if got := closingTimes(body, "closing-planned"); len(got) != 1 || got[0] != planned {
				t.Errorf("/ballots/%d%s: planned time %v, want %s", b.ID, path, got, planned)
			}
			if !strings.Contains(body, "<dt>Closed</dt>") || !strings.Contains(body, "<dt>Planned closing</dt>") {
				t.Errorf("/ballots/%d%s: closing times are not labelled Closed / Planned closing", b.ID, path)
			}
			if strings.Contains(body, "<dt>Closes</dt>") {
				t.Errorf("/ballots/%d%s: a closed ballot says Closes", b.ID, path)
			}
		}
		for _, path := range []string{"/communities/commons/ballots", "/communities/commons"} {
			_, _, body := get(t, ts.URL+path, "")
			i := strings.Index(body, "Pick a logo")
			if i < 0 {
				t.Fatalf("%s does not list the ballot", path)
			}
			row, _, _ := strings.Cut(body[i:], "\n")
			if !strings.Contains(row, "Closed <time datetime=\""+closed+"\"") || !strings.Contains(row, "Planned closing <time datetime=\""+planned+"\"") {
				t.Errorf("%s: the row of a closed ballot does not say when it closed and was planned: %s", path, row)
			}
		}
	})
}

// shareCells maps each row label of the first table after marker to its
// last numeric cell ending in %.
func shareCells(t *testing.T, body, marker string) map[string]string {
	t.Helper()
	i := strings.Index(body, marker)
	if i < 0 {
		t.Fatalf("page lacks %q", marker)
	}
	table := body[i:]
	table = table[:strings.Index(table, "</table>")]
	re := regexp.MustCompile(`<tr[^>]*><t[hd][^>]*>([^<]+)</t[hd]><td class="num">\d+</td><td class="num">([^<]+)</td>`)
	out := map[string]string{}
	for _, m := range re.FindAllStringSubmatch(table, -1) {
		out[m[1]] = m[2]
	}
	if len(out) == 0 {
		t.Fatalf("no share rows after %q in %s", marker, table)
	}
	return out
}

// Every page writes the same share of the same option, rounded by one rule
// (one decimal, half up) of one base (the counted weight), and says so.
func TestSharesAgreeBetweenPages(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *sqlstore.Store) {
		f := newResultsFixture(t, st)
		ts, _ := resultsServer(t, st)
		for _, title := range []string{"Pick a logo", "Meeting days", "Chair"} {
			b := f.Ballots[title]
			r := storedResult(t, b)
			_, _, show := get(t, ts.URL+"/ballots/"+itoa(b.ID), "")
			_, _, res := get(t, ts.URL+"/ballots/"+itoa(b.ID)+"/results", "")
			onBallot := shareCells(t, show, `class="ballots-totals"`)
			onResults := shareCells(t, res, `id="totals-h"`)
			for _, o := range optionsOf(t, st, b.ID) {
				want := shareOf(r.Totals[o.Key], r.Weights.Participating)
				if onBallot[o.Label] != want || onResults[o.Label] != want {
					t.Errorf("%s, %s: ballot page %q, results page %q, want %q of %d counted weight",
						title, o.Label, onBallot[o.Label], onResults[o.Label], want, r.Weights.Participating)
				}
			}
			for name, body := range map[string]string{"ballot": show, "results": res} {
				if !strings.Contains(body, "Share of counted weight") {
					t.Errorf("%s: the %s page does not say what its percentages are of", title, name)
				}
			}
		}
	})
}

// shareOf is the documented rule, written out independently: one decimal,
// half up.
func shareOf(part, total int64) string {
	tenths := (part*1000 + total/2) / total
	return itoa(tenths/10) + "." + itoa(tenths%10) + "%"
}

// truthSpecs are ballots whose results are easy to misstate: no winner
// for want of quorum, and ties that the tie-break order decided.
var truthSpecs = []resultstest.Spec{
	{Title: "Chair without quorum", Method: "irv", Quorum: "9/10", Options: []string{"ada", "bea", "cai"}, Votes: map[string]string{
		"a": `["ada","bea"]`, "b": `["bea"]`, "c": `["bea","ada"]`, "d": `["cai","bea"]`}},
	{Title: "Board without quorum", Method: "stv", Seats: 2, Quorum: "9/10", Options: []string{"ada", "bea", "cai"}, Votes: map[string]string{
		"a": `["ada","bea"]`, "b": `["bea"]`, "c": `["bea","ada"]`, "d": `["cai","bea"]`}},
	{Title: "Tied days", Method: "approval", Options: []string{"mon", "tue", "wed"}, Votes: map[string]string{
		"a": `["mon","tue"]`, "b": `["tue","mon"]`, "c": `["wed"]`}},
	{Title: "Tied logo", Method: "plurality", Options: []string{"circle", "square", "star"}, Votes: map[string]string{
		"a": `"circle"`, "b": `"square"`, "c": `"star"`, "d": `"square"`, "e": `"star"`}},
	{Title: "Tied ranking", Method: "schulze", Options: []string{"x", "y", "z"}, Votes: map[string]string{
		"a": `[["x"],["y"],["z"]]`, "b": `[["y"],["x"],["z"]]`}},
	{Title: "Tied board", Method: "stv", Seats: 2, Options: []string{"ada", "bea", "cai", "dov"}, Votes: map[string]string{
		"a": `["ada"]`, "b": `["ada"]`, "c": `["ada"]`, "d": `["bea"]`, "e": `["cai"]`, "f": `["dov"]`, "g": `["dov"]`}},
	{Title: "Tied chair", Method: "irv", Options: []string{"ada", "bea", "cai"}, Votes: map[string]string{
		"a": `["ada"]`, "b": `["ada"]`, "c": `["ada"]`, "d": `["bea","ada"]`, "e": `["bea","ada"]`, "f": `["cai","bea"]`, "g": `["cai","bea"]`}},
}

// newTruthFixture closes truthSpecs in a community of eight members
// (a … h, weight 1, no delegations).
func newTruthFixture(t *testing.T, st *sqlstore.Store) map[string]store.Ballot {
	t.Helper()
	c := resultstest.NewCommunity(t, st, "truth", true, []string{"a", "b", "c", "d", "e", "f", "g", "h"}, nil)
	signer := resultstest.NewSigner("test")
	out := map[string]store.Ballot{}
	for _, sp := range truthSpecs {
		out[sp.Title] = c.Closed(t, signer, sp)
	}
	return out
}

// visibleText is a page without its tags (and without the svg charts'
// markup), to check sentences a reader sees.
func visibleText(body string) string {
	return html.UnescapeString(regexp.MustCompile(`<[^>]+>`).ReplaceAllString(body, " "))
}

// When the quorum is not met, nobody is "elected" anywhere: not in the
// outcome, the round table, "What happened", the chart or the export.
func TestNoQuorumRoundsSayWouldHaveBeenElected(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *sqlstore.Store) {
		bs := newTruthFixture(t, st)
		ts, _ := resultsServer(t, st)
		for _, title := range []string{"Chair without quorum", "Board without quorum"} {
			b := bs[title]
			if r := storedResult(t, b); r.QuorumMet || len(r.Winners) != 0 {
				t.Fatalf("%s: fixture should miss its quorum: %+v", title, r)
			}
			_, _, body := get(t, ts.URL+"/ballots/"+itoa(b.ID)+"/results", "")
			text := visibleText(body)
			said := strings.NewReplacer("would have been elected", "", "Nobody was elected", "", "quota are elected", "").Replace(text)
			if regexp.MustCompile(`\belected\b`).MatchString(said) {
				t.Errorf("%s: the page says someone was elected although nobody was: %s", title,
					regexp.MustCompile(`.{0,60}\belected.{0,20}`).FindAllString(said, 5))
			}
			if !strings.Contains(text, "would have been elected") || !strings.Contains(text, "quorum was not met") {
				t.Errorf("%s: the rounds do not say who would have been elected", title)
			}
			_, _, csvBody := get(t, ts.URL+"/api/v1/ballots/"+itoa(b.ID)+"/export/result.csv", "")
			if strings.Contains(csvBody, ",elected") || !strings.Contains(csvBody, ",would_be_elected") {
				t.Errorf("%s: result.csv says elected:\n%s", title, csvBody)
			}
		}
	})
}

// Every tie that decided something is shown with the tied options and what
// decided it, with a link to the tie-break order; winners come first.
func TestTiesAreShown(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *sqlstore.Store) {
		bs := newTruthFixture(t, st)
		ts, _ := resultsServer(t, st)
		for _, tc := range []struct {
			title string
			want  []string // in the visible text of the ties box
		}{
			{"Tied days", []string{"Tie for a seat: ", "Mon", "Tue", " each had 2.", "The published tie-break order decided."}},
			{"Tied logo", []string{"Tie for a seat: ", "Square", "Star", " each had 2."}},
			{"Tied board", []string{"Bea, Cai were within the surplus of the lowest vote, so they counted as tied", "The published tie-break order decided."}},
			{"Tied ranking", []string{"Tie in the ranking: none of X, Y beats another."}},
			{"Tied chair", []string{"Round 1: Bea, Cai were tied for the fewest votes (2 each)", "The published tie-break order decided."}},
		} {
			t.Run(tc.title, func(t *testing.T) {
				b := bs[tc.title]
				r := storedResult(t, b)
				_, _, body := get(t, ts.URL+"/ballots/"+itoa(b.ID)+"/results", "")
				i := strings.Index(body, `class="ties"`)
				if i < 0 {
					t.Fatalf("no ties box on the page of %q (winners %v)", tc.title, r.Winners)
				}
				box := visibleText(body[i : i+strings.Index(body[i:], "</div>")])
				for _, w := range tc.want {
					if !strings.Contains(box, w) {
						t.Errorf("ties box lacks %q: %s", w, box)
					}
				}
				if !strings.Contains(body[i:], `href="/ballots/`+itoa(b.ID)+`/audit#tiebreak"`) {
					t.Errorf("no link to the tie-break order")
				}
				if len(r.Winners) > 0 && b.Method != "schulze" {
					won := optionLabel(t, st, b.ID, r.Winners[0])
					if (b.Method == "plurality" || b.Method == "approval") && !strings.Contains(box, "It went to "+won+".") {
						t.Errorf("the box does not say who won the tie (%s): %s", won, box)
					}
					// The winner heads the totals table on both pages.
					for _, page := range []string{"", "/results"} {
						_, _, p := get(t, ts.URL+"/ballots/"+itoa(b.ID)+page, "")
						marker := `class="ballots-totals"`
						if page != "" {
							marker = `id="totals-h"`
						}
						first := regexp.MustCompile(`<tbody>\s*<tr[^>]*><t[hd][^>]*>([^<]+)<`).FindStringSubmatch(p[strings.Index(p, marker):])
						if first == nil || first[1] != won {
							t.Errorf("%s: the totals table starts with %v, not the winner %s", page, first, won)
						}
					}
				}
			})
		}
		_, _, audit := get(t, ts.URL+"/ballots/"+itoa(bs["Tied days"].ID)+"/audit", "")
		if !regexp.MustCompile(`id="tiebreak"[\s\S]*<ol class="tie-order"><li>(Mon|Tue|Wed) `).MatchString(audit) {
			t.Errorf("the audit page does not list the tie-break order")
		}
	})
}

func optionLabel(t *testing.T, st *sqlstore.Store, id int64, key string) string {
	t.Helper()
	for _, o := range optionsOf(t, st, id) {
		if o.Key == key {
			return o.Label
		}
	}
	t.Fatalf("ballot %d has no option %q", id, key)
	return ""
}

// STV rounds show two decimals with the exact figure in a title, translated
// action words, the method as a sentence, and the table in a labelled
// scrolling region; the export keeps the exact figures.
func TestSTVRoundsReadable(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *sqlstore.Store) {
		f := newResultsFixture(t, st)
		ts, _ := resultsServer(t, st)
		b := f.Ballots["Board election"]
		r := storedResult(t, b)
		quota := r.STVRounds[0].Quota // nine decimals
		for _, tc := range []struct {
			lang, method, action string
		}{
			{"en", "Single transferable vote: voters rank the candidates, and 2 seats are filled by Meek&#39;s method.", "Votes counted with the current keep factors"},
			{"de", "Übertragbare Einzelstimme: Die Abstimmenden ordnen die Kandidierenden, und 2 Sitze werden nach dem Verfahren von Meek vergeben.", "Stimmen mit den aktuellen Behaltefaktoren ausgezählt"},
		} {
			req, _ := http.NewRequest("GET", ts.URL+"/ballots/"+itoa(b.ID)+"/results", nil)
			req.Header.Set("Accept-Language", tc.lang)
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			raw, _ := io.ReadAll(res.Body)
			res.Body.Close()
			body := string(raw)
			rounds := body[strings.Index(body, `id="rounds-h"`):]
			rounds = rounds[:strings.Index(rounds, "</section>")]
			if !strings.Contains(body, "<dd>"+tc.method+"</dd>") {
				t.Errorf("%s: the method is not said as a sentence: want %q", tc.lang, tc.method)
			}
			if !strings.Contains(rounds, tc.action) || regexp.MustCompile(`>count\b|\bcount;`).MatchString(rounds) {
				t.Errorf("%s: the round actions are not translated", tc.lang)
			}
			if regexp.MustCompile(`>\d+\.\d{3,}<`).MatchString(rounds) {
				t.Errorf("%s: a round figure shows more than two decimals: %v", tc.lang, regexp.MustCompile(`>\d+\.\d{3,}<`).FindAllString(rounds, 3))
			}
			if want := `title="` + quota + `">` + stvTwo(quota) + `<`; !strings.Contains(rounds, want) {
				t.Errorf("%s: the quota does not show %s with its exact value: want %s", tc.lang, stvTwo(quota), want)
			}
			if !regexp.MustCompile(`<div class="scroll" role="region" aria-labelledby="rounds-caption" tabindex="0">`).MatchString(rounds) {
				t.Errorf("%s: the round table is not in a labelled scrolling region", tc.lang)
			}
		}
		_, _, csvBody := get(t, ts.URL+"/api/v1/ballots/"+itoa(b.ID)+"/export/result.csv", "")
		if !strings.Contains(csvBody, ","+quota+",") {
			t.Errorf("result.csv lacks the exact quota %s", quota)
		}
	})
}

// stvTwo rounds a nine-decimal figure of the fixture to two decimals (half
// up; the figures are positive).
func stvTwo(s string) string {
	whole, frac, _ := strings.Cut(s, ".")
	n, _ := strconv.ParseInt(whole+frac[:2], 10, 64)
	if frac[2] >= '5' {
		n++
	}
	return strconv.FormatInt(n/100, 10) + "." + fmt.Sprintf("%02d", n%100)
}
