package sqlstore_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"koinon/internal/domain"
	"koinon/internal/store"
	"koinon/internal/store/sqlstore"
	"koinon/internal/store/storetest"
)

// people creates citizens with the given handles (with a stand-in
// password hash).
func people(t *testing.T, s *sqlstore.Store, handles ...string) map[string]store.Citizen {
	t.Helper()
	out := map[string]store.Citizen{}
	for _, h := range handles {
		c := store.Citizen{Handle: h, Email: h + "@example.org", DisplayName: strings.ToUpper(h), PasswordHash: "x"}
		if err := s.CreateCitizen(context.Background(), &c); err != nil {
			t.Fatal(err)
		}
		out[h] = c
	}
	return out
}

func TestCitizenAndCommunityConflicts(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *sqlstore.Store) {
		ctx := context.Background()
		ps := people(t, s, "ann")
		dup := store.Citizen{Handle: "ann"}
		if err := s.CreateCitizen(ctx, &dup); !errors.Is(err, store.ErrConflict) {
			t.Errorf("duplicate handle: error = %v, want ErrConflict", err)
		}
		c := store.Community{Slug: "commons", Name: "Commons", Public: true}
		if err := s.CreateCommunity(ctx, &c, ps["ann"].ID); err != nil {
			t.Fatal(err)
		}
		m, err := s.CurrentMembership(ctx, c.ID, ps["ann"].ID)
		if err != nil || m.Role != domain.RoleBoard || m.Weight != 1 {
			t.Errorf("creator membership = %+v, %v; want board weight 1", m, err)
		}
		again := store.Community{Slug: "commons", Name: "Other"}
		if err := s.CreateCommunity(ctx, &again, ps["ann"].ID); !errors.Is(err, store.ErrConflict) {
			t.Errorf("duplicate slug: error = %v, want ErrConflict", err)
		}
		top := store.Topic{CommunityID: c.ID, Slug: "budget", Name: "Budget"}
		if err := s.CreateTopic(ctx, &top); err != nil {
			t.Fatal(err)
		}
		top2 := store.Topic{CommunityID: c.ID, Slug: "budget", Name: "Budget 2"}
		if err := s.CreateTopic(ctx, &top2); !errors.Is(err, store.ErrConflict) {
			t.Errorf("duplicate topic: error = %v, want ErrConflict", err)
		}
		v1 := ps["ann"].TokenVersion
		ct, err := s.BumpTokenVersion(ctx, ps["ann"].ID)
		if err != nil || ct.TokenVersion != v1+1 {
			t.Errorf("BumpTokenVersion = %d, %v; want %d", ct.TokenVersion, err, v1+1)
		}
		ct, err = s.SetPassword(ctx, ps["ann"].ID, "hash")
		if err != nil || ct.TokenVersion != v1+2 || ct.PasswordHash != "hash" {
			t.Errorf("SetPassword = %+v, %v", ct, err)
		}
	})
}

func TestRollHistoryAndLastBoard(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s0 *sqlstore.Store) {
		ctx := context.Background()
		clock := time.Date(2030, 1, 1, 9, 0, 0, 0, time.UTC)
		s := reopenWithClock(t, s0, func() time.Time { return clock })
		ps := people(t, s, "ann", "bob")
		c := store.Community{Slug: "commons", Name: "Commons", Public: true}
		if err := s.CreateCommunity(ctx, &c, ps["ann"].ID); err != nil {
			t.Fatal(err)
		}
		clock = clock.Add(time.Hour)
		if _, changed, err := s.SetMembership(ctx, c.ID, "bob", domain.RoleMember, 1); err != nil || !changed {
			t.Fatalf("add bob: changed=%v err=%v", changed, err)
		}
		if _, changed, err := s.SetMembership(ctx, c.ID, "bob", domain.RoleMember, 1); err != nil || changed {
			t.Fatalf("same again: changed=%v err=%v, want no change", changed, err)
		}
		t1 := clock.Add(30 * time.Minute)
		clock = clock.Add(time.Hour)
		if _, _, err := s.SetMembership(ctx, c.ID, "bob", domain.RoleMember, 3); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.SetMembership(ctx, c.ID, "nobody", domain.RoleMember, 1); !isInvalid(err, "handle") {
			t.Errorf("unknown handle: error = %v, want Invalid on handle", err)
		}
		var se *domain.StateError
		if _, _, err := s.SetMembership(ctx, c.ID, "ann", domain.RoleMember, 1); !errors.As(err, &se) || se.Code != "last_board" {
			t.Errorf("demote last board: error = %v, want last_board", err)
		}
		if err := s.EndMembership(ctx, c.ID, "ann"); !errors.As(err, &se) || se.Code != "last_board" {
			t.Errorf("remove last board: error = %v, want last_board", err)
		}
		clock = clock.Add(time.Hour)
		if err := s.EndMembership(ctx, c.ID, "bob"); err != nil {
			t.Fatal(err)
		}
		if err := s.EndMembership(ctx, c.ID, "bob"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("remove twice: error = %v, want ErrNotFound", err)
		}
		roll := func(at time.Time) string {
			ms, err := s.Roll(ctx, c.ID, at)
			if err != nil {
				t.Fatal(err)
			}
			var parts []string
			for _, m := range ms {
				parts = append(parts, fmt.Sprintf("%s:%s:%d", m.Handle, m.Role, m.Weight))
			}
			return strings.Join(parts, " ")
		}
		for _, tc := range []struct {
			at   time.Time
			want string
		}{
			{time.Time{}, "ann:board:1"},
			{t1, "ann:board:1 bob:member:1"},
			{clock.Add(-30 * time.Minute), "ann:board:1 bob:member:3"},
			{time.Date(2029, 1, 1, 0, 0, 0, 0, time.UTC), ""},
		} {
			if got := roll(tc.at); got != tc.want {
				t.Errorf("Roll(at %v) = %q, want %q", tc.at, got, tc.want)
			}
		}
		h, err := s.RollHistory(ctx, c.ID)
		if err != nil || len(h) != 3 {
			t.Fatalf("history = %d rows, %v; want 3", len(h), err)
		}
		if h[1].EndedAt == nil || h[2].EndedAt == nil || h[0].EndedAt != nil {
			t.Errorf("history periods wrong: %+v", h)
		}
	})
}

// reopenWithClock opens a second handle on the same database with a
// fixed clock.
func reopenWithClock(t *testing.T, s *sqlstore.Store, now func() time.Time) *sqlstore.Store {
	t.Helper()
	return sqlstore.WithClock(s, now)
}

func isInvalid(err error, field string) bool {
	var inv *domain.Invalid
	return errors.As(err, &inv) && inv.Field == field
}

func TestRollImport(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *sqlstore.Store) {
		ctx := context.Background()
		ps := people(t, s, "ann", "bob", "cyd")
		c := store.Community{Slug: "commons", Name: "Commons", Public: true}
		if err := s.CreateCommunity(ctx, &c, ps["ann"].ID); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.SetMembership(ctx, c.ID, "bob", domain.RoleMember, 1); err != nil {
			t.Fatal(err)
		}
		parse := func(in string) []domain.RollLine {
			lines, errs := domain.ParseRoll(strings.NewReader(in))
			if len(errs) > 0 {
				t.Fatalf("parse: %v", errs)
			}
			return lines
		}
		// A new handle without an email and demoting the only board member
		// are refused: nothing is applied.
		bad := parse("handle,email,display_name,role,weight\nann,,,member,1\nnew_one,,,,\n")
		plan, _, err := s.ApplyRoll(ctx, c.ID, bad)
		if !errors.Is(err, store.ErrRollInvalid) || len(plan.Errors) != 2 {
			t.Fatalf("ApplyRoll(bad) = %+v, %v; want 2 errors and ErrRollInvalid", plan.Errors, err)
		}
		if _, err := s.CitizenByHandle(ctx, "new_one"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("bad file created a citizen: %v", err)
		}
		good := parse("handle,email,display_name,role,weight\nann,,,board,1\nbob,,,member,2\ncyd,,,auditor,0\ndee,dee@example.org,Dee,member,1\n")
		plan, err = s.PlanRoll(ctx, c.ID, good)
		if err != nil {
			t.Fatal(err)
		}
		if plan.Created != 1 || plan.Added != 1 || plan.Updated != 1 || plan.Unchanged != 1 || len(plan.Errors) != 0 {
			t.Fatalf("plan = %+v", plan)
		}
		plan, invites, err := s.ApplyRoll(ctx, c.ID, good)
		if err != nil {
			t.Fatal(err)
		}
		if len(invites) != 1 || invites[0].Handle != "dee" || invites[0].Token == "" {
			t.Fatalf("invites = %+v", invites)
		}
		roll, _ := s.Roll(ctx, c.ID, time.Time{})
		var got []string
		for _, m := range roll {
			got = append(got, fmt.Sprintf("%s:%s:%d:%v", m.Handle, m.Role, m.Weight, m.Invited))
		}
		if want := "ann:board:1:false bob:member:2:false cyd:auditor:0:false dee:member:1:true"; strings.Join(got, " ") != want {
			t.Errorf("roll after import = %q, want %q", strings.Join(got, " "), want)
		}
		// Fresh links replace the first ones; a link sets a password once.
		again, err := s.InviteWithoutPassword(ctx, c.ID)
		if err != nil || len(again) != 1 || again[0].Handle != "dee" {
			t.Fatalf("InviteWithoutPassword = %+v, %v; want dee", again, err)
		}
		if _, _, err := s.InvitationByToken(ctx, invites[0].Token); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("replaced link still works: %v", err)
		}
		_, who, err := s.InvitationByToken(ctx, again[0].Token)
		if err != nil || who.Handle != "dee" {
			t.Fatalf("InvitationByToken = %+v, %v", who, err)
		}
		dee, err := s.AcceptInvitation(ctx, again[0].Token, "hash")
		if err != nil || dee.PasswordHash != "hash" {
			t.Fatalf("AcceptInvitation = %+v, %v", dee, err)
		}
		if _, err := s.AcceptInvitation(ctx, again[0].Token, "again"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("second accept: %v, want ErrNotFound", err)
		}
		if left, err := s.InviteWithoutPassword(ctx, c.ID); err != nil || len(left) != 0 {
			t.Errorf("after accepting: %d invites, %v; want none", len(left), err)
		}
	})
}

// TestImportTenThousand: a 10,000-line roll applies within 10 s (figure
// logged; argon2 never runs for invitees).
func TestImportTenThousand(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	storetest.Each(t, func(t *testing.T, s *sqlstore.Store) {
		ctx := context.Background()
		ps := people(t, s, "ann")
		c := store.Community{Slug: "big", Name: "Big"}
		if err := s.CreateCommunity(ctx, &c, ps["ann"].ID); err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		b.WriteString("handle,email,display_name,role,weight\n")
		for i := range 10000 {
			fmt.Fprintf(&b, "voter_%05d,voter%d@example.org,Voter %d,member,%d\n", i, i, i, 1+i%3)
		}
		start := time.Now()
		lines, errs := domain.ParseRoll(strings.NewReader(b.String()))
		if len(errs) > 0 {
			t.Fatal(errs)
		}
		plan, invites, err := s.ApplyRoll(ctx, c.ID, lines)
		took := time.Since(start)
		if err != nil {
			t.Fatal(err)
		}
		if plan.Created != 10000 || len(invites) != 10000 {
			t.Fatalf("created %d, invited %d", plan.Created, len(invites))
		}
		n, _ := s.CountMembers(ctx, c.ID)
		if n != 10001 {
			t.Errorf("members = %d, want 10001", n)
		}
		t.Logf("%s: parsed and applied a 10,000-line roll in %v", s.Dialect(), took)
		if took > 10*time.Second {
			t.Errorf("import took %v, want under 10 s", took)
		}
		// Applying the same file again changes nothing and is quicker still.
		start = time.Now()
		plan, _, err = s.ApplyRoll(ctx, c.ID, lines)
		if err != nil || plan.Unchanged != 10000 {
			t.Errorf("re-apply: %+v %v", plan.Unchanged, err)
		}
		t.Logf("%s: re-applied (no changes) in %v", s.Dialect(), time.Since(start))
	})
}
