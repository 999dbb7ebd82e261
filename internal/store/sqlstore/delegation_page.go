package sqlstore

import (
	"context"
	"time"
)

// DelegationPageOf reads the delegation page of citizenID in communityID.
func (s *Store) DelegationPageOf(ctx context.Context, citizenID, communityID int64) (DelegationPage, error) {
	var p DelegationPage
	var err error
	if p.Members, err = s.MemberHandles(ctx, communityID, citizenID); err != nil {
		return p, err
	}
	if p.Lists, err = s.DelegationsOf(ctx, citizenID, communityID); err != nil {
		return p, err
	}
	if p.Topics, err = s.ScopeTopics(ctx, communityID); err != nil {
		return p, err
	}
	if p.Open, err = s.OpenBallotsOf(ctx, communityID); err != nil {
		return p, err
	}
	if p.Live, err = s.LiveInputs(ctx, p.Open); err != nil {
		return p, err
	}
	if p.Delegators, err = s.DelegatorsOf(ctx, citizenID, communityID); err != nil {
		return p, err
	}
	if p.Notices, err = s.DelegationNotices(ctx, citizenID, communityID, 10); err != nil {
		return p, err
	}
	var ids []int64
	for _, l := range p.Lists {
		for _, d := range l.Delegates {
			ids = append(ids, d.ID)
		}
	}
	if p.Delegates, err = s.delegateStatus(ctx, communityID, ids); err != nil {
		return p, err
	}
	var closed []int64
	err = s.db.WithContext(ctx).Model(&Ballot{}).Where("community_id = ? AND state = ?", communityID, StateClosed).
		Limit(1).Pluck("id", &closed).Error
	p.HasClosed = len(closed) > 0
	return p, wrap(err, "closed ballots of community %d", communityID)
}

// delegateStatus reads membership and last vote of the citizens ids in
// the community, in two queries.
func (s *Store) delegateStatus(ctx context.Context, communityID int64, ids []int64) (map[int64]DelegateStatus, error) {
	out := make(map[int64]DelegateStatus, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	db := s.db.WithContext(ctx)
	var members []int64
	if err := db.Model(&Membership{}).Where("community_id = ? AND citizen_id IN ? AND ended_at IS NULL", communityID, ids).
		Pluck("citizen_id", &members).Error; err != nil {
		return nil, wrap(err, "delegates' memberships")
	}
	// One row per vote (a delegate votes once per ballot): the latest is
	// picked here, as MAX() would lose the column's time type on SQLite.
	var votes []struct {
		CitizenID int64
		CastAt    time.Time
	}
	if err := db.Table("votes v").Select("v.citizen_id, v.cast_at").Joins("JOIN ballots b ON b.id = v.ballot_id").
		Where("b.community_id = ? AND v.citizen_id IN ?", communityID, ids).Scan(&votes).Error; err != nil {
		return nil, wrap(err, "delegates' last votes")
	}
	for _, id := range members {
		out[id] = DelegateStatus{Member: true}
	}
	for _, v := range votes {
		st := out[v.CitizenID]
		if st.LastVote == nil || v.CastAt.After(*st.LastVote) {
			at := v.CastAt
			st.LastVote = &at
		}
		out[v.CitizenID] = st
	}
	return out, nil
}
