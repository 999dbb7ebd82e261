package web

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"koinon"
	"koinon/internal/auth"
	"koinon/internal/store"
	"koinon/internal/store/storetest"
)

// TestEveryRouteIsInTheTable: every route the server answers comes from
// routeTable, registered once, and every row names a permission.
func TestEveryRouteIsInTheTable(t *testing.T) {
	s, err := New(Deps{Store: storetest.SQLite(t), Tokens: auth.NewTokens([]byte("0123456789abcdef0123456789abcdef"), nil), Assets: koinon.Assets})
	if err != nil {
		t.Fatal(err)
	}
	table := map[string]bool{}
	for _, r := range routeTable {
		key := r.Method + " " + r.Path
		if r.Perm == permNone {
			t.Errorf("%s names no permission", key)
		}
		if table[key] {
			t.Errorf("%s is in the table twice", key)
		}
		table[key] = true
	}
	registered := s.echo.Routes()
	for _, r := range registered {
		if !table[r.Method+" "+r.Path] {
			t.Errorf("%s %s is registered outside routeTable", r.Method, r.Path)
		}
	}
	if len(registered) != len(routeTable) {
		t.Errorf("%d routes registered, %d in routeTable", len(registered), len(routeTable))
	}
}

// TestRequireRefusesARouteWithoutPermission: a row that leaves Perm at its
// zero value cannot be registered.
func TestRequireRefusesARouteWithoutPermission(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("require(permNone) did not panic")
		}
	}()
	(&Server{}).require(permNone)
}

// TestMetricsOnlyForThisMachine: permLoopback hides /metrics from callers
// elsewhere.
func TestMetricsOnlyForThisMachine(t *testing.T) {
	s, err := New(Deps{Store: storetest.SQLite(t), Tokens: auth.NewTokens([]byte("0123456789abcdef0123456789abcdef"), nil), Assets: koinon.Assets})
	if err != nil {
		t.Fatal(err)
	}
	for addr, want := range map[string]int{"127.0.0.1:4000": http.StatusOK, "[::1]:4000": http.StatusOK, "192.0.2.1:4000": http.StatusNotFound} {
		req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
		req.RemoteAddr = addr
		rec := httptest.NewRecorder()
		s.echo.ServeHTTP(rec, req)
		if rec.Code != want {
			t.Errorf("GET /metrics from %s = %d, want %d", addr, rec.Code, want)
		}
	}
}

// TestResultSummaryRefusesABrokenResult: the ballot page's summary comes
// from the one result model and says so when the stored result cannot be
// read (it used to show no result at all).
func TestResultSummaryRefusesABrokenResult(t *testing.T) {
	opts := []store.BallotOption{{Key: "yes", Label: "Yes"}, {Key: "no", Label: "No"}}
	if _, err := resultSummary("majority", []byte(`{"weights":`), opts); err == nil {
		t.Error("a truncated result gave a summary")
	}
	v, err := resultSummary("majority", []byte(`{"weights":{"eligible":3,"participating":2},"quorum_met":true,"winners":["yes"],"passed":true,"totals":{"yes":2,"no":0}}`), opts)
	if err != nil {
		t.Fatal(err)
	}
	if !v.Passed || !v.QuorumMet || len(v.Winners) != 1 || v.Winners[0] != "Yes" || len(v.Totals) != 2 || v.Totals[0].Label != "Yes" || v.Totals[0].Weight != 2 {
		t.Errorf("resultSummary() = %+v", v)
	}
}
