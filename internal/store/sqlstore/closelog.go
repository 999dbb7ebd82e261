package sqlstore

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"

	"gorm.io/gorm"

	"koinon/internal/clog"
	"koinon/internal/statement"
)

// closeLog appends the openings of a closing public ballot's vote
// commitments to its community's log and returns the log at the close.
// Without logs, or for other ballots, it returns nil.
func (s *Store) closeLog(tx *gorm.DB, b Ballot) (*CloseLog, error) {
	if s.logs == nil || b.Secrecy != "public" {
		return nil, nil
	}
	row, lg, err := s.openLog(tx, b.CommunityID, true)
	if err != nil {
		return nil, err
	}
	out := &CloseLog{CommunityID: b.CommunityID, Origin: row.Origin, CloseSize: row.Size}
	if out.Witnesses, err = loadWitnesses(tx, b.CommunityID); err != nil {
		return nil, err
	}
	if out.Before, err = s.signCheckpoint(row, lg); err != nil {
		return nil, err
	}
	var ops []voteOpening
	if err := tx.Where("ballot_id = ?", b.ID).Order("log_index").Find(&ops).Error; err != nil {
		return nil, wrap(err, "vote openings of ballot %d", b.ID)
	}
	entries := make([][]byte, 0, len(ops))
	for _, op := range ops {
		data, err := openingEntry(op)
		if err != nil {
			return nil, fmt.Errorf("store: opening of the vote at log index %d: %w", op.LogIndex, err)
		}
		entries = append(entries, data)
	}
	if len(entries) > 0 {
		if _, err := appendLog(tx, &row, lg, entries); err != nil {
			return nil, err
		}
	}
	if out.Checkpoint, err = s.signCheckpoint(row, lg); err != nil {
		return nil, err
	}
	if _, out.VKey, err = s.logs.Keys.LogSigner(row.Origin); err != nil {
		return nil, err
	}
	out.Entries, err = logEntries(tx, b.CommunityID, 0, row.Size)
	return out, err
}

// openingEntry is the log entry that publishes a kept opening.
func openingEntry(op voteOpening) ([]byte, error) {
	env, err := statement.Parse([]byte(op.Envelope))
	if err != nil {
		return nil, err
	}
	var c statement.Hash
	if n, err := hex.Decode(c[:], []byte(op.Commitment)); err != nil || n != len(c) {
		return nil, fmt.Errorf("commitment %q", op.Commitment)
	}
	e, err := clog.OpeningEntry(statement.Opening{Nonce: op.Nonce, Envelope: env}, c)
	if err != nil {
		return nil, err
	}
	return e.Bytes()
}

// BackfillLogs starts the log of every community that has none yet with
// what already counts there, signed with the citizens' custodial keys:
// each delegation list, and each vote on an open public ballot (as its
// commitment). It runs once, when the logs are first turned on, so that a
// ballot's proof 2 built from the log counts what the database counted.
func (s *Store) BackfillLogs(ctx context.Context) (int, error) {
	if s.logs == nil {
		return 0, nil
	}
	var ids []int64
	if err := s.db.WithContext(ctx).Raw(`SELECT id FROM communities WHERE id NOT IN (SELECT community_id FROM community_logs) ORDER BY id`).Scan(&ids).Error; err != nil {
		return 0, wrap(err, "communities without a log")
	}
	n := 0
	for _, id := range ids {
		err := s.tx(ctx, func(tx *gorm.DB) error {
			if _, _, err := s.openLog(tx, id, true); err != nil {
				return err
			}
			var ds []Delegation
			if err := tx.Where("community_id = ?", id).Order("updated_at, id").Find(&ds).Error; err != nil {
				return wrap(err, "delegations of community %d", id)
			}
			for _, d := range ds {
				var dr delegationRow
				sc := Scope{CommunityID: id}
				if d.TopicID != nil {
					sc.TopicID = *d.TopicID
				}
				if d.BallotID != nil {
					sc.BallotID = *d.BallotID
				}
				if dr, _ = loadDelegation(tx, d.CitizenID, sc); dr.ids == nil {
					dr.ids = []int64{}
				}
				if err := s.recordDelegation(ctx, tx, d.CitizenID, sc, dr.ids, false); err != nil {
					return err
				}
				n++
			}
			var ballots []Ballot
			if err := tx.Where("community_id = ? AND state = ? AND secrecy = ?", id, StateOpen, "public").Order("id").Find(&ballots).Error; err != nil {
				return wrap(err, "open ballots of community %d", id)
			}
			for _, b := range ballots {
				var votes []Vote
				if err := tx.Where("ballot_id = ?", b.ID).Order("cast_at, citizen_id").Find(&votes).Error; err != nil {
					return wrap(err, "votes of ballot %d", b.ID)
				}
				for _, v := range votes {
					if err := s.recordVote(ctx, tx, b, v.CitizenID, statement.Vote, statement.VoteContent{Choice: json.RawMessage(v.Choice)}); err != nil {
						return err
					}
					n++
				}
			}
			return nil
		})
		if err != nil {
			return n, err
		}
	}
	return n, nil
}
