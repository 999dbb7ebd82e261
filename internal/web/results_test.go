package web_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"html/template"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"koinon"
	"koinon/internal/auth"
	"koinon/internal/blt"
	"koinon/internal/store"
	"koinon/internal/store/sqlstore"
	"koinon/internal/store/storetest"
	"koinon/internal/tally"
	"koinon/internal/web"
	"koinon/internal/web/resultstest"
)

var testTokenKey = []byte("0123456789abcdef0123456789abcdef")

// resultsServer starts the real server with a platform key and returns a
// function that makes a bearer token for a citizen.
func resultsServer(t *testing.T, st *sqlstore.Store) (*httptest.Server, func(c store.Citizen) string) {
	t.Helper()
	tokens := auth.NewTokens(testTokenKey, nil)
	srv, err := web.New(web.Deps{Store: st, Tokens: tokens, Assets: koinon.Assets, Signer: resultstest.NewSigner("test")})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	return ts, func(c store.Citizen) string {
		tok, _, err := tokens.Issue(c.ID, c.Handle, c.TokenVersion)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
}

// resultsFixture is a community with one closed ballot of every kind.
//
// Members (weight 1, ann 2): ann, bob, cy, dee, eve, fay, gus, hal, ivy,
// jo, kim, lee. Delegations: dee → ann; eve → dee (two hops to ann);
// fay → gus and gus → fay (a cycle: lost unless one of them votes);
// hal → ivy; kim → hal (two hops to ivy). jo and lee have none.
type resultsFixture struct {
	C       *resultstest.Community
	Ballots map[string]store.Ballot
}

var fixtureSpecs = []resultstest.Spec{
	{Title: "Adopt the code of conduct", Method: "majority", Votes: map[string]string{
		"ann": `"yes"`, "bob": `"no"`, "cy": `"yes"`, "ivy": `"abstain"`}},
	{Title: "Pick a logo", Method: "plurality", Options: []string{"circle", "square", "triangle"}, Votes: map[string]string{
		"ann": `"circle"`, "bob": `"square"`, "cy": `"square"`, "ivy": `"triangle"`}},
	{Title: "Meeting days", Method: "approval", Options: []string{"mon", "tue", "wed"}, Votes: map[string]string{
		"ann": `["mon","tue"]`, "bob": `["tue"]`, "cy": `["wed","tue"]`, "ivy": `[]`}},
	{Title: "Chair", Method: "irv", Options: []string{"ada", "bea", "cai", "dov"}, Votes: map[string]string{
		"ann": `["bea","ada"]`, "bob": `["ada","cai"]`, "cy": `["cai","dov"]`, "ivy": `["dov","cai","ada"]`, "lee": `["cai"]`}},
	{Title: "Board election", Method: "stv", Seats: 2, Options: []string{"ada", "bea", "cai", "dov", "eli"}, Votes: map[string]string{
		"ann": `["ada","bea"]`, "bob": `["bea","cai"]`, "cy": `["cai","bea"]`, "ivy": `["dov","eli","cai"]`, "lee": `["eli","dov"]`, "jo": `["bea"]`}},
	{Title: "Board election (Scottish rules)", Method: "stv", STVRule: "scottish", Seats: 2, Options: []string{"ada", "bea", "cai", "dov"}, Votes: map[string]string{
		"ann": `["ada","bea"]`, "bob": `["bea","cai"]`, "cy": `["cai","bea"]`, "ivy": `["dov","cai"]`, "lee": `["cai"]`}},
	{Title: "Roadmap priorities", Method: "schulze", Options: []string{"x", "y", "z"},
		Labels: map[string]string{"x": "Docs <first> & \"foremost\"", "y": "Yield", "z": "Zen"}, Votes: map[string]string{
			"ann": `[["x"],["y"],["z"]]`, "bob": `[["y"],["z"],["x"]]`, "cy": `[["z"],["x"],["y"]]`, "ivy": `[["y"],["x"],["z"]]`}},
	{Title: "Budget", Method: "majority", Secrecy: "pseudonymous", Quorum: "2/3", Votes: map[string]string{
		"ann": `"yes"`, "ivy": `"no"`}},
}

func newResultsFixture(t *testing.T, st *sqlstore.Store) *resultsFixture {
	t.Helper()
	c := resultstest.NewCommunity(t, st, "commons", true,
		[]string{"ann", "bob", "cy", "dee", "eve", "fay", "gus", "hal", "ivy", "jo", "kim", "lee"}, map[string]int64{"ann": 2})
	c.Delegate(t, "dee", "ann")
	c.Delegate(t, "eve", "dee")
	c.Delegate(t, "fay", "gus")
	c.Delegate(t, "gus", "fay")
	c.Delegate(t, "hal", "ivy")
	c.Delegate(t, "kim", "hal")
	f := &resultsFixture{C: c, Ballots: map[string]store.Ballot{}}
	signer := resultstest.NewSigner("test")
	for _, sp := range fixtureSpecs {
		f.Ballots[sp.Title] = c.Closed(t, signer, sp)
	}
	return f
}

func get(t *testing.T, url, token string) (int, http.Header, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, res.Header, string(b)
}

func storedResult(t *testing.T, b store.Ballot) tally.Result {
	t.Helper()
	var r tally.Result
	if b.ResultJSON == nil {
		t.Fatalf("ballot %q has no result", b.Title)
	}
	if err := json.Unmarshal([]byte(*b.ResultJSON), &r); err != nil {
		t.Fatal(err)
	}
	return r
}

func TestResultPages(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *sqlstore.Store) {
		f := newResultsFixture(t, st)
		ts, _ := resultsServer(t, st)
		for _, tc := range []struct {
			title string
			want  []string
		}{
			{"Adopt the code of conduct", []string{"Passed: the yes votes reached the threshold.", "threshold 1/2 of yes + no = 3", ">5<", "Voted directly", "Lost in delegation"}},
			{"Pick a logo", []string{"Winner:", "<li>Circle</li>", "✓ 4"}},
			{"Meeting days", []string{"<li>Tue</li>", "Approval"}},
			{"Chair", []string{"Round by round", "Round 2", "eliminated", "Exhausted", `id="chart-rounds"`}},
			{"Board election", []string{"Quota", "keep 1", "Exhausted", "Winners, in order of election:", "2 seats are filled by Meek&#39;s method."}},
			{"Board election (Scottish rules)", []string{"Quota", "Scottish local-government rules"}},
			{"Roadmap priorities", []string{"Strongest paths", "Pairwise comparisons", "Docs &lt;first&gt; &amp; &#34;foremost&#34;", "▲", "Ranking"}},
			{"Budget", []string{"pseudonymous"}},
		} {
			t.Run(tc.title, func(t *testing.T) {
				b := f.Ballots[tc.title]
				status, _, body := get(t, ts.URL+"/ballots/"+itoa(b.ID)+"/results", "")
				if status != 200 {
					t.Fatalf("GET results = %d: %s", status, trim([]byte(body)))
				}
				for _, w := range tc.want {
					if !strings.Contains(body, w) {
						t.Errorf("results page lacks %q", w)
					}
				}
				if b.Method != "majority" {
					r := storedResult(t, b)
					labels := map[string]string{}
					for _, o := range optionsOf(t, f.C.W.S, b.ID) {
						labels[o.Key] = o.Label
					}
					winners := section(body, "winners")
					for _, k := range r.Winners {
						if !strings.Contains(winners, "<li>"+template.HTMLEscapeString(labels[k])+"</li>") {
							t.Errorf("winner %s not listed in %s", labels[k], winners)
						}
					}
				}
				checkSVGs(t, body)
				if strings.Contains(body, "<script>") || strings.Contains(body, "<first>") {
					t.Errorf("unescaped label on the page")
				}
				if strings.Contains(body, "style=") {
					t.Errorf("inline style attribute (the CSP forbids it)")
				}
			})
		}
	})
}

// checkSVGs: every chart is role="img" with a title and a desc, and the
// page has a data table for it.
func checkSVGs(t *testing.T, body string) {
	t.Helper()
	svgs := regexp.MustCompile(`(?s)<svg[^>]*>.*?</svg>`).FindAllString(body, -1)
	if len(svgs) == 0 {
		t.Errorf("no chart on the page")
	}
	for _, s := range svgs {
		if !strings.Contains(s, `role="img"`) || !regexp.MustCompile(`<title[^>]*>[^<]+</title>`).MatchString(s) || !regexp.MustCompile(`<desc[^>]*>[^<]+</desc>`).MatchString(s) {
			t.Errorf("chart without text alternatives: %.200s", s)
		}
	}
	if tables := strings.Count(body, "<table"); tables < len(svgs) {
		t.Errorf("%d charts but %d data tables", len(svgs), tables)
	}
}

func TestWhatHappenedToMyVote(t *testing.T) {
	st := storetest.SQLite(t)
	f := newResultsFixture(t, st)
	ts, token := resultsServer(t, st)
	outsider := f.C.W.Citizen("zed")
	b := f.Ballots["Adopt the code of conduct"]
	for _, tc := range []struct {
		who  string
		want []string
	}{
		{"ann", []string{"You voted yourself. Your vote counted with a weight of 4"}},
		{"eve", []string{"went 2 hops", "<li><code>eve</code></li><li><code>dee</code></li><li><code>ann</code></li>", "weight of 4"}},
		{"kim", []string{"<li><code>kim</code></li><li><code>hal</code></li><li><code>ivy</code></li>"}},
		{"fay", []string{"Your weight was lost"}},
		{"jo", []string{"You neither voted nor had a delegation"}},
		{"zed", []string{"You were not on this ballot&#39;s voter roll."}},
	} {
		t.Run(tc.who, func(t *testing.T) {
			c := f.C.W.Citizens[tc.who]
			if tc.who == "zed" {
				c = outsider
			}
			status, _, body := get(t, ts.URL+"/ballots/"+itoa(b.ID)+"/results", token(c))
			if status != 200 {
				t.Fatalf("status %d", status)
			}
			for _, w := range tc.want {
				if !strings.Contains(body, w) {
					t.Errorf("lacks %q in:\n%s", w, section(body, "myvote"))
				}
			}
		})
	}
	t.Run("pseudonymous", func(t *testing.T) {
		pb := f.Ballots["Budget"]
		ann := f.C.W.Citizens["ann"]
		status, _, body := get(t, ts.URL+"/ballots/"+itoa(pb.ID)+"/results", token(ann))
		pseudo := storetest.Pseudonym(t, st, pb, ann.ID)
		if status != 200 || !strings.Contains(body, "<code>"+pseudo+"</code>") || !strings.Contains(body, "by your pseudonym") {
			t.Errorf("pseudonym %s not shown:\n%s", pseudo, section(body, "myvote"))
		}
		if strings.Contains(section(body, "myvote"), ">ann<") {
			t.Errorf("handle shown on a pseudonymous ballot")
		}
	})
}

func section(body, class string) string {
	i := strings.Index(body, `class="`+class)
	if i < 0 {
		return "(no " + class + " section)"
	}
	j := strings.Index(body[i:], "</section>")
	if j < 0 {
		return body[i:]
	}
	return body[i : i+j]
}

func TestAuditPage(t *testing.T) {
	st := storetest.SQLite(t)
	f := newResultsFixture(t, st)
	ts, _ := resultsServer(t, st)
	b := f.Ballots["Chair"]
	var pr struct {
		VotesRoot string `json:"votes_root"`
		Signer    struct {
			KeyID     string `json:"key_id"`
			PublicKey string `json:"public_key"`
		} `json:"signer"`
	}
	if err := json.Unmarshal([]byte(*b.ProofJSON), &pr); err != nil {
		t.Fatal(err)
	}
	status, _, body := get(t, ts.URL+"/ballots/"+itoa(b.ID)+"/audit", "")
	if status != 200 {
		t.Fatalf("status %d", status)
	}
	for _, w := range []string{pr.VotesRoot, pr.Signer.KeyID, pr.Signer.PublicKey, b.LogHead, b.ProofHash,
		`href="/api/v1/ballots/` + itoa(b.ID) + `/proof"`,
		`href="/verify?proof=%2Fapi%2Fv1%2Fballots%2F` + itoa(b.ID) + `%2Fproof"`,
		"/export/ballots.blt", "koinon verify", "Checking by hand"} {
		if w == "" || !strings.Contains(body, w) {
			t.Errorf("audit page lacks %q", w)
		}
	}
	// The command names the file the download saves (its Content-Disposition).
	status, h, _ := get(t, ts.URL+"/api/v1/ballots/"+itoa(b.ID)+"/proof", "")
	m := regexp.MustCompile(`filename="([^"]+)"`).FindStringSubmatch(h.Get("Content-Disposition"))
	if status != 200 || m == nil {
		t.Fatalf("proof download: %d %q", status, h.Get("Content-Disposition"))
	}
	if want := "koinon verify " + m[1] + " --key"; !strings.Contains(body, want) {
		t.Errorf("audit page's command is not %q", want)
	}
	if want := `download="` + m[1] + `"`; !strings.Contains(body, want) {
		t.Errorf("audit page's download link lacks %s", want)
	}
}

func TestResultsOfOpenBallot(t *testing.T) {
	st := storetest.SQLite(t)
	c := resultstest.NewCommunity(t, st, "open", true, []string{"ann", "bob"}, nil)
	b := c.Open(t, resultstest.Spec{Title: "Still open", Method: "majority", Votes: map[string]string{"ann": `"yes"`}})
	ts, _ := resultsServer(t, st)
	for path, want := range map[string]string{
		"/ballots/" + itoa(b.ID) + "/results":                   "appear here when the ballot has closed",
		"/ballots/" + itoa(b.ID) + "/audit":                     "appears here when the ballot has closed",
		"/api/v1/ballots/" + itoa(b.ID) + "/export/result.csv":  `"code":"not_closed"`,
		"/api/v1/ballots/" + itoa(b.ID) + "/export/ballots.csv": `"code":"not_closed"`,
		"/api/v1/ballots/" + itoa(b.ID) + "/export/ballots.blt": `"code":"not_closed"`,
		"/api/v1/ballots/99999/export/result.csv":               `"code":"not_found"`,
		"/ballots/99999/results":                                "404",
		"/ballots/abc/results":                                  "404",
		"/c/open/history":                                       "No ballot of this community has closed yet.",
		"/c/nowhere/history":                                    "404",
	} {
		_, _, body := get(t, ts.URL+path, "")
		if !strings.Contains(body, want) {
			t.Errorf("GET %s lacks %q: %s", path, want, trim([]byte(body)))
		}
	}
}

func TestPrivateCommunityResults(t *testing.T) {
	st := storetest.SQLite(t)
	c := resultstest.NewCommunity(t, st, "closed-club", false, []string{"ann", "bob"}, nil)
	b := c.Closed(t, resultstest.NewSigner("test"), resultstest.Spec{Title: "Secret plan", Method: "majority", Votes: map[string]string{"ann": `"yes"`}})
	outsider := c.W.Citizen("zed")
	ts, token := resultsServer(t, st)
	for _, path := range []string{"/ballots/" + itoa(b.ID) + "/results", "/ballots/" + itoa(b.ID) + "/audit", "/c/closed-club/history",
		"/api/v1/ballots/" + itoa(b.ID) + "/export/result.csv", "/api/v1/ballots/" + itoa(b.ID) + "/export/ballots.csv"} {
		for who, tok := range map[string]string{"anonymous": "", "outsider": token(outsider)} {
			if status, _, _ := get(t, ts.URL+path, tok); status != 404 {
				t.Errorf("%s: GET %s = %d, want 404", who, path, status)
			}
		}
		if status, _, _ := get(t, ts.URL+path, token(c.W.Citizens["bob"])); status != 200 {
			t.Errorf("member: GET %s = %d, want 200", path, status)
		}
	}
}

func TestExports(t *testing.T) {
	st := storetest.SQLite(t)
	f := newResultsFixture(t, st)
	ts, _ := resultsServer(t, st)
	api := ts.URL + "/api/v1/ballots/"

	t.Run("result.csv per method", func(t *testing.T) {
		for _, sp := range fixtureSpecs {
			b := f.Ballots[sp.Title]
			status, h, body := get(t, api+itoa(b.ID)+"/export/result.csv", "")
			if status != 200 || !strings.HasPrefix(h.Get("Content-Type"), "text/csv") || !strings.Contains(h.Get("Content-Disposition"), "attachment") {
				t.Fatalf("%s: %d %v", sp.Title, status, h)
			}
			rows, err := csv.NewReader(strings.NewReader(body)).ReadAll()
			if err != nil {
				t.Fatalf("%s: %v", sp.Title, err)
			}
			if !slices.Equal(rows[0], []string{"round", "option", "label", "total", "rank", "status"}) {
				t.Errorf("%s: header %v", sp.Title, rows[0])
			}
			r := storedResult(t, b)
			var winners []string
			for _, row := range rows[1:] {
				if row[5] == "winner" || (row[5] == "elected" && sp.Method == "irv") {
					winners = append(winners, row[1])
				}
			}
			if sp.Method == "stv" {
				continue // stv rows carry per-round states; checked below
			}
			slices.Sort(winners)
			want := slices.Sorted(slices.Values(r.Winners))
			if sp.Method == "majority" {
				want = slices.DeleteFunc(want, func(string) bool { return false })
			}
			if !slices.Equal(winners, want) {
				t.Errorf("%s: winners in CSV %v, result %v", sp.Title, winners, want)
			}
			if sp.Method == "plurality" || sp.Method == "approval" || sp.Method == "majority" {
				for _, row := range rows[1:] {
					if got, want := row[3], itoa(r.Totals[row[1]]); got != want {
						t.Errorf("%s: total of %s = %s, want %s", sp.Title, row[1], got, want)
					}
				}
			}
		}
	})

	t.Run("ballots.csv has one row per carrier with W(c)", func(t *testing.T) {
		for _, sp := range fixtureSpecs {
			b := f.Ballots[sp.Title]
			status, _, body := get(t, api+itoa(b.ID)+"/export/ballots.csv", "")
			if status != 200 {
				t.Fatalf("%s: %d", sp.Title, status)
			}
			rows, err := csv.NewReader(strings.NewReader(body)).ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			r := storedResult(t, b)
			if len(rows)-1 != len(r.Carriers) {
				t.Fatalf("%s: %d rows, %d carriers", sp.Title, len(rows)-1, len(r.Carriers))
			}
			for i, c := range r.Carriers {
				if rows[i+1][0] != c.Voter || rows[i+1][1] != itoa(c.Weight) || !json.Valid([]byte(rows[i+1][2])) {
					t.Errorf("%s: row %v, carrier %+v", sp.Title, rows[i+1], c)
				}
			}
		}
	})

	t.Run("ballots.blt", func(t *testing.T) {
		b := f.Ballots["Board election"]
		status, _, body := get(t, api+itoa(b.ID)+"/export/ballots.blt", "")
		if status != 200 {
			t.Fatalf("%d %s", status, body)
		}
		el, err := blt.Parse(strings.NewReader(body))
		if err != nil {
			t.Fatalf("parse exported BLT: %v\n%s", err, body)
		}
		r := storedResult(t, b)
		var sum int64
		for _, bl := range el.Ballots {
			sum += bl.Weight
		}
		if el.Seats != 2 || el.Candidates != 5 || sum != r.Weights.Participating || el.Title != "Board election" {
			t.Errorf("BLT header %d %d, weight %d (want %d), title %q", el.Candidates, el.Seats, sum, r.Weights.Participating, el.Title)
		}
		for _, m := range []string{"Adopt the code of conduct", "Pick a logo", "Meeting days"} {
			if status, _, body := get(t, api+itoa(f.Ballots[m].ID)+"/export/ballots.blt", ""); status != 404 || !strings.Contains(body, "not_ranked") {
				t.Errorf("%s: BLT = %d %s, want 404 not_ranked", m, status, body)
			}
		}
		// A schulze tie becomes an equal rank.
		sb := f.Ballots["Roadmap priorities"]
		if status, _, body := get(t, api+itoa(sb.ID)+"/export/ballots.blt", ""); status != 200 || !strings.Contains(body, "Docs <first> & 'foremost'") {
			t.Errorf("schulze BLT: %d\n%s", status, body)
		}
	})
}

func TestCommunityHistory(t *testing.T) {
	st := storetest.SQLite(t)
	f := newResultsFixture(t, st)
	ts, _ := resultsServer(t, st)
	status, _, body := get(t, ts.URL+"/c/commons/history", "")
	if status != 200 {
		t.Fatalf("status %d", status)
	}
	for _, sp := range fixtureSpecs {
		if !strings.Contains(body, `/ballots/`+itoa(f.Ballots[sp.Title].ID)+`/results"`) {
			t.Errorf("history lacks %q", sp.Title)
		}
	}
	for _, w := range []string{"Turnout over time", `id="chart-turnout"`, "Passed", "No quorum", "Circle"} {
		if !strings.Contains(body, w) {
			t.Errorf("history lacks %q", w)
		}
	}
	checkSVGs(t, body)
}

func TestResultPagesInGerman(t *testing.T) {
	st := storetest.SQLite(t)
	f := newResultsFixture(t, st)
	ts, _ := resultsServer(t, st)
	req, _ := http.NewRequest("GET", ts.URL+"/ballots/"+itoa(f.Ballots["Chair"].ID)+"/results", nil)
	req.Header.Set("Accept-Language", "de")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	for _, w := range []string{"Runde für Runde", "Beteiligung", "Länge der Delegationsketten"} {
		if !bytes.Contains(b, []byte(w)) {
			t.Errorf("German results page lacks %q", w)
		}
	}
}

func optionsOf(t *testing.T, st *sqlstore.Store, id int64) []store.BallotOption {
	t.Helper()
	opts, err := st.BallotOptions(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return opts
}

func itoa[T int | int64](n T) string {
	b, _ := json.Marshal(n)
	return string(b)
}

// A small closed ballot embeds its whole result in GET /api/v1/ballots/{id}
// (api.md), the same object that …/result serves.
func TestBallotEmbedsFullResult(t *testing.T) {
	st := storetest.SQLite(t)
	f := newResultsFixture(t, st)
	ts, _ := resultsServer(t, st)
	id := itoa(f.Ballots["Chair"].ID)
	get := func(path string) []byte {
		res, err := http.Get(ts.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		if res.StatusCode != 200 {
			t.Fatalf("GET %s = %d %s", path, res.StatusCode, b)
		}
		return b
	}
	var ballot struct{ Result map[string]any }
	var result map[string]any
	if err := json.Unmarshal(get("/api/v1/ballots/"+id), &ballot); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(get("/api/v1/ballots/"+id+"/result"), &result); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(ballot.Result, result) {
		t.Errorf("ballot.result differs from …/result:\nballot %v\nresult %v", ballot.Result, result)
	}
}
