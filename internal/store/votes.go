package store

import (
	"context"
	"errors"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"koinon/internal/domain"
)

// CastRequest is a vote to record. Receipt computes the cast receipt from
// the voter id (handle or pseudonym) once the store knows it.
type CastRequest struct {
	BallotID  int64
	CitizenID int64
	Choice    string // canonical JSON
	Receipt   func(voter string, castAt time.Time) (string, error)
}

// CastVote records or replaces a vote on an open ballot, checks that the
// citizen is on the frozen roll, and logs it. Concurrent submissions by
// one citizen leave exactly one vote: the row is keyed by (ballot,
// citizen) and written with an upsert under the ballot's lock.
func (s *Store) CastVote(ctx context.Context, r CastRequest) (Vote, error) {
	var out Vote
	err := s.tx(ctx, func(tx *gorm.DB) error {
		b, err := openForVoting(tx, s.dialect, r.BallotID, s.Now())
		if err != nil {
			return err
		}
		if err := onRoll(tx, b.ID, r.CitizenID); err != nil {
			return err
		}
		voter, err := voterID(tx, b, r.CitizenID)
		if err != nil {
			return err
		}
		now := s.Now()
		receipt, err := r.Receipt(voter, now)
		if err != nil {
			return err
		}
		var prev int64
		if err := tx.Model(&Vote{}).Where("ballot_id = ? AND citizen_id = ?", b.ID, r.CitizenID).Count(&prev).Error; err != nil {
			return wrap(err, "vote")
		}
		out = Vote{BallotID: b.ID, CitizenID: r.CitizenID, Choice: r.Choice, Receipt: receipt, CastAt: now}
		if err := tx.Clauses(clause.OnConflict{
			Columns:   []clause.Column{{Name: "ballot_id"}, {Name: "citizen_id"}},
			DoUpdates: clause.AssignmentColumns([]string{"choice", "receipt", "cast_at"}),
		}).Create(&out).Error; err != nil {
			return wrap(err, "cast vote")
		}
		kind := EventVoteCast
		if prev > 0 {
			kind = EventVoteReplaced
		}
		_, err = appendEvent(tx, s.dialect, b.ID, kind, map[string]any{"voter": voter, "cast_receipt": receipt}, now)
		return err
	})
	return out, err
}

// WithdrawVote removes the citizen's vote, so that their delegation applies
// again. Withdrawing when there is no vote is ErrNotFound.
func (s *Store) WithdrawVote(ctx context.Context, ballotID, citizenID int64) error {
	return s.tx(ctx, func(tx *gorm.DB) error {
		b, err := openForVoting(tx, s.dialect, ballotID, s.Now())
		if err != nil {
			return err
		}
		if err := onRoll(tx, b.ID, citizenID); err != nil {
			return err
		}
		res := tx.Where("ballot_id = ? AND citizen_id = ?", ballotID, citizenID).Delete(&Vote{})
		if res.Error != nil {
			return wrap(res.Error, "withdraw vote")
		}
		if res.RowsAffected == 0 {
			return wrap(gorm.ErrRecordNotFound, "vote of %d on ballot %d", citizenID, ballotID)
		}
		voter, err := voterID(tx, b, citizenID)
		if err != nil {
			return err
		}
		_, err = appendEvent(tx, s.dialect, b.ID, EventVoteWithdrawn, map[string]any{"voter": voter}, s.Now())
		return err
	})
}

func openForVoting(tx *gorm.DB, dialect string, id int64, now time.Time) (Ballot, error) {
	b, err := lockBallot(tx, dialect, id)
	if err != nil {
		return b, err
	}
	switch {
	case b.State == StateDraft:
		return b, domain.Stated("ballot_not_open", "the ballot is not open yet")
	case b.State == StateClosed:
		return b, domain.Stated("ballot_closed", "the ballot is closed")
	case !b.ClosesAt.After(now):
		return b, domain.Stated("ballot_closed", "voting has ended; the ballot is being closed")
	}
	return b, nil
}

func onRoll(tx *gorm.DB, ballotID, citizenID int64) error {
	var n int64
	if err := tx.Model(&BallotRoll{}).Where("ballot_id = ? AND citizen_id = ?", ballotID, citizenID).Count(&n).Error; err != nil {
		return wrap(err, "roll")
	}
	if n == 0 {
		return domain.ErrForbidden
	}
	return nil
}

// VoteOf returns the citizen's current vote on a ballot, or ErrNotFound.
func (s *Store) VoteOf(ctx context.Context, ballotID, citizenID int64) (Vote, error) {
	var v Vote
	err := s.db.WithContext(ctx).Where("ballot_id = ? AND citizen_id = ?", ballotID, citizenID).First(&v).Error
	return v, wrap(err, "vote of %d on ballot %d", citizenID, ballotID)
}

// VotersOf returns the citizen ids with a vote on the ballot (for live
// resolution on the delegation page).
func (s *Store) VotersOf(ctx context.Context, ballotID int64) ([]int64, error) {
	var ids []int64
	err := s.db.WithContext(ctx).Model(&Vote{}).Where("ballot_id = ?", ballotID).Pluck("citizen_id", &ids).Error
	return ids, wrap(err, "voters of %d", ballotID)
}

// IsNotFound reports whether err is ErrNotFound.
func IsNotFound(err error) bool { return errors.Is(err, ErrNotFound) }
