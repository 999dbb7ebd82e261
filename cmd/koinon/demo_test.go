package main

import (
	"bytes"
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"koinon/internal/domain"
	"koinon/internal/store"
	"koinon/internal/store/sqlstore"
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
	st, err := sqlstore.Open(ctx, sqlstore.Options{SQLitePath: filepath.Join(dir, "koinon.db")})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	cm, err := st.CommunityBySlug(ctx, "commons-foundation")
	if err != nil {
		t.Fatal(err)
	}
	roll, err := st.Roll(ctx, cm.ID, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	var board []string
	for _, m := range roll {
		if m.Role == domain.RoleBoard {
			board = append(board, m.Handle)
		}
	}
	if !slices.Equal(board, []string{"alice"}) {
		t.Errorf("board = %v, want [alice] (README)", board)
	}
	closed, err := st.ListBallots(ctx, store.BallotFilter{CommunityID: cm.ID, State: store.StateClosed})
	if err != nil {
		t.Fatal(err)
	}
	var methods []string
	for _, b := range closed {
		if b.ProofHash != "" && !slices.Contains(methods, b.Method) {
			methods = append(methods, b.Method)
		}
	}
	slices.Sort(methods)
	if want := []string{"approval", "budget", "irv", "majority", "plurality", "schulze", "stv"}; !slices.Equal(methods, want) {
		t.Errorf("methods with a closed, sealed ballot = %v, want %v", methods, want)
	}
	all, err := st.ListBallots(ctx, store.BallotFilter{CommunityID: cm.ID})
	if err != nil {
		t.Fatal(err)
	}
	type grant struct {
		State    string
		Projects int // options with a cost
	}
	var grants []grant
	for _, b := range all { // newest first
		if b.Method != "budget" {
			continue
		}
		opts, err := st.BallotOptions(ctx, b.ID)
		if err != nil {
			t.Fatal(err)
		}
		g := grant{State: b.State}
		for _, o := range opts {
			if o.Cost > 0 {
				g.Projects++
			}
		}
		grants = append(grants, g)
	}
	slices.SortFunc(grants, func(a, b grant) int { return strings.Compare(a.State, b.State) })
	if len(grants) != 2 || grants[0].State != "closed" || grants[0].Projects != 8 || grants[1].State != "open" {
		t.Errorf("budget ballots = %+v, want a closed grant round of 8 projects and an open one", grants)
	}
}
