package web_test

import (
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"koinon/internal/store"
	"koinon/internal/store/storetest"
	"koinon/internal/tally"
	"koinon/internal/web/resultstest"
)

// TestResultPageLatency renders the result page of a synthetic closed
// ballot with KOINON_PERF_VOTERS voters (default 1,000,000) and checks the
// p95 of 50 requests after the first stays under 50 ms. It runs only with
// KOINON_PERF=1 (it builds a result of ~100 MB in memory).
func TestResultPageLatency(t *testing.T) {
	if os.Getenv("KOINON_PERF") != "1" {
		t.Skip("set KOINON_PERF=1 to measure result page latency")
	}
	n := 1_000_000
	if v, err := strconv.Atoi(os.Getenv("KOINON_PERF_VOTERS")); err == nil && v > 0 {
		n = v
	}
	st := storetest.SQLite(t)
	c := resultstest.NewCommunity(t, st, "big", true, []string{"ann"}, nil)
	r := tally.Result{Weights: tally.Weights{Eligible: int64(n)}, Totals: map[string]int64{"yes": 0, "no": 0, "abstain": 0}, QuorumMet: true}
	voter := func(i int) string { return fmt.Sprintf("v%07d", i) }
	for i := 0; i < n; i++ {
		switch {
		case i%10 == 0:
			r.Resolution = append(r.Resolution, tally.ResolutionRow{Voter: voter(i), State: tally.StateCast})
		case i%97 == 0:
			r.Resolution = append(r.Resolution, tally.ResolutionRow{Voter: voter(i), State: tally.StateLost})
			r.Weights.Lost++
		case i%13 == 0:
			r.Weights.Absent++
		default:
			to := i - i%10
			r.Resolution = append(r.Resolution, tally.ResolutionRow{Voter: voter(i), State: tally.StateDelegated, Via: voter(to), To: voter(to), Hops: 1 + i%3})
			r.Weights.Delegated++
		}
	}
	w := map[string]int64{}
	for _, row := range r.Resolution {
		switch row.State {
		case tally.StateCast:
			w[row.Voter]++
		case tally.StateDelegated:
			w[row.To]++
		}
	}
	for v, x := range w {
		r.Carriers = append(r.Carriers, tally.Carrier{Voter: v, Weight: x})
		r.Weights.Direct++
		r.Weights.MaxWeight = max(r.Weights.MaxWeight, x)
		r.Totals[[]string{"yes", "no", "abstain"}[len(v)%3]] += x
	}
	slices.SortFunc(r.Carriers, func(a, b tally.Carrier) int { return cmpStr(a.Voter, b.Voter) })
	r.Weights.Participating = r.Weights.Direct + r.Weights.Delegated
	r.Weights.Absent = r.Weights.Eligible - r.Weights.Participating - r.Weights.Lost
	passed := true
	r.Passed, r.Winners = &passed, []string{"yes"}
	raw, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	res := string(raw)
	now := time.Now().UTC()
	b := store.Ballot{CommunityID: c.Community.ID, Title: "Big", Method: "majority", Seats: 1, Threshold: "1/2", Strict: true, Quorum: "0/1",
		Delegation: true, Secrecy: "public", State: store.StateClosed, CreatedBy: c.W.ID("ann"), CreatedAt: now, ClosesAt: now, ClosedAt: &now,
		ProofHash: "perf"}
	db := storetest.DB(t, st)
	if err := db.Create(&b).Error; err != nil {
		t.Fatal(err)
	}
	if err := db.Create(&store.BallotDocument{BallotID: b.ID, ResultJSON: res}).Error; err != nil {
		t.Fatal(err)
	}
	for i, k := range []string{"yes", "no", "abstain"} {
		db.Create(&store.BallotOption{BallotID: b.ID, Position: i, Key: k, Label: k})
	}
	ts, token := resultsServer(t, st)
	url := ts.URL + "/ballots/" + itoa(b.ID) + "/results"
	tok := token(c.W.Citizens["ann"])
	start := time.Now()
	if status, _, _ := get(t, url, tok); status != 200 {
		t.Fatalf("status %d", status)
	}
	t.Logf("%d voters, result JSON %d MB: first request (parse) %v", n, len(raw)>>20, time.Since(start))
	var ds []time.Duration
	for i := 0; i < 50; i++ {
		start := time.Now()
		if status, _, _ := get(t, url, tok); status != 200 {
			t.Fatalf("status %d", status)
		}
		ds = append(ds, time.Since(start))
	}
	slices.Sort(ds)
	p95 := ds[len(ds)*95/100]
	t.Logf("p50 %v, p95 %v, max %v", ds[len(ds)/2], p95, ds[len(ds)-1])
	if p95 > 50*time.Millisecond {
		t.Errorf("p95 %v > 50 ms", p95)
	}
}

func cmpStr(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
