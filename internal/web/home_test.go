package web_test

import (
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"koinon/internal/store/storetest"
	"koinon/internal/web/resultstest"
)

// homeCommunity is town: alice (board) and citizens whose delegations
// end every way a vote can go on the open ballot "Budget": bob → cat
// (cat voted), kim → lee → cat, eve ↔ fay (a cycle), gus → hal (hal has
// not voted), ivy → jo (jo left before the ballot opened). "Park" is
// closed.
func homeCommunity(t *testing.T) *resultstest.Community {
	t.Helper()
	st := storetest.SQLite(t)
	c := resultstest.NewCommunity(t, st, "town", true, []string{"alice", "bob", "cat", "kim", "lee", "eve", "fay", "gus", "hal", "ivy", "jo"}, nil)
	for _, d := range [][]string{{"bob", "cat"}, {"kim", "lee"}, {"lee", "cat"}, {"eve", "fay"}, {"fay", "eve"}, {"gus", "hal"}, {"ivy", "jo"}} {
		c.Delegate(t, d[0], d[1])
	}
	c.W.EndMembership(c.Community.ID, "jo")
	c.Closed(t, resultstest.NewSigner("test"), resultstest.Spec{Title: "Park", Method: "majority", Votes: map[string]string{"alice": `"yes"`}})
	c.Open(t, resultstest.Spec{Title: "Budget", Method: "majority", Votes: map[string]string{"cat": `"yes"`}})
	return c
}

func TestHomeSignedIn(t *testing.T) {
	c := homeCommunity(t)
	ts, token := resultsServer(t, c.W.S)
	for _, tc := range []struct {
		who       string
		want, not []string
	}{
		{"bob", []string{"Ballots awaiting your vote", ">Budget</a>", "If you do not vote, cat&#39;s vote counts for you.", "Recent results in your communities", ">Park</a>", `<time datetime="`, "Closes"},
			[]string{"Delegations that reach nobody", "Chain:"}},
		{"cat", []string{"No open ballot is waiting for your vote.", ">Park</a>"}, []string{">Budget</a>"}},
		{"kim", []string{"If you do not vote, cat&#39;s vote counts for you.", "Chain: lee → cat"}, nil},
		{"eve", []string{"Delegations that reach nobody", "your delegates delegate back to you", "your delegation goes round in a circle"}, nil},
		{"gus", []string{"nobody on your delegation chain has voted yet"}, []string{"delegate back to you"}},
		{"ivy", []string{"are not on this ballot&#39;s roll", "jo has left town and is skipped on your community-wide list."}, nil},
		{"alice", []string{"Nobody votes for you here: your vote counts only if you cast it."}, []string{"Delegations that reach nobody"}},
	} {
		status, _, body := get(t, ts.URL+"/", token(c.W.Citizens[tc.who]))
		if status != 200 {
			t.Fatalf("%s: GET / = %d", tc.who, status)
		}
		for _, w := range tc.want {
			if !strings.Contains(body, w) {
				t.Errorf("%s: home lacks %q", tc.who, w)
			}
		}
		for _, w := range tc.not {
			if strings.Contains(body, w) {
				t.Errorf("%s: home shows %q", tc.who, w)
			}
		}
	}
	if _, _, body := get(t, ts.URL+"/", ""); strings.Contains(body, "Ballots awaiting") {
		t.Error("anonymous home shows ballots awaiting")
	}
}

func TestHomeSignedInGerman(t *testing.T) {
	c := homeCommunity(t)
	ts, token := resultsServer(t, c.W.S)
	req, _ := http.NewRequest("GET", ts.URL+"/", nil)
	req.Header.Set("Authorization", "Bearer "+token(c.W.Citizens["eve"]))
	req.Header.Set("Accept-Language", "de")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	body := string(b)
	for _, w := range []string{"Abstimmungen, die auf Ihre Stimme warten", "Ihre Delegierten delegieren zurück an Sie", "Neue Ergebnisse in Ihren Gemeinschaften"} {
		if !strings.Contains(body, w) {
			t.Errorf("German home lacks %q", w)
		}
	}
}

var svgText = regexp.MustCompile(`<text[^>]*>([^<]*)</text>`)

func TestHistoryPage(t *testing.T) {
	c := homeCommunity(t)
	s := resultstest.NewSigner("test")
	c.Closed(t, s, resultstest.Spec{Title: "Pool", Method: "majority", Votes: map[string]string{"bob": `"no"`}})
	ts, _ := resultsServer(t, c.W.S)
	status, _, body := get(t, ts.URL+"/communities/town", "")
	if status != 200 || !strings.Contains(body, `href="/communities/town/history"`) {
		t.Errorf("community page (%d) does not link its history", status)
	}
	for _, path := range []string{"/communities/town/history", "/c/town/history"} {
		status, _, body = get(t, ts.URL+path, "")
		if status != 200 || !strings.Contains(body, "History of town") {
			t.Fatalf("GET %s = %d", path, status)
		}
	}
	if status, _, _ := get(t, ts.URL+"/communities/nowhere/history", ""); status != 404 {
		t.Errorf("history of an unknown community = %d, want 404", status)
	}
	// Park and Pool closed within seconds of each other: the x-axis labels
	// (and every other text of the chart) must still differ.
	i, j := strings.Index(body, `id="chart-turnout"`), strings.Index(body, "</svg>")
	if i < 0 || j < i {
		t.Fatal("no turnout chart")
	}
	seen := map[string]bool{}
	for _, m := range svgText.FindAllStringSubmatch(body[i:j], -1) {
		if seen[m[1]] {
			t.Errorf("chart label %q appears twice", m[1])
		}
		seen[m[1]] = true
	}
	if !strings.Contains(body, `<td><time datetime="`) {
		t.Error("history table does not write closing times as <time>")
	}
}
