package web_test

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"koinon/internal/store"
	"koinon/internal/store/storetest"
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
	storetest.Each(t, func(t *testing.T, st *store.Store) {
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
