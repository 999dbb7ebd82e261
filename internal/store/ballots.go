package store

import "context"

// BallotByID loads a ballot.
func (s *Store) BallotByID(ctx context.Context, id int64) (Ballot, error) {
	var b Ballot
	err := s.db.WithContext(ctx).First(&b, id).Error
	return b, wrap(err, "ballot %d", id)
}

// ProposalByID loads a proposal.
func (s *Store) ProposalByID(ctx context.Context, id int64) (Proposal, error) {
	var p Proposal
	err := s.db.WithContext(ctx).First(&p, id).Error
	return p, wrap(err, "proposal %d", id)
}
