package sqlstore

import (
	"context"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// CreateProposal stores a proposal; ID and CreatedAt are set here.
func (s *Store) CreateProposal(ctx context.Context, p *Proposal) error {
	p.CreatedAt = s.Now()
	return wrap(s.db.WithContext(ctx).Create(p).Error, "create proposal")
}

func proposalQuery(db *gorm.DB) *gorm.DB {
	return db.Table("proposals p").
		Select(`p.*, c.handle AS author_handle, COALESCE(t.slug, '') AS topic_slug, COALESCE(t.name, '') AS topic_name,
			(SELECT COUNT(*) FROM supports s WHERE s.proposal_id = p.id) AS supporters,
			COALESCE((SELECT b.state FROM ballots b WHERE b.id = p.ballot_id), '') AS ballot_state`).
		Joins("JOIN citizens c ON c.id = p.author_id").
		Joins("LEFT JOIN topics t ON t.id = p.topic_id")
}

// ListProposals lists a community's proposals, newest first, and the total.
func (s *Store) ListProposals(ctx context.Context, communityID int64, limit, offset int) ([]ProposalSummary, int64, error) {
	db := s.db.WithContext(ctx)
	var total int64
	if err := db.Model(&Proposal{}).Where("community_id = ?", communityID).Count(&total).Error; err != nil {
		return nil, 0, wrap(err, "count proposals")
	}
	var out []ProposalSummary
	err := proposalQuery(db).Where("p.community_id = ?", communityID).Order("p.created_at DESC, p.id DESC").Limit(limit).Offset(offset).Scan(&out).Error
	return out, total, wrap(err, "list proposals")
}

// ProposalSummaryByID loads one proposal with its figures.
func (s *Store) ProposalSummaryByID(ctx context.Context, id int64) (ProposalSummary, error) {
	var out []ProposalSummary
	err := proposalQuery(s.db.WithContext(ctx)).Where("p.id = ?", id).Scan(&out).Error
	if err == nil && len(out) == 0 {
		err = gorm.ErrRecordNotFound
	}
	if err != nil {
		return ProposalSummary{}, wrap(err, "proposal %d", id)
	}
	return out[0], nil
}

// ProposalsByIDs loads proposals of a community by id, in the given order.
func (s *Store) ProposalsByIDs(ctx context.Context, communityID int64, ids []int64) ([]Proposal, error) {
	var ps []Proposal
	if err := s.db.WithContext(ctx).Where("community_id = ? AND id IN ?", communityID, ids).Find(&ps).Error; err != nil {
		return nil, wrap(err, "proposals")
	}
	byID := map[int64]Proposal{}
	for _, p := range ps {
		byID[p.ID] = p
	}
	out := make([]Proposal, 0, len(ids))
	for _, id := range ids {
		p, ok := byID[id]
		if !ok {
			return nil, wrap(gorm.ErrRecordNotFound, "proposal %d", id)
		}
		out = append(out, p)
	}
	return out, nil
}

// SetSupport adds (on) or withdraws (off) a citizen's support; doing it
// twice is harmless.
func (s *Store) SetSupport(ctx context.Context, proposalID, citizenID int64, on bool) error {
	db := s.db.WithContext(ctx)
	if !on {
		return wrap(db.Where("proposal_id = ? AND citizen_id = ?", proposalID, citizenID).Delete(&Support{}).Error, "withdraw support")
	}
	err := db.Clauses(clause.OnConflict{DoNothing: true}).Create(&Support{ProposalID: proposalID, CitizenID: citizenID, CreatedAt: s.Now()}).Error
	return wrap(err, "support proposal %d", proposalID)
}

// Supports reports whether the citizen supports the proposal.
func (s *Store) Supports(ctx context.Context, proposalID, citizenID int64) (bool, error) {
	var n int64
	err := s.db.WithContext(ctx).Model(&Support{}).Where("proposal_id = ? AND citizen_id = ?", proposalID, citizenID).Count(&n).Error
	return n > 0, wrap(err, "support")
}

// ScopeTopics lists a community's topics by name.
func (s *Store) ScopeTopics(ctx context.Context, communityID int64) ([]Topic, error) {
	var out []Topic
	err := s.db.WithContext(ctx).Where("community_id = ?", communityID).Order("name").Find(&out).Error
	return out, wrap(err, "topics")
}

// ScopeTopic loads a topic of a community.
func (s *Store) ScopeTopic(ctx context.Context, communityID int64, slug string) (Topic, error) {
	var t Topic
	err := s.db.WithContext(ctx).Where("community_id = ? AND slug = ?", communityID, slug).First(&t).Error
	return t, wrap(err, "topic %q", slug)
}
