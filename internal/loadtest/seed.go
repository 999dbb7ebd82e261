package loadtest

import (
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"time"

	"koinon/internal/auth"
	"koinon/internal/domain"
	"koinon/internal/store"
	"koinon/internal/store/sqlstore"
)

// txChunk is how many rows one seeding transaction holds
// (store.SeedRows).
const txChunk = 20000

// Fixture is a seeded community with an open majority ballot whose frozen
// roll holds every member.
type Fixture struct {
	CommunityID int64
	Slug        string
	BallotID    int64
	CitizenIDs  []int64  // members, in creation order; the first is board
	Handles     []string // parallel to CitizenIDs
}

// SeedOptions shape a seeded community.
type SeedOptions struct {
	Members int
	// Delegating is the share of members (0–1) with a community-scope
	// delegate list of 1–3 delegates drawn with power-law popularity.
	Delegating float64
	// ClosesIn is how long the ballot stays open (default one hour).
	ClosesIn time.Duration
	// Progress, when set, is told about each seeded table.
	Progress func(format string, args ...any)
}

// runID names one seeding run, so that runs can share a database.
func runID() string {
	b := make([]byte, 4)
	crand.Read(b)
	return hex.EncodeToString(b)
}

// Seed creates opt.Members citizens without passwords, puts them on a new
// public community's roll (weight 1; the first is board), and creates and
// opens a majority ballot, which freezes the roll.
func Seed(ctx context.Context, st *sqlstore.Store, opt SeedOptions) (Fixture, error) {
	logf := opt.Progress
	if logf == nil {
		logf = func(string, ...any) {}
	}
	if opt.Members < 1 {
		return Fixture{}, fmt.Errorf("loadtest: need at least one member")
	}
	id := runID()
	now := time.Now().UTC().Truncate(time.Microsecond)
	f := Fixture{Slug: "loadtest-" + id}

	start := time.Now()
	f.CitizenIDs = make([]int64, 0, opt.Members)
	f.Handles = make([]string, 0, opt.Members)
	for lo := 0; lo < opt.Members; lo += txChunk {
		hi := min(lo+txChunk, opt.Members)
		cs := make([]store.Citizen, 0, hi-lo)
		for i := lo; i < hi; i++ {
			h := fmt.Sprintf("lt%s_%07d", id, i)
			cs = append(cs, store.Citizen{Handle: h, DisplayName: h, Email: h + "@example.org", TokenVersion: 1, CreatedAt: now})
		}
		if err := st.SeedRows(ctx, &cs); err != nil {
			return f, fmt.Errorf("loadtest: seed citizens: %w", err)
		}
		for _, c := range cs {
			f.CitizenIDs = append(f.CitizenIDs, c.ID)
			f.Handles = append(f.Handles, c.Handle)
		}
	}
	logf("seeded %d citizens in %s", opt.Members, time.Since(start).Round(time.Millisecond))

	c := store.Community{Slug: f.Slug, Name: "Load test " + id, Public: true, CreatedAt: now}
	if err := st.SeedRows(ctx, &c); err != nil {
		return f, fmt.Errorf("loadtest: community: %w", err)
	}
	f.CommunityID = c.ID

	start = time.Now()
	for lo := 0; lo < opt.Members; lo += txChunk {
		hi := min(lo+txChunk, opt.Members)
		ms := make([]store.Membership, 0, hi-lo)
		for i := lo; i < hi; i++ {
			role := domain.RoleMember
			if i == 0 {
				role = domain.RoleBoard
			}
			ms = append(ms, store.Membership{CommunityID: c.ID, CitizenID: f.CitizenIDs[i], Role: role, Weight: 1, StartedAt: now})
		}
		if err := st.SeedRows(ctx, &ms); err != nil {
			return f, fmt.Errorf("loadtest: seed memberships: %w", err)
		}
	}
	logf("seeded %d memberships in %s", opt.Members, time.Since(start).Round(time.Millisecond))

	if opt.Delegating > 0 {
		start = time.Now()
		n, err := seedDelegations(ctx, st, c.ID, f.CitizenIDs, opt.Delegating, now)
		if err != nil {
			return f, err
		}
		logf("seeded %d delegation lists in %s", n, time.Since(start).Round(time.Millisecond))
	}

	closesIn := opt.ClosesIn
	if closesIn == 0 {
		closesIn = time.Hour
	}
	b := store.Ballot{CommunityID: c.ID, Title: "Load test ballot " + id, Method: "majority", Seats: 1,
		Threshold: "1/2", Strict: true, Quorum: "0/1", Delegation: true, Secrecy: "public",
		CreatedBy: f.CitizenIDs[0], ClosesAt: time.Now().UTC().Add(closesIn).Truncate(time.Second)}
	opts := []store.BallotOption{{Key: "yes", Label: "Yes"}, {Key: "no", Label: "No"}, {Key: "abstain", Label: "Abstain"}}
	if err := st.CreateBallot(ctx, &b, opts, nil); err != nil {
		return f, fmt.Errorf("loadtest: create ballot: %w", err)
	}
	start = time.Now()
	if _, err := st.OpenBallot(ctx, b.ID); err != nil {
		return f, fmt.Errorf("loadtest: open ballot: %w", err)
	}
	logf("opened ballot %d (roll of %d frozen) in %s", b.ID, opt.Members, time.Since(start).Round(time.Millisecond))
	f.BallotID = b.ID
	return f, nil
}

// seedDelegations gives a share of the members a community-scope list of
// 1–3 delegates (a third of the lists have more than one), drawn with
// Zipf popularity, as the tally engine's resolution benchmark does.
func seedDelegations(ctx context.Context, st *sqlstore.Store, communityID int64, ids []int64, share float64, now time.Time) (int, error) {
	n := len(ids)
	if n < 2 {
		return 0, nil
	}
	rng := rand.New(rand.NewPCG(42, 42))
	zipf := rand.NewZipf(rng, 1.2, 1, uint64(n-1))
	perm := rng.Perm(n)
	who := rng.Perm(n)[:int(float64(n)*share)]
	for lo := 0; lo < len(who); lo += txChunk {
		hi := min(lo+txChunk, len(who))
		ds := make([]store.Delegation, 0, hi-lo)
		lists := make([][]int64, 0, hi-lo)
		for _, i := range who[lo:hi] {
			k := 1
			if rng.IntN(3) == 0 {
				k = 2 + rng.IntN(2)
			}
			var l []int64
			for len(l) < k {
				d := ids[perm[zipf.Uint64()]]
				if d != ids[i] && !contains(l, d) {
					l = append(l, d)
				}
			}
			ds = append(ds, store.Delegation{CitizenID: ids[i], CommunityID: communityID, ScopeKey: "c", UpdatedAt: now})
			lists = append(lists, l)
		}
		err := st.SeedDelegations(ctx, ds, lists)
		if err != nil {
			return 0, fmt.Errorf("loadtest: seed delegations: %w", err)
		}
	}
	return len(who), nil
}

func contains(s []int64, v int64) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// SeedVotes stores votes of the first n members directly (no log entry per
// vote: closing reads only the votes), in batches. Choices cycle through
// yes, yes, no, abstain.
func SeedVotes(ctx context.Context, st *sqlstore.Store, f Fixture, n int) error {
	now := time.Now().UTC().Truncate(time.Second)
	choices := []string{`"yes"`, `"yes"`, `"no"`, `"abstain"`}
	rng := rand.New(rand.NewPCG(7, 7))
	who := rng.Perm(len(f.CitizenIDs))[:min(n, len(f.CitizenIDs))]
	for lo := 0; lo < len(who); lo += txChunk {
		hi := min(lo+txChunk, len(who))
		vs := make([]store.Vote, 0, hi-lo)
		for j, i := range who[lo:hi] {
			vs = append(vs, store.Vote{BallotID: f.BallotID, CitizenID: f.CitizenIDs[i], Choice: choices[(lo+j)%len(choices)],
				Receipt: fmt.Sprintf("%064x", lo+j), CastAt: now})
		}
		if err := st.SeedRows(ctx, &vs); err != nil {
			return fmt.Errorf("loadtest: seed votes: %w", err)
		}
	}
	return nil
}

// Tokens mints an access token for every member of f.
func Tokens(tokens *auth.Tokens, f Fixture) ([]string, error) {
	out := make([]string, len(f.CitizenIDs))
	for i, id := range f.CitizenIDs {
		t, _, err := tokens.Issue(id, f.Handles[i], 1)
		if err != nil {
			return nil, err
		}
		out[i] = t
	}
	return out, nil
}
