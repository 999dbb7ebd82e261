package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"gorm.io/gorm"

	"koinon/internal/domain"
	"koinon/internal/statement"
	"koinon/internal/store"
)

// Secret ballots (docs/spec/secret-ballot.md): trustees, their signed
// steps, encrypted votes and the tallying state. The public vote path
// (votes.go) is not touched: a secret vote has its own write here.

type (
	Trustee      = store.Trustee
	TrusteeStep  = store.TrusteeStep
	SecretTally  = store.SecretTally
	SecretState  = store.SecretState
	TrusteeWrite = store.TrusteeWrite
	SecretCast   = store.SecretCast
)

const (
	StateTallying       = store.StateTallying
	KindDecryptionShare = store.KindDecryptionShare
)

// createTrustees writes a new secret ballot's trustees and its empty
// tally row, in CreateBallot's transaction.
func createTrustees(tx *gorm.DB, b *Ballot) error {
	if b.Secrecy != domain.SecrecySecret {
		return nil
	}
	for i, id := range b.TrusteeIDs {
		if err := tx.Create(&Trustee{BallotID: b.ID, Position: i + 1, CitizenID: id}).Error; err != nil {
			return wrap(err, "trustee %d of ballot %d", i+1, b.ID)
		}
	}
	return wrap(tx.Create(&SecretTally{BallotID: b.ID}).Error, "secret tally of ballot %d", b.ID)
}

// secretKeyReady refuses to open a secret ballot whose joint key is not
// complete (409).
func secretKeyReady(tx *gorm.DB, b Ballot) error {
	if b.Secrecy != domain.SecrecySecret {
		return nil
	}
	var t SecretTally
	if err := tx.Where("ballot_id = ?", b.ID).First(&t).Error; err != nil {
		return wrap(err, "secret tally of ballot %d", b.ID)
	}
	if t.JointKey == "" {
		return domain.Stated("key_generation_incomplete",
			"the trustees have not completed the key generation: a secret ballot opens once its joint key is fixed")
	}
	return nil
}

// reloadSchema makes every pooled SQLite connection read the schema again
// after the migrations. Migration 0013 widens the ballots' state CHECK by
// editing sqlite_schema (the one way SQLite allows); connections reload
// their schema when another connection changed it, but the connection
// that ran the migration keeps the parsed old constraint. Two connections
// held at once each make a schema change (an empty table created and
// dropped): each then sees the other's, and every other connection sees
// both.
func reloadSchema(ctx context.Context, db *sql.DB) error {
	var conns [2]*sql.Conn
	for i := range conns {
		c, err := db.Conn(ctx)
		if err != nil {
			return fmt.Errorf("store: reload schema: %w", err)
		}
		defer c.Close()
		conns[i] = c
	}
	for _, c := range conns {
		if _, err := c.ExecContext(ctx, "CREATE TABLE koinon_schema_reload (x INTEGER); DROP TABLE koinon_schema_reload"); err != nil {
			return fmt.Errorf("store: reload schema: %w", err)
		}
	}
	for _, c := range conns {
		if _, err := c.ExecContext(ctx, "SELECT 1 FROM ballots LIMIT 0"); err != nil {
			return fmt.Errorf("store: reload schema: %w", err)
		}
	}
	return nil
}

// TrusteeIDs returns the citizen ids of handles, in order, each of whom
// must be a current member of the community; otherwise a 422 naming the
// field trustees and the handle.
func (s *Store) TrusteeIDs(ctx context.Context, communityID int64, handles []string) ([]int64, error) {
	ids := make([]int64, len(handles))
	for i, h := range handles {
		var rows []int64
		err := s.db.WithContext(ctx).Raw(`SELECT c.id FROM citizens c JOIN memberships m ON m.citizen_id = c.id
			WHERE c.handle = ? AND m.community_id = ? AND m.ended_at IS NULL LIMIT 1`, h, communityID).Scan(&rows).Error
		if err != nil {
			return nil, wrap(err, "trustee %s", h)
		}
		if len(rows) == 0 {
			return nil, domain.Invalidf("trustees", "%s is not a member of this community", domain.Quote(h))
		}
		ids[i] = rows[0]
	}
	return ids, nil
}

// IsTrustee reports whether the citizen is one of the ballot's trustees.
func (s *Store) IsTrustee(ctx context.Context, ballotID, citizenID int64) (bool, error) {
	var n int64
	err := s.db.WithContext(ctx).Model(&Trustee{}).Where("ballot_id = ? AND citizen_id = ?", ballotID, citizenID).Count(&n).Error
	return n > 0, wrap(err, "trustees of ballot %d", ballotID)
}

// SecretState reads a secret ballot's trustees (with handles), their
// steps and its tally row.
func (s *Store) SecretState(ctx context.Context, ballotID int64) (SecretState, error) {
	db := s.db.WithContext(ctx)
	var b Ballot
	if err := db.Omit("secret").First(&b, ballotID).Error; err != nil {
		return SecretState{}, wrap(err, "ballot %d", ballotID)
	}
	return loadSecretState(db, b)
}

func loadSecretState(tx *gorm.DB, b Ballot) (SecretState, error) {
	st := SecretState{Ballot: b}
	if b.Secrecy != domain.SecrecySecret {
		return st, wrap(gorm.ErrRecordNotFound, "ballot %d is not secret", b.ID)
	}
	rows, err := tx.Raw(`SELECT t.position, t.citizen_id, c.handle FROM ballot_trustees t JOIN citizens c ON c.id = t.citizen_id
		WHERE t.ballot_id = ? ORDER BY t.position`, b.ID).Rows()
	if err != nil {
		return st, wrap(err, "trustees of ballot %d", b.ID)
	}
	defer rows.Close()
	for rows.Next() {
		t := Trustee{BallotID: b.ID}
		if err := rows.Scan(&t.Position, &t.CitizenID, &t.Handle); err != nil {
			return st, wrap(err, "trustees of ballot %d", b.ID)
		}
		st.Trustees = append(st.Trustees, t)
	}
	if err := rows.Err(); err != nil {
		return st, wrap(err, "trustees of ballot %d", b.ID)
	}
	if err := tx.Where("ballot_id = ?", b.ID).Order("position, step").Find(&st.Steps).Error; err != nil {
		return st, wrap(err, "trustee steps of ballot %d", b.ID)
	}
	if err := tx.Where("ballot_id = ?", b.ID).First(&st.Tally).Error; err != nil {
		return st, wrap(err, "secret tally of ballot %d", b.ID)
	}
	if b.State != StateTallying {
		return st, nil
	}
	// The voters' secret_vote statements, in log order, for the proof.
	err = tx.Raw(`SELECT envelope FROM statements WHERE community_id = ? AND envelope LIKE ? AND envelope LIKE ? ORDER BY log_index`,
		b.CommunityID, `%"kind":"secret_vote"%`, `%"scope":"`+ballotScope(b.ID)+`"%`).Scan(&st.VoteStatements).Error
	return st, wrap(err, "vote statements of ballot %d", b.ID)
}

// AddTrusteeStep records a trustee's step in one transaction: under the
// ballot's lock it reads the secret state, lets decide check the step
// against it (a refusal writes nothing) and writes what decide returns:
// the step, logged as the trustee's signed statement (the envelope comes
// with ctx), the joint key when the step completes the key generation,
// and the sealed result when it reaches the decryption threshold.
func (s *Store) AddTrusteeStep(ctx context.Context, ballotID, citizenID int64, kind statement.Kind,
	decide func(st SecretState, position int) (TrusteeWrite, error)) (Ballot, error) {
	var out Ballot
	err := s.tx(ctx, func(tx *gorm.DB) error {
		b, err := lockBallot(tx, s.dialect, ballotID)
		if err != nil {
			return err
		}
		st, err := loadSecretState(tx, b)
		if err != nil {
			return err
		}
		pos := st.TrusteeOf(citizenID)
		if pos == 0 {
			return domain.ErrForbidden
		}
		w, err := decide(st, pos)
		if err != nil {
			return err
		}
		now := s.Now()
		w.Step.BallotID, w.Step.Position, w.Step.CreatedAt = b.ID, pos, now
		if sub := SubmissionFrom(ctx); sub != nil && sub.Envelope != nil {
			w.Step.Statement = string(sub.Envelope.Bytes())
		}
		if err := s.record(ctx, tx, action{communityID: b.CommunityID, citizenID: citizenID, kind: kind,
			scope: ballotScope(b.ID), content: json.RawMessage(w.Step.Content), ballot: &b}); err != nil {
			return err
		}
		if w.Step.Statement == "" && s.logs != nil {
			// Signed with the custodial key: the step keeps the statement
			// just logged, the citizen's latest, for the sealed proof.
			if err := flushStatements(tx, b.CommunityID); err != nil {
				return err
			}
			if err := tx.Raw(`SELECT envelope FROM statements WHERE community_id = ? AND citizen_id = ? ORDER BY log_index DESC LIMIT 1`,
				b.CommunityID, citizenID).Scan(&w.Step.Statement).Error; err != nil {
				return wrap(err, "statement of trustee step %s of ballot %d", w.Step.Step, b.ID)
			}
		}
		if err := tx.Create(&w.Step).Error; err != nil {
			return wrap(err, "trustee step %s of ballot %d", w.Step.Step, b.ID)
		}
		if w.JointKey != "" {
			if err := tx.Model(&SecretTally{}).Where("ballot_id = ?", b.ID).
				Updates(map[string]any{"key_generation": w.KeyGeneration, "joint_key": w.JointKey}).Error; err != nil {
				return wrap(err, "joint key of ballot %d", b.ID)
			}
		}
		if w.Sealed != nil {
			if err := s.seal(tx, &b, *w.Sealed, now); err != nil {
				return err
			}
		}
		out = b
		return nil
	})
	return out, err
}

// CastSecretVote records or replaces an encrypted vote on an open secret
// ballot, in its own transaction: the citizen must be on the frozen roll,
// and no ciphertext of the ballot may have been cast by another voter (a
// replay). The vote row holds only the encrypted ballot; its log entry is
// the citizen's secret_vote statement (from ctx, or signed with the
// custodial key).
func (s *Store) CastSecretVote(ctx context.Context, r SecretCast) (Vote, error) {
	var out Vote
	err := s.tx(ctx, func(tx *gorm.DB) error {
		b, err := openForVoting(tx, s.dialect, r.BallotID, r.CitizenID, s.Now())
		if err != nil {
			return err
		}
		if b.Secrecy != domain.SecrecySecret {
			return domain.Invalidf("ballot", "ballot %d is not secret", b.ID)
		}
		var taken []string
		if err := tx.Raw("SELECT a FROM secret_ciphertexts WHERE ballot_id = ? AND a IN ? AND citizen_id <> ? LIMIT 1",
			b.ID, r.Points, r.CitizenID).Scan(&taken).Error; err != nil {
			return wrap(err, "ciphertexts of ballot %d", b.ID)
		}
		if len(taken) > 0 {
			return domain.Invalidf("ballot", "ciphertext %s was already cast by another voter: a replayed ballot is refused", taken[0])
		}
		if err := tx.Exec("DELETE FROM secret_ciphertexts WHERE ballot_id = ? AND citizen_id = ?", b.ID, r.CitizenID).Error; err != nil {
			return wrap(err, "replace ciphertexts")
		}
		for _, a := range r.Points {
			if err := tx.Exec("INSERT INTO secret_ciphertexts (ballot_id, a, citizen_id) VALUES (?, ?, ?)", b.ID, a, r.CitizenID).Error; err != nil {
				return wrap(err, "ciphertexts of ballot %d", b.ID)
			}
		}
		now := s.Now()
		out = Vote{BallotID: b.ID, CitizenID: r.CitizenID, Choice: r.Ballot, Receipt: r.Receipt, CastAt: now}
		replaced, err := writeVote(tx, &out)
		if err != nil {
			return err
		}
		kind := EventVoteCast
		if replaced {
			kind = EventVoteReplaced
		}
		var voter Citizen
		if err := tx.Select("handle").First(&voter, r.CitizenID).Error; err != nil {
			return wrap(err, "citizen %d", r.CitizenID)
		}
		if err = appendVoterEvent(tx, s.dialect, b.ID, kind, map[string]any{"voter": voter.Handle, "ballot_hash": r.Receipt}, now); err != nil {
			return err
		}
		return s.record(ctx, tx, action{communityID: b.CommunityID, citizenID: r.CitizenID, kind: statement.SecretVote,
			scope: ballotScope(b.ID), content: r.Content, ballot: &b})
	})
	return out, err
}

// WithdrawSecretVote removes the citizen's encrypted vote from an open
// secret ballot, so that their delegation applies again, and logs their
// vote_withdraw statement (from ctx, or signed with the custodial key).
// Withdrawing when there is no vote is ErrNotFound.
func (s *Store) WithdrawSecretVote(ctx context.Context, ballotID, citizenID int64) error {
	return s.withdraw(ctx, ballotID, citizenID, func(tx *gorm.DB, b Ballot) error {
		if err := tx.Exec("DELETE FROM secret_ciphertexts WHERE ballot_id = ? AND citizen_id = ?", b.ID, citizenID).Error; err != nil {
			return wrap(err, "withdraw ciphertexts")
		}
		var voter Citizen
		if err := tx.Select("handle").First(&voter, citizenID).Error; err != nil {
			return wrap(err, "citizen %d", citizenID)
		}
		if err := appendVoterEvent(tx, s.dialect, b.ID, EventVoteWithdrawn, map[string]any{"voter": voter.Handle}, s.Now()); err != nil {
			return err
		}
		return s.record(ctx, tx, action{communityID: b.CommunityID, citizenID: citizenID, kind: statement.VoteWithdraw,
			scope: ballotScope(b.ID), content: struct{}{}, ballot: &b})
	})
}

// beginTallying ends a secret ballot's close: it keeps the frozen count
// input and the aggregate, moves the ballot to tallying and asks each
// trustee for a decryption share.
func (s *Store) beginTallying(tx *gorm.DB, b *Ballot, out CloseOutput, now time.Time) error {
	if err := tx.Model(&SecretTally{}).Where("ballot_id = ?", b.ID).Updates(map[string]any{
		"cast_json": string(out.SecretFrozen), "aggregate": string(out.SecretAggregate),
	}).Error; err != nil {
		return wrap(err, "aggregate of ballot %d", b.ID)
	}
	if err := tx.Model(&Ballot{}).Where("id = ?", b.ID).Updates(map[string]any{"state": StateTallying, "closed_at": now}).Error; err != nil {
		return wrap(err, "tally ballot %d", b.ID)
	}
	b.State, b.ClosedAt = StateTallying, &now
	// Each trustee is asked for a decryption share (notify_events.go).
	return s.notifyShareDue(tx, b.ID, "SELECT citizen_id FROM ballot_trustees WHERE ballot_id = ?", b.ID)
}
