package sqlstore_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"gorm.io/gorm"

	"koinon/internal/domain"
	"koinon/internal/store"
	"koinon/internal/store/sqlstore"
	"koinon/internal/store/storetest"
)

// homeWorld: ann is a member of commons (with topic infra) and of other.
// Open ballots: plain and infra in commons, far in other; a draft in
// commons and a closed one in other. Ann voted on infra; she delegates to
// bob community-wide and to cat on infra, and bob has left commons.
type homeWorld struct {
	w                        *storetest.World
	plain, infra, far, draft store.Ballot
	closed                   store.Ballot
}

func newHomeWorld(t *testing.T, s *sqlstore.Store) homeWorld {
	ctx := context.Background()
	w := storetest.NewWorld(t, s)
	c, o := w.Community("commons"), w.Community("other")
	tp := w.Topic(c.ID, "infra")
	w.Member(c.ID, domain.RoleMember, 1, "ann", "bob", "cat")
	w.Member(c.ID, domain.RoleBoard, 1, "board")
	w.Member(o.ID, domain.RoleMember, 2, "ann")
	w.Member(o.ID, domain.RoleBoard, 1, "board")
	must(t, s.SetDelegation(ctx, w.ID("ann"), store.Scope{CommunityID: c.ID}, []int64{w.ID("bob")}))
	must(t, s.SetDelegation(ctx, w.ID("ann"), store.Scope{CommunityID: c.ID, TopicID: tp.ID}, []int64{w.ID("cat")}))
	h := homeWorld{w: w}
	open := func(cid int64, topic *int64) store.Ballot {
		b := newBallot(t, w, cid, "majority", topic)
		b, err := s.OpenBallot(ctx, b.ID)
		must(t, err)
		return b
	}
	h.plain, h.infra, h.far = open(c.ID, nil), open(c.ID, &tp.ID), open(o.ID, nil)
	h.draft = newBallot(t, w, c.ID, "majority", nil)
	h.closed = open(o.ID, nil)
	must(t, sqlstore.GormDB(s).Model(&store.Ballot{}).Where("id = ?", h.closed.ID).
		Updates(map[string]any{"state": store.StateClosed, "closed_at": time.Now().UTC()}).Error)
	_, err := cast(ctx, s, h.infra.ID, w.ID("ann"), `"yes"`)
	must(t, err)
	w.EndMembership(c.ID, "bob")
	return h
}

func ballotIDs(bs []store.HomeBallot) []int64 {
	var ids []int64
	for _, b := range bs {
		ids = append(ids, b.ID)
	}
	return ids
}

func TestHomeQueries(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *sqlstore.Store) {
		ctx := context.Background()
		h := newHomeWorld(t, s)
		ann := h.w.ID("ann")

		aw, err := s.AwaitingBallots(ctx, ann)
		must(t, err)
		if got, want := ballotIDs(aw), []int64{h.plain.ID, h.far.ID}; !slices.Equal(got, want) {
			t.Errorf("AwaitingBallots = %v, want %v (open, on the roll, not voted; not the draft, the closed or the voted one)", got, want)
		}
		if len(aw) > 0 && (aw[0].CommunitySlug != "commons" || aw[0].Secret != "") {
			t.Errorf("AwaitingBallots[0] = community %q, secret %q; want commons and no secret", aw[0].CommunitySlug, aw[0].Secret)
		}
		if aw, _ := s.AwaitingBallots(ctx, h.w.ID("cat")); !slices.Equal(ballotIDs(aw), []int64{h.plain.ID, h.infra.ID}) {
			t.Errorf("AwaitingBallots(cat) = %v, want only commons' open ballots", ballotIDs(aw))
		}

		res, err := s.RecentResults(ctx, ann, 5)
		must(t, err)
		if got := ballotIDs(res); !slices.Equal(got, []int64{h.closed.ID}) {
			t.Errorf("RecentResults = %v, want [%d]", got, h.closed.ID)
		}
		if res, _ := s.RecentResults(ctx, h.w.ID("cat"), 5); len(res) != 0 {
			t.Errorf("RecentResults(cat) = %v, want none: cat is not in other", ballotIDs(res))
		}

		gone, err := s.GoneDelegates(ctx, ann)
		must(t, err)
		if len(gone) != 1 || gone[0].Handle != "bob" || gone[0].ScopeKey != "c" || gone[0].CommunitySlug != "commons" {
			t.Errorf("GoneDelegates = %+v, want bob on ann's commons-wide list", gone)
		}

		in, err := s.LiveInputs(ctx, []store.Ballot{h.plain, h.infra, h.far})
		must(t, err)
		if got := in[h.plain.ID].Lists[ann]; !slices.Equal(got, []int64{h.w.ID("bob")}) {
			t.Errorf("plain: ann's list = %v, want [bob] (community list)", got)
		}
		if got := in[h.infra.ID].Lists[ann]; !slices.Equal(got, []int64{h.w.ID("cat")}) {
			t.Errorf("infra: ann's list = %v, want [cat] (topic list wins)", got)
		}
		if got := in[h.far.ID].Lists[ann]; got != nil {
			t.Errorf("far: ann's list = %v, want none (other community)", got)
		}
		if got := in[h.infra.ID].Voters; !slices.Equal(got, []int64{ann}) {
			t.Errorf("infra voters = %v, want [ann]", got)
		}
		var handles []string
		for _, r := range in[h.plain.ID].Roll {
			handles = append(handles, r.Handle)
		}
		if !slices.Equal(handles, []string{"ann", "board", "bob", "cat"}) {
			t.Errorf("plain roll = %v, want the frozen roll by handle (bob left after it froze)", handles)
		}
		for _, b := range []store.Ballot{h.plain, h.infra} {
			el, err := s.EffectiveLists(ctx, b)
			must(t, err)
			if !slices.Equal(el[ann], in[b.ID].Lists[ann]) {
				t.Errorf("ballot %d: EffectiveLists %v != LiveInputs %v", b.ID, el[ann], in[b.ID].Lists[ann])
			}
		}
	})
}

// TestLiveInputsQueryCount: LiveInputs costs the same few queries for one
// ballot as for three (no query per ballot).
func TestLiveInputsQueryCount(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *sqlstore.Store) {
		h := newHomeWorld(t, s)
		count := func(bs ...store.Ballot) int {
			n := 0
			db := sqlstore.GormDB(s).Session(&gorm.Session{})
			inc := func(*gorm.DB) { n++ }
			must(t, db.Callback().Query().After("gorm:query").Register("home_count_q", inc))
			must(t, db.Callback().Row().After("gorm:row").Register("home_count_r", inc))
			defer db.Callback().Query().Remove("home_count_q")
			defer db.Callback().Row().Remove("home_count_r")
			_, err := s.LiveInputs(context.Background(), bs)
			must(t, err)
			return n
		}
		one, three := count(h.plain), count(h.plain, h.infra, h.far)
		if one == 0 || one != three || three > 3 {
			t.Errorf("LiveInputs queries: %d for one ballot, %d for three; want the same, 1 to 3", one, three)
		}
	})
}
