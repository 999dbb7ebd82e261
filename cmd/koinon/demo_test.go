package main

import (
	"bytes"
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"koinon/internal/store"
)

// The demo's board is alice alone, as README says, and one ballot of every
// method is closed and sealed, so every result page can be seen at once.
func TestDemoBoardAndClosedMethods(t *testing.T) {
	dir := t.TempDir()
	var out, errb bytes.Buffer
	ctx := context.Background()
	if code := run(ctx, env{args: []string{"demo", "--data", dir}, getenv: func(string) string { return "" },
		stdin: strings.NewReader(""), stdout: &out, stderr: &errb}); code != 0 {
		t.Fatalf("demo = %d: %s", code, errb.String())
	}
	if !strings.Contains(out.String(), "(board: alice;") {
		t.Errorf("demo output does not name alice as the board: %s", out.String())
	}
	st, err := store.Open(ctx, store.Options{SQLitePath: filepath.Join(dir, "koinon.db")})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var board []string
	if err := st.DB().Raw(`SELECT c.handle FROM memberships m JOIN citizens c ON c.id = m.citizen_id
		WHERE m.role = 'board' AND m.ended_at IS NULL ORDER BY c.handle`).Scan(&board).Error; err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(board, []string{"alice"}) {
		t.Errorf("board = %v, want [alice] (README)", board)
	}
	var methods []string
	if err := st.DB().Raw(`SELECT DISTINCT method FROM ballots WHERE state = 'closed' AND proof_hash <> '' ORDER BY method`).
		Scan(&methods).Error; err != nil {
		t.Fatal(err)
	}
	if want := []string{"approval", "budget", "irv", "majority", "plurality", "schulze", "stv"}; !slices.Equal(methods, want) {
		t.Errorf("methods with a closed, sealed ballot = %v, want %v", methods, want)
	}
	var grants []struct {
		State    string
		Projects int
	}
	if err := st.DB().Raw(`SELECT b.state, COUNT(*) AS projects FROM ballots b JOIN ballot_options o ON o.ballot_id = b.id
		WHERE b.method = 'budget' AND o.cost > 0 GROUP BY b.id, b.state ORDER BY b.id`).Scan(&grants).Error; err != nil {
		t.Fatal(err)
	}
	if len(grants) != 2 || grants[0].State != "closed" || grants[0].Projects != 8 || grants[1].State != "open" {
		t.Errorf("budget ballots = %+v, want a closed grant round of 8 projects and an open one", grants)
	}
}
