package closing_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"koinon/internal/closing"
	"koinon/internal/store"
	"koinon/internal/store/sqlstore"
	"koinon/internal/store/storetest"
)

// BenchmarkClose100k closes an irv ballot with 100,000 eligible voters
// (one in ten with weight 2), 30,000 votes and 60,000 community
// delegation lists of one to three delegates (chains, backups, cycles), on
// SQLite. Rows are inserted in batches outside the timer.
//
//	go test ./internal/closing -run '^$' -bench Close100k -benchtime 3x
func BenchmarkClose100k(b *testing.B) {
	const voters, votes, delegating = 100_000, 30_000, 60_000
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		s := storetest.SQLite(b)
		id := bulkBallot(b, s, voters, votes, delegating)
		cl := closing.New(s, testSigner(), nil)
		b.StartTimer()
		start := time.Now()
		got, err := cl.Close(context.Background(), id)
		elapsed := time.Since(start)
		b.StopTimer()
		if err != nil || got.State != store.StateClosed {
			b.Fatalf("close: %v %s", err, got.State)
		}
		b.ReportMetric(elapsed.Seconds(), "s/close")
		proof, err := s.BallotProof(context.Background(), id)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(len(proof))/1e6, "MB-proof")
	}
}

// bulkBallot inserts a community, citizens, a frozen roll, delegations and
// votes straight into the tables and returns the open ballot's id.
func bulkBallot(tb testing.TB, s *sqlstore.Store, voters, votes, delegating int) int64 {
	tb.Helper()
	db := storetest.DB(tb, s)
	now := time.Now().UTC().Truncate(time.Second)
	must := func(err error) {
		if err != nil {
			tb.Fatal(err)
		}
	}
	c := store.Community{Slug: "big", Name: "Big", Public: true, CreatedAt: now}
	must(db.Create(&c).Error)
	batch := func(table, cols string, n int, row func(i int) []any) {
		width := strings.Count(cols, ",") + 1
		ph := "(" + strings.TrimSuffix(strings.Repeat("?,", width), ",") + ")"
		must(db.Transaction(func(tx *gorm.DB) error {
			for lo := 0; lo < n; lo += 500 {
				hi := min(lo+500, n)
				var args []any
				var phs []string
				for i := lo; i < hi; i++ {
					args = append(args, row(i)...)
					phs = append(phs, ph)
				}
				if err := tx.Exec("INSERT INTO "+table+" ("+cols+") VALUES "+strings.Join(phs, ","), args...).Error; err != nil {
					return err
				}
			}
			return nil
		}))
	}
	batch("citizens", "id, handle, email, display_name, statement, password_hash, token_version, failed_logins, created_at", voters, func(i int) []any {
		return []any{i + 1, fmt.Sprintf("v%06d", i+1), "", "", "", "", 1, 0, now}
	})
	weight := func(i int) int64 { return 1 + int64(i%10/9) }
	batch("memberships", "community_id, citizen_id, role, weight, started_at", voters, func(i int) []any {
		role := "member"
		if i == 0 {
			role = "board"
		}
		return []any{c.ID, i + 1, role, weight(i), now}
	})
	b := store.Ballot{CommunityID: c.ID, Title: "Big election", Method: "irv", Seats: 1, Threshold: "1/2", Strict: true, Quorum: "0/1",
		Delegation: true, Secrecy: "public", CreatedBy: 1, ClosesAt: now.Add(time.Hour)}
	opts := []store.BallotOption{{Key: "a", Label: "A"}, {Key: "b", Label: "B"}, {Key: "c", Label: "C"}, {Key: "d", Label: "D"}, {Key: "e", Label: "E"}}
	must(s.CreateBallot(context.Background(), &b, opts, nil))
	_, err := s.OpenBallot(context.Background(), b.ID)
	must(err)
	// Voters 1..votes vote; the next `delegating` delegate to a random
	// earlier or later voter, with backups.
	r := rand.New(rand.NewPCG(1, 2))
	batch("delegations", "id, citizen_id, community_id, scope_key, updated_at", delegating, func(i int) []any {
		return []any{i + 1, votes + i + 1, c.ID, "c", now}
	})
	type dd struct{ d, pos, to int }
	var dds []dd
	for i := 0; i < delegating; i++ {
		n := 1 + r.IntN(3)
		seen := map[int]bool{votes + i + 1: true}
		for p := 0; p < n; p++ {
			to := 1 + r.IntN(voters)
			if seen[to] {
				continue
			}
			seen[to] = true
			dds = append(dds, dd{i + 1, p, to})
		}
	}
	batch("delegation_delegates", "delegation_id, position, delegate_id", len(dds), func(i int) []any {
		return []any{dds[i].d, dds[i].pos, dds[i].to}
	})
	keys := []string{"a", "b", "c", "d", "e"}
	batch("votes", "ballot_id, citizen_id, choice, receipt, cast_at", votes, func(i int) []any {
		p := r.Perm(5)
		k := 1 + r.IntN(5)
		parts := make([]string, k)
		for j := range parts {
			parts[j] = `"` + keys[p[j]] + `"`
		}
		return []any{b.ID, i + 1, "[" + strings.Join(parts, ",") + "]", "bench", now}
	})
	return b.ID
}
