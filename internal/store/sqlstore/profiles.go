package sqlstore

import (
	"context"

	"gorm.io/gorm"

	"koinon/internal/domain"
)

type delegateTopic struct {
	CommunityID int64 `gorm:"primaryKey;autoIncrement:false"`
	CitizenID   int64 `gorm:"primaryKey;autoIncrement:false"`
	TopicID     int64 `gorm:"primaryKey;autoIncrement:false"`
}

// SaveDelegateProfile replaces the citizen's statement and the topics
// they accept delegations for (topics of the community only).
func (s *Store) SaveDelegateProfile(ctx context.Context, communityID, citizenID int64, statement string, topicIDs []int64) error {
	return s.tx(ctx, func(tx *gorm.DB) error {
		if len(topicIDs) > 0 {
			var n int64
			if err := tx.Model(&Topic{}).Where("community_id = ? AND id IN ?", communityID, topicIDs).Count(&n).Error; err != nil {
				return wrap(err, "topics")
			}
			if int(n) != len(topicIDs) {
				return domain.Refuse("topics", "no_topic")
			}
		}
		p := DelegateProfile{CommunityID: communityID, CitizenID: citizenID, Statement: statement, UpdatedAt: s.stamp()}
		if err := tx.Save(&p).Error; err != nil {
			return wrap(err, "save delegate profile")
		}
		if err := tx.Where("community_id = ? AND citizen_id = ?", communityID, citizenID).Delete(&delegateTopic{}).Error; err != nil {
			return wrap(err, "clear delegate topics")
		}
		for _, id := range topicIDs {
			if err := tx.Create(&delegateTopic{CommunityID: communityID, CitizenID: citizenID, TopicID: id}).Error; err != nil {
				return wrap(err, "delegate topic %d", id)
			}
		}
		return nil
	})
}

// DelegateProfileOf returns the citizen's profile (empty when never
// saved) and accepted topics, by name.
func (s *Store) DelegateProfileOf(ctx context.Context, communityID, citizenID int64) (DelegateProfile, []Topic, error) {
	db := s.db.WithContext(ctx)
	p := DelegateProfile{CommunityID: communityID, CitizenID: citizenID}
	if err := db.Where("community_id = ? AND citizen_id = ?", communityID, citizenID).Limit(1).Find(&p).Error; err != nil {
		return p, nil, wrap(err, "delegate profile")
	}
	var ts []Topic
	err := db.Table("topics t").Select("t.*").Joins("JOIN delegate_topics dt ON dt.topic_id = t.id").
		Where("dt.community_id = ? AND dt.citizen_id = ?", communityID, citizenID).Order("t.name").Scan(&ts).Error
	return p, ts, wrap(err, "delegate topics")
}

// FirstChoiceWeights sums, per community or topic scope, the current
// membership weight of citizens who name delegateID first. Ballot scopes
// are left out: they belong to one ballot, which may be pseudonymous.
func (s *Store) FirstChoiceWeights(ctx context.Context, communityID, delegateID int64) ([]ScopeWeight, error) {
	var out []ScopeWeight
	err := s.db.WithContext(ctx).Table("delegation_delegates dd").
		Select("d.scope_key, COUNT(*) AS delegators, COALESCE(SUM(m.weight), 0) AS weight").
		Joins("JOIN delegations d ON d.id = dd.delegation_id").
		Joins("JOIN memberships m ON m.community_id = d.community_id AND m.citizen_id = d.citizen_id AND m.ended_at IS NULL").
		Where("dd.delegate_id = ? AND dd.position = 0 AND d.community_id = ? AND d.scope_key NOT LIKE ?", delegateID, communityID, "b:%").
		Group("d.scope_key").Order("d.scope_key").Scan(&out).Error
	return out, wrap(err, "weights of delegate %d", delegateID)
}

// HasOpenPseudonymous reports whether a pseudonymous ballot of the
// community is open (delegation weights must not show then:
// docs/security.md).
func (s *Store) HasOpenPseudonymous(ctx context.Context, communityID int64) (bool, error) {
	var n int64
	err := s.db.WithContext(ctx).Model(&Ballot{}).Where("community_id = ? AND state = ? AND secrecy <> ?", communityID, StateOpen, "public").Count(&n).Error
	return n > 0, wrap(err, "open ballots")
}

// PublicVotingRecord lists the citizen's direct votes on the community's
// CLOSED PUBLIC ballots, newest first: what the sealed result of each
// publishes by handle anyway. Open, pseudonymous and secret ballots never
// appear.
func (s *Store) PublicVotingRecord(ctx context.Context, communityID, citizenID int64, limit int) ([]RecordEntry, error) {
	var out []RecordEntry
	err := s.db.WithContext(ctx).Table("votes v").
		Select("b.id AS ballot_id, b.title, b.method, b.closed_at, v.choice").
		Joins("JOIN ballots b ON b.id = v.ballot_id").
		Where("v.citizen_id = ? AND b.community_id = ? AND b.state = ? AND b.secrecy = ?", citizenID, communityID, StateClosed, "public").
		Order("b.closed_at DESC, b.id DESC").Limit(limit).Scan(&out).Error
	return out, wrap(err, "voting record of %d", citizenID)
}

// FindDelegates lists the community's current members who accept
// delegations for the topic (topicID 0: every member with a statement or
// a topic), by handle. The statement is the community's, else the one
// of the citizen's account (/profile).
func (s *Store) FindDelegates(ctx context.Context, communityID, topicID int64, limit int) ([]DelegateSummary, error) {
	q := s.db.WithContext(ctx).Table("memberships m").
		Select("c.handle, c.display_name, COALESCE(NULLIF(p.statement, ''), c.statement) AS statement").
		Joins("JOIN citizens c ON c.id = m.citizen_id").
		Joins("LEFT JOIN delegate_profiles p ON p.community_id = m.community_id AND p.citizen_id = m.citizen_id").
		Where("m.community_id = ? AND m.ended_at IS NULL", communityID)
	if topicID > 0 {
		q = q.Where("EXISTS (SELECT 1 FROM delegate_topics dt WHERE dt.community_id = m.community_id AND dt.citizen_id = m.citizen_id AND dt.topic_id = ?)", topicID)
	} else {
		q = q.Where("(COALESCE(NULLIF(p.statement, ''), c.statement) <> '' OR EXISTS (SELECT 1 FROM delegate_topics dt WHERE dt.community_id = m.community_id AND dt.citizen_id = m.citizen_id))")
	}
	var out []DelegateSummary
	err := q.Order("c.handle").Limit(limit).Scan(&out).Error
	return out, wrap(err, "find delegates")
}
