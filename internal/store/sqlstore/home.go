package sqlstore

import (
	"context"
)

// AwaitingBallots lists the open ballots, before their closing time, on
// whose frozen roll citizenID stands and on which they have no vote yet,
// soonest closing first: one query across all their communities.
func (s *Store) AwaitingBallots(ctx context.Context, citizenID int64) ([]HomeBallot, error) {
	var out []HomeBallot
	err := s.db.WithContext(ctx).Raw(`SELECT b.*, c.slug AS community_slug, c.name AS community_name
		FROM ballots b
		JOIN ballot_roll r ON r.ballot_id = b.id AND r.citizen_id = ?
		JOIN communities c ON c.id = b.community_id
		WHERE b.state = ? AND b.closes_at > ?
		AND NOT EXISTS (SELECT 1 FROM votes v WHERE v.ballot_id = b.id AND v.citizen_id = ?)
		ORDER BY b.closes_at, b.id`, citizenID, StateOpen, s.Now(), citizenID).Scan(&out).Error
	return clearSecrets(out), wrap(err, "ballots awaiting %d", citizenID)
}

// RecentResults lists the newest closed ballots, at most limit, of the
// communities citizenID is a current member of: one query.
func (s *Store) RecentResults(ctx context.Context, citizenID int64, limit int) ([]HomeBallot, error) {
	var out []HomeBallot
	err := s.db.WithContext(ctx).Raw(`SELECT b.*, c.slug AS community_slug, c.name AS community_name
		FROM ballots b
		JOIN communities c ON c.id = b.community_id
		WHERE b.state = ? AND EXISTS (SELECT 1 FROM memberships m
			WHERE m.community_id = b.community_id AND m.citizen_id = ? AND m.ended_at IS NULL)
		ORDER BY COALESCE(b.closed_at, b.closes_at) DESC, b.id DESC
		LIMIT ?`, StateClosed, citizenID, limit).Scan(&out).Error
	return clearSecrets(out), wrap(err, "recent results of %d", citizenID)
}

// clearSecrets drops the pseudonym secret, which no home page needs.
func clearSecrets(bs []HomeBallot) []HomeBallot {
	for i := range bs {
		bs[i].Secret = ""
	}
	return bs
}

// GoneDelegates lists, in one query, the delegates on citizenID's lists
// (any community, any scope) who have left the list's community.
func (s *Store) GoneDelegates(ctx context.Context, citizenID int64) ([]GoneDelegate, error) {
	var out []GoneDelegate
	err := s.db.WithContext(ctx).Raw(`SELECT c.slug AS community_slug, c.name AS community_name, d.scope_key,
			COALESCE(t.name, b.title, '') AS scope_name, x.handle
		FROM delegations d
		JOIN delegation_delegates dd ON dd.delegation_id = d.id
		JOIN citizens x ON x.id = dd.delegate_id
		JOIN communities c ON c.id = d.community_id
		LEFT JOIN topics t ON t.id = d.topic_id
		LEFT JOIN ballots b ON b.id = d.ballot_id
		WHERE (b.id IS NULL OR b.state <> 'closed') AND d.citizen_id = ? AND NOT EXISTS (SELECT 1 FROM memberships m
			WHERE m.community_id = d.community_id AND m.citizen_id = dd.delegate_id AND m.ended_at IS NULL)
		ORDER BY c.name, d.scope_key, dd.position`, citizenID).Scan(&out).Error
	return out, wrap(err, "gone delegates of %d", citizenID)
}

// LiveInputs returns the LiveInput of each ballot, keyed by ballot id, in
// three queries whatever the number of ballots.
func (s *Store) LiveInputs(ctx context.Context, ballots []Ballot) (map[int64]LiveInput, error) {
	out := make(map[int64]LiveInput, len(ballots))
	if len(ballots) == 0 {
		return out, nil
	}
	ids := make([]int64, len(ballots))
	for i, b := range ballots {
		ids[i] = b.ID
	}
	db := s.db.WithContext(ctx)
	var roll []struct {
		BallotID int64
		RollEntry
	}
	if err := db.Raw(`SELECT r.ballot_id, r.citizen_id, c.handle, r.weight FROM ballot_roll r
		JOIN citizens c ON c.id = r.citizen_id WHERE r.ballot_id IN ? ORDER BY r.ballot_id, c.handle`, ids).Scan(&roll).Error; err != nil {
		return nil, wrap(err, "rolls of ballots %v", ids)
	}
	var votes []Vote
	if err := db.Select("ballot_id", "citizen_id").Where("ballot_id IN ?", ids).Order("ballot_id, citizen_id").Find(&votes).Error; err != nil {
		return nil, wrap(err, "voters of ballots %v", ids)
	}
	lists, err := effectiveListsMany(db, ballots)
	if err != nil {
		return nil, err
	}
	for _, b := range ballots {
		out[b.ID] = LiveInput{Lists: lists[b.ID]}
	}
	for _, r := range roll {
		in := out[r.BallotID]
		in.Roll = append(in.Roll, r.RollEntry)
		out[r.BallotID] = in
	}
	for _, v := range votes {
		in := out[v.BallotID]
		in.Voters = append(in.Voters, v.CitizenID)
		out[v.BallotID] = in
	}
	return out, nil
}
