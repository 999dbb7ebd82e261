package storetest

import (
	"context"
	"testing"
	"time"

	"koinon/internal/store"
	"koinon/internal/store/sqlstore"
)

// World builds communities, citizens and memberships directly in a store,
// for tests of delegations, ballots and closing. Every citizen's password
// hash is empty unless set by the caller.
type World struct {
	t        testing.TB
	S        *sqlstore.Store
	Citizens map[string]store.Citizen
}

// NewWorld wraps s.
func NewWorld(t testing.TB, s *sqlstore.Store) *World {
	return &World{t: t, S: s, Citizens: map[string]store.Citizen{}}
}

// Citizen creates (once) and returns a citizen by handle.
func (w *World) Citizen(handle string) store.Citizen {
	w.t.Helper()
	if c, ok := w.Citizens[handle]; ok {
		return c
	}
	c := store.Citizen{Handle: handle, DisplayName: handle, Email: handle + "@example.org", TokenVersion: 1, CreatedAt: time.Now().UTC()}
	if err := w.S.SeedRows(context.Background(), &c); err != nil {
		w.t.Fatalf("create citizen %s: %v", handle, err)
	}
	w.Citizens[handle] = c
	return c
}

// ID is the id of the citizen with handle (created if needed).
func (w *World) ID(handle string) int64 { return w.Citizen(handle).ID }

// Community creates a public community.
func (w *World) Community(slug string) store.Community {
	w.t.Helper()
	c := store.Community{Slug: slug, Name: slug, Public: true, CreatedAt: time.Now().UTC()}
	if err := w.S.SeedRows(context.Background(), &c); err != nil {
		w.t.Fatalf("create community %s: %v", slug, err)
	}
	return c
}

// Topic creates a topic in a community.
func (w *World) Topic(communityID int64, slug string) store.Topic {
	w.t.Helper()
	tp := store.Topic{CommunityID: communityID, Slug: slug, Name: slug, CreatedAt: time.Now().UTC()}
	if err := w.S.SeedRows(context.Background(), &tp); err != nil {
		w.t.Fatalf("create topic %s: %v", slug, err)
	}
	return tp
}

// Member puts handles on the community's roll with a role and weight.
func (w *World) Member(communityID int64, role string, weight int64, handles ...string) {
	w.t.Helper()
	for _, h := range handles {
		m := store.Membership{CommunityID: communityID, CitizenID: w.ID(h), Role: role, Weight: weight, StartedAt: time.Now().UTC()}
		if err := w.S.SeedRows(context.Background(), &m); err != nil {
			w.t.Fatalf("member %s: %v", h, err)
		}
	}
}

// EndMembership ends a citizen's current membership.
func (w *World) EndMembership(communityID int64, handle string) {
	w.t.Helper()
	if err := DB(w.t, w.S).Model(&store.Membership{}).Where("community_id = ? AND citizen_id = ? AND ended_at IS NULL", communityID, w.ID(handle)).
		Update("ended_at", time.Now().UTC()).Error; err != nil {
		w.t.Fatal(err)
	}
}
