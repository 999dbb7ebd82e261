package store

import (
	"context"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"koinon/internal/domain"
)

// CloseInput is what a ballot's count needs, read inside the closing
// transaction: the frozen roll with each voter's effective delegate list
// (already named as the proof names voters) and the final votes.
type CloseInput struct {
	Ballot     Ballot
	Community  Community
	Topic      *Topic
	Options    []BallotOption
	Electorate []ElectorateRow // in roll order (citizen id)
	Votes      []FinalVote
	ClosedAt   time.Time
}

// ElectorateRow is one voter of the frozen roll.
type ElectorateRow struct {
	CitizenID int64
	Voter     string   // handle or pseudonym
	Weight    int64    // ≥ 1
	Delegates []string // effective list, as voter ids; never nil
}

// FinalVote is one vote as it stood at the close.
type FinalVote struct {
	CitizenID int64
	Voter     string
	Choice    string
}

// CloseOutput is the sealed outcome to store.
type CloseOutput struct {
	ResultJSON []byte
	ProofJSON  []byte
	ProofHash  string
	VotesRoot  string
}

// CloseFunc counts and seals a ballot. It runs inside the closing
// transaction: if it fails, nothing of the close is kept.
type CloseFunc func(in *CloseInput) (CloseOutput, error)

// CloseBallot closes an open ballot in one transaction: it takes the
// ballot row's lock, freezes votes and effective delegation lists (by
// reading them under that lock), runs count, stores result, proof, proof
// hash and log head and sets the state to closed. A ballot that is already
// closed is returned unchanged (closed is false). With skipLocked (the
// scheduler, PostgreSQL) a ballot another instance is closing right now is
// skipped: closed is false and the ballot's State is still open.
func (s *Store) CloseBallot(ctx context.Context, id int64, skipLocked bool, count CloseFunc) (b Ballot, closed bool, err error) {
	err = s.tx(ctx, func(tx *gorm.DB) error {
		q := tx.Where("id = ?", id)
		if s.dialect == "postgres" {
			if skipLocked {
				q = q.Clauses(clause.Locking{Strength: "UPDATE", Options: "SKIP LOCKED"})
			} else {
				q = q.Clauses(forUpdate())
			}
		}
		res := q.Limit(1).Find(&b)
		if res.Error != nil {
			return wrap(res.Error, "ballot %d", id)
		}
		if res.RowsAffected == 0 {
			if skipLocked {
				// Locked by another closer, or gone.
				b.ID, b.State = id, StateOpen
				return nil
			}
			return wrap(gorm.ErrRecordNotFound, "ballot %d", id)
		}
		switch b.State {
		case StateClosed:
			return nil
		case StateDraft:
			return errNotOpen
		}
		now := s.Now()
		in, err := loadCloseInput(tx, b, now)
		if err != nil {
			return err
		}
		if _, err := appendEvent(tx, s.dialect, b.ID, EventClosed, map[string]any{
			"voters": len(in.Electorate), "votes": len(in.Votes),
		}, now); err != nil {
			return err
		}
		out, err := count(in)
		if err != nil {
			return err
		}
		head, err := appendEvent(tx, s.dialect, b.ID, EventSealed, map[string]any{
			"proof_hash": out.ProofHash, "votes_root": out.VotesRoot,
		}, now)
		if err != nil {
			return err
		}
		result, proof := string(out.ResultJSON), string(out.ProofJSON)
		if err := tx.Model(&Ballot{}).Where("id = ?", b.ID).Updates(map[string]any{
			"state": StateClosed, "closed_at": now, "result_json": result, "proof_json": proof,
			"proof_hash": out.ProofHash, "log_head": head,
		}).Error; err != nil {
			return wrap(err, "store result of ballot %d", b.ID)
		}
		b.State, b.ClosedAt, b.ResultJSON, b.ProofJSON, b.ProofHash, b.LogHead = StateClosed, &now, &result, &proof, out.ProofHash, head
		closed = true
		return nil
	})
	return b, closed, err
}

// errNotOpen is returned when closing a draft.
var errNotOpen = domain.Stated("ballot_not_open", "the ballot was never opened")

func loadCloseInput(tx *gorm.DB, b Ballot, now time.Time) (*CloseInput, error) {
	in := &CloseInput{Ballot: b, ClosedAt: now}
	if err := tx.First(&in.Community, b.CommunityID).Error; err != nil {
		return nil, wrap(err, "community of ballot %d", b.ID)
	}
	if b.TopicID != nil {
		var t Topic
		if err := tx.First(&t, *b.TopicID).Error; err != nil {
			return nil, wrap(err, "topic of ballot %d", b.ID)
		}
		in.Topic = &t
	}
	if err := tx.Where("ballot_id = ?", b.ID).Order("position").Find(&in.Options).Error; err != nil {
		return nil, wrap(err, "options of ballot %d", b.ID)
	}
	pseudo := b.Secrecy == "pseudonymous"
	name := func(id int64, handle string) string {
		if pseudo {
			return Pseudonym(b.Secret, id)
		}
		return handle
	}

	rows, err := tx.Raw(`SELECT r.citizen_id, r.weight, c.handle FROM ballot_roll r
		JOIN citizens c ON c.id = r.citizen_id WHERE r.ballot_id = ? AND r.weight > 0 ORDER BY r.citizen_id`, b.ID).Rows()
	if err != nil {
		return nil, wrap(err, "roll of ballot %d", b.ID)
	}
	names := map[int64]string{}
	for rows.Next() {
		var e ElectorateRow
		var handle string
		if err := rows.Scan(&e.CitizenID, &e.Weight, &handle); err != nil {
			rows.Close()
			return nil, wrap(err, "scan roll")
		}
		e.Voter = name(e.CitizenID, handle)
		names[e.CitizenID] = e.Voter
		in.Electorate = append(in.Electorate, e)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, wrap(err, "roll of ballot %d", b.ID)
	}

	lists, err := effectiveLists(tx, b)
	if err != nil {
		return nil, err
	}
	// Delegates outside the electorate stay in the lists (the tally ignores
	// them, and a list of only such delegates makes its owner lost, not
	// absent); they still need a name.
	var missing []int64
	for i := range in.Electorate {
		for _, d := range lists[in.Electorate[i].CitizenID] {
			if _, ok := names[d]; !ok {
				names[d] = ""
				missing = append(missing, d)
			}
		}
	}
	for len(missing) > 0 {
		chunk := missing[:min(len(missing), 500)]
		missing = missing[len(chunk):]
		var cs []Citizen
		if err := tx.Select("id", "handle").Where("id IN ?", chunk).Find(&cs).Error; err != nil {
			return nil, wrap(err, "delegate names")
		}
		for _, c := range cs {
			names[c.ID] = name(c.ID, c.Handle)
		}
	}
	for i := range in.Electorate {
		e := &in.Electorate[i]
		l := lists[e.CitizenID]
		e.Delegates = make([]string, 0, len(l))
		for _, d := range l {
			if d != e.CitizenID {
				e.Delegates = append(e.Delegates, names[d])
			}
		}
	}

	vrows, err := tx.Raw(`SELECT v.citizen_id, v.choice FROM votes v
		JOIN ballot_roll r ON r.ballot_id = v.ballot_id AND r.citizen_id = v.citizen_id
		WHERE v.ballot_id = ? AND r.weight > 0`, b.ID).Rows()
	if err != nil {
		return nil, wrap(err, "votes of ballot %d", b.ID)
	}
	defer vrows.Close()
	for vrows.Next() {
		var v FinalVote
		if err := vrows.Scan(&v.CitizenID, &v.Choice); err != nil {
			return nil, wrap(err, "scan vote")
		}
		v.Voter = names[v.CitizenID]
		in.Votes = append(in.Votes, v)
	}
	return in, wrap(vrows.Err(), "votes of ballot %d", b.ID)
}
