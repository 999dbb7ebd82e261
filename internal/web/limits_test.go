package web_test

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"koinon/internal/domain"
	"koinon/internal/store"
	"koinon/internal/store/sqlstore"
	"koinon/internal/store/storetest"
)

// options builds n options a1…an.
func options(n int) []map[string]string {
	var o []map[string]string
	for i := 1; i <= n; i++ {
		o = append(o, map[string]string{"key": fmt.Sprintf("a%d", i), "label": fmt.Sprintf("Option %d", i)})
	}
	return o
}

// countRows counts the rows of a model.
func countRows(t *testing.T, st *sqlstore.Store, model any) int64 {
	t.Helper()
	var n int64
	if err := storetest.DB(t, st).Model(model).Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

// TestBallotLimits: each limit is refused with 422 naming the field and
// the limit, and no ballot is written.
func TestBallotLimits(t *testing.T) {
	bw := newBallotWorld(t, storetest.SQLite(t))
	long := strings.Repeat("x", domain.MaxTitle+1)
	for _, tc := range []struct {
		name  string
		req   map[string]any
		field string
		want  string
	}{
		{"options", map[string]any{"method": "plurality", "options": options(domain.MaxOptions + 1)}, "options", "max_options"},
		{"1000 options", map[string]any{"method": "schulze", "options": options(1000)}, "options", "max_options"},
		{"stv options", map[string]any{"method": "stv", "options": options(domain.MaxRankedOptions + 1)}, "options", "max_options"},
		{"schulze options", map[string]any{"method": "schulze", "options": options(domain.MaxRankedOptions + 1)}, "options", "max_options"},
		{"seats", map[string]any{"method": "approval", "options": options(domain.MaxOptions), "seats": domain.MaxSeats + 1}, "seats", "max_seats"},
		{"title", map[string]any{"method": "majority", "title": long}, "title", "at most 200"},
		{"NUL in title", map[string]any{"method": "majority", "title": "a\x00b"}, "title", "control"},
		{"newline in label", map[string]any{"method": "plurality", "options": []string{"a\nb", "c"}}, "options[0].label", "control"},
		{"description", map[string]any{"method": "majority", "description": strings.Repeat("y", domain.MaxBallotText+1)}, "description", "at most"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.req["title"] == nil {
				tc.req["title"] = "Limits"
			}
			tc.req["closes_at"] = future()
			m := bw.expect(t, "board", "POST", "/api/v1/communities/commons/ballots", tc.req, 422, tc.field)
			if msg := fmt.Sprint(m["error"]); !strings.Contains(msg, tc.want) {
				t.Errorf("error %s does not name %q", msg, tc.want)
			}
		})
	}
	if n := countRows(t, bw.W.S, &store.Ballot{}); n != 0 {
		t.Errorf("%d ballots written", n)
	}
	// The largest allowed ballots are accepted.
	for _, method := range []string{"plurality", "irv", "schulze"} {
		bw.expect(t, "board", "POST", "/api/v1/communities/commons/ballots", map[string]any{"title": "Largest", "method": method,
			"options": options(domain.MaxOptionsFor(method)), "closes_at": future()}, 201, "")
	}
}

// TestProposalLimits: proposal title and text limits, and control
// characters, are 422 and write nothing.
func TestProposalLimits(t *testing.T) {
	bw := newBallotWorld(t, storetest.SQLite(t))
	for _, tc := range []struct {
		body  map[string]any
		field string
	}{
		{map[string]any{"title": strings.Repeat("t", domain.MaxTitle+1), "body": "text"}, "title"},
		{map[string]any{"title": "ok\x07", "body": "text"}, "title"},
		{map[string]any{"title": "ok", "body": strings.Repeat("b", domain.MaxProposalBody+1)}, "body"},
		{map[string]any{"title": "ok", "body": "nul\x00"}, "body"},
	} {
		bw.expect(t, "ann", "POST", "/api/v1/communities/commons/proposals", tc.body, 422, tc.field)
	}
	if n := countRows(t, bw.W.S, &store.Proposal{}); n != 0 {
		t.Errorf("%d proposals written", n)
	}
}

// TestCommunitiesPerDay: a citizen founds at most MaxCommunitiesDay
// communities in 24 hours.
func TestCommunitiesPerDay(t *testing.T) {
	bw := newBallotWorld(t, storetest.SQLite(t))
	before := countRows(t, bw.W.S, &store.Community{})
	for i := 0; i < domain.MaxCommunitiesDay; i++ {
		bw.expect(t, "out", "POST", "/api/v1/communities", map[string]any{"slug": fmt.Sprintf("club-%d", i), "name": "Club"}, 201, "")
	}
	m := bw.expect(t, "out", "POST", "/api/v1/communities", map[string]any{"slug": "one-too-many", "name": "Club"}, 422, "slug")
	if msg := fmt.Sprint(m["error"]); !strings.Contains(msg, "max_communities_per_day") {
		t.Errorf("error %s does not name the limit", msg)
	}
	if n := countRows(t, bw.W.S, &store.Community{}) - before; n != domain.MaxCommunitiesDay {
		t.Errorf("%d communities written, want %d", n, domain.MaxCommunitiesDay)
	}
	bw.expect(t, "ann", "POST", "/api/v1/communities", map[string]any{"slug": "anns-club", "name": "Club"}, 201, "")
}

// TestLargestBallotResultPage closes the largest allowed ballot of each
// method whose page grows fastest with options (approval: totals; schulze:
// matrices; irv, stv: rounds) with every member ranking every option (or
// approving half), and checks one
// anonymous GET of its result page takes < 1 s and allocates < 50 MB.
func TestLargestBallotResultPage(t *testing.T) {
	bw := newBallotWorld(t, storetest.SQLite(t))
	if err := storetest.DB(t, bw.W.S).Exec("UPDATE communities SET public = ?", true).Error; err != nil {
		t.Fatal(err)
	}
	for _, method := range []string{"approval", "schulze", "irv", "stv"} {
		t.Run(method, func(t *testing.T) {
			n := domain.MaxOptionsFor(method)
			req := map[string]any{"title": "Largest " + method, "method": method, "options": options(n)}
			if method == "stv" {
				req["seats"] = 3
			}
			id := bw.createOpen(t, req)
			for v, who := range []string{"ann", "bob", "cat", "dan", "eve", "fay", "gus"} {
				var ranking []any
				for i := 0; i < n && (method != "approval" || i < n/2); i++ {
					k := fmt.Sprintf("a%d", (i+v*7)%n+1)
					if method == "schulze" {
						ranking = append(ranking, []string{k})
					} else {
						ranking = append(ranking, k)
					}
				}
				bw.expect(t, who, "PUT", "/api/v1/ballots/"+id+"/vote", map[string]any{"choice": ranking}, 200, "")
			}
			bw.expect(t, "board", "POST", "/api/v1/ballots/"+id+"/close", nil, 200, "")
			var m0, m1 runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&m0)
			start := time.Now()
			res, body := bw.raw(t, "", "GET", "/ballots/"+id+"/results", nil)
			took := time.Since(start)
			runtime.ReadMemStats(&m1)
			alloc := (m1.TotalAlloc - m0.TotalAlloc) >> 20
			t.Logf("%s, %d options: %d KB of HTML in %v, %d MB allocated", method, n, len(body)>>10, took, alloc)
			if res.StatusCode != 200 {
				t.Fatalf("status %d", res.StatusCode)
			}
			if took > time.Second || alloc >= 50 {
				t.Errorf("result page: %v, %d MB; want < 1 s and < 50 MB", took, alloc)
			}
			if method == "schulze" && !strings.Contains(string(body), `id="matrix-file"`) {
				t.Errorf("the %d-option matrices are not offered as a download", n)
			}
		})
	}
}
