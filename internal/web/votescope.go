package web

import (
	"context"

	"koinon/internal/domain"
	"koinon/internal/store"
)

// voteScopeCache keeps, per process, the ballot and community that a vote
// (PUT /api/v1/ballots/:id/vote) acts on, for open ballots that are not
// secret, so that a vote reads neither again (routeCommunity). Nothing it
// keeps can change a vote's outcome by going stale:
//
//   - no code changes or removes a community row;
//   - an open ballot's community, method, secrecy, closing time and
//     options do not change; its state does, when it closes, but the vote
//     takes the state from here only for its early refusal (precheckVote):
//     the store reads the ballot again in the write transaction
//     (openForVoting, under the ballot's share lock on PostgreSQL) and
//     refuses a vote on a ballot closed meanwhile, by any process, with the
//     same 409; the roll is checked there too;
//   - the session (a revoked token) and the membership of a private
//     community are still read for every request (session, loadScope).
//
// Other routes read the ballot each time: pages and the GET of a vote show
// its state.
type voteScopeCache struct{ c idCache[voteScope] }

type voteScope struct {
	ballot    store.Ballot
	community store.Community
}

// get returns the ballot and its community, read from st unless kept.
func (vc *voteScopeCache) get(ctx context.Context, st Store, id int64) (store.Ballot, store.Community, error) {
	if sc, ok := vc.c.lookup(id); ok {
		return sc.ballot, sc.community, nil
	}
	b, err := st.BallotByID(ctx, id)
	if err != nil {
		return b, store.Community{}, err
	}
	cm, err := st.CommunityByID(ctx, b.CommunityID)
	if err != nil || b.State != store.StateOpen || b.Secrecy == domain.SecrecySecret {
		return b, cm, err
	}
	vc.c.keep(id, voteScope{ballot: b, community: cm})
	return b, cm, nil
}
