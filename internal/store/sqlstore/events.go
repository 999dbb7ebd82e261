package sqlstore

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"time"

	"gorm.io/gorm"
)

// lockBallot takes the ballot row's write lock for the rest of tx on
// PostgreSQL, so that log appends, votes and the close of one ballot
// serialise. SQLite transactions begin IMMEDIATE and are serial anyway.
func lockBallot(tx *gorm.DB, dialect string, id int64) (Ballot, error) {
	var b Ballot
	q := tx.Where("id = ?", id)
	if dialect == "postgres" {
		q = q.Clauses(forUpdate())
	}
	err := q.First(&b).Error
	return b, wrap(err, "ballot %d", id)
}

// appendEvent adds an entry to the ballot's hash chain and moves
// ballots.log_head to it. On PostgreSQL it takes the ballot row FOR
// UPDATE (the caller may hold it already), which keeps out every vote of
// the ballot until the transaction ends.
func appendEvent(tx *gorm.DB, dialect string, ballotID int64, kind string, payload any, at time.Time) (string, error) {
	if b := batchOf(tx); b != nil {
		if err := b.flushEvents(tx, ballotID); err != nil {
			return "", err
		}
	}
	if dialect == "postgres" {
		if _, err := lockBallot(tx, dialect, ballotID); err != nil {
			return "", err
		}
	}
	h, err := insertEvent(tx, ballotID, kind, payload, at)
	if err != nil {
		return "", err
	}
	if err := tx.Model(&Ballot{}).Where("id = ?", ballotID).Update("log_head", h).Error; err != nil {
		return "", wrap(err, "log head of ballot %d", ballotID)
	}
	return h, nil
}

// logLockClass namespaces the per-ballot advisory lock of appendVoterEvent
// (pg_advisory_xact_lock(class, key)).
const logLockClass = 0x4b6f // "Ko"

// appendVoterEvent is appendEvent for votes, whose transactions hold the
// ballot row only FOR SHARE on PostgreSQL (openForVoting). Their appends
// serialise on a transaction-scoped advisory lock per ballot, taken as
// late as possible; the ballot row is not updated, because a row update
// would wait for every other vote's share lock (and deadlock with them).
// On PostgreSQL ballots.log_head therefore moves only with the events of
// exclusive writers (open, delegation change, close); BallotByID reads the
// head of an open ballot from the log. SQLite writers are serial anyway
// and keep the column current.
//
// In a group-commit batch (writer.go) the ballot's last entry is kept in
// the batch after the first vote's append (the log stays locked until
// the batch commits), and SQLite's log_head moves once, at the batch's
// end (batch.flushEvents).
func appendVoterEvent(tx *gorm.DB, dialect string, ballotID int64, kind string, payload any, at time.Time) (string, error) {
	b := batchOf(tx)
	if b == nil {
		if dialect != "postgres" {
			return appendEvent(tx, dialect, ballotID, kind, payload, at)
		}
		if err := tx.Exec("SELECT pg_advisory_xact_lock(?, ?)", logLockClass, int32(ballotID&0x7fffffff)).Error; err != nil {
			return "", wrap(err, "lock log of ballot %d", ballotID)
		}
		return insertEvent(tx, ballotID, kind, payload, at)
	}
	last, ok := b.events[ballotID]
	if !ok {
		if dialect == "postgres" {
			if err := tx.Exec("SELECT pg_advisory_xact_lock(?, ?)", logLockClass, int32(ballotID&0x7fffffff)).Error; err != nil {
				return "", wrap(err, "lock log of ballot %d", ballotID)
			}
		}
		var err error
		if last, err = lastEvent(tx, ballotID); err != nil {
			return "", err
		}
	}
	ev, err := newEvent(ballotID, last, kind, payload, at)
	if err != nil {
		return "", err
	}
	b.events[ballotID] = eventHead{Seq: ev.Seq, Hash: ev.Hash, moved: dialect != "postgres", pending: append(last.pending, ev)}
	return ev.Hash, nil
}

// eventHead is a ballot log's last entry (Seq 0: none); moved says that
// ballots.log_head must still be set to it. In a batch, pending are the
// entries chained since the batch's first append, stored by flushEvents.
type eventHead struct {
	Seq     int64
	Hash    string
	moved   bool
	pending []BallotEvent
}

// lastEvent reads the ballot log's last entry.
func lastEvent(tx *gorm.DB, ballotID int64) (eventHead, error) {
	var last BallotEvent
	res := tx.Select("seq", "hash").Where("ballot_id = ?", ballotID).Order("seq DESC").Limit(1).Find(&last)
	if res.Error != nil {
		return eventHead{}, wrap(res.Error, "log of ballot %d", ballotID)
	}
	return eventHead{Seq: last.Seq, Hash: last.Hash}, nil
}

// flushEvents stores the entries the batch chained to the ballots' logs
// (one multi-row insert per ballot), moves ballots.log_head (SQLite), and
// forgets them.
func (b *batch) flushEvents(tx *gorm.DB, ballotIDs ...int64) error {
	if len(ballotIDs) == 0 {
		ballotIDs = slices.Sorted(maps.Keys(b.events))
	}
	for _, id := range ballotIDs {
		h, ok := b.events[id]
		if !ok {
			continue
		}
		delete(b.events, id)
		if len(h.pending) > 0 {
			if err := tx.CreateInBatches(h.pending, 200).Error; err != nil {
				return wrap(err, "append to log of ballot %d", id)
			}
		}
		if !h.moved {
			continue
		}
		if err := tx.Model(&Ballot{}).Where("id = ?", id).Update("log_head", h.Hash).Error; err != nil {
			return wrap(err, "log head of ballot %d", id)
		}
	}
	return nil
}

// insertEvent chains one entry after the ballot's last one. The caller
// makes appends of one ballot serial.
func insertEvent(tx *gorm.DB, ballotID int64, kind string, payload any, at time.Time) (string, error) {
	last, err := lastEvent(tx, ballotID)
	if err != nil {
		return "", err
	}
	ev, err := chainEvent(tx, ballotID, last, kind, payload, at)
	return ev.Hash, err
}

// chainEvent stores the entry after last.
func chainEvent(tx *gorm.DB, ballotID int64, last eventHead, kind string, payload any, at time.Time) (BallotEvent, error) {
	ev, err := newEvent(ballotID, last, kind, payload, at)
	if err != nil {
		return ev, err
	}
	if err := tx.Create(&ev).Error; err != nil {
		return ev, wrap(err, "append %s to log of ballot %d", kind, ballotID)
	}
	return ev, nil
}

// newEvent is the entry after last.
func newEvent(ballotID int64, last eventHead, kind string, payload any, at time.Time) (BallotEvent, error) {
	body, err := json.Marshal(payload)
	if err != nil {
		return BallotEvent{}, fmt.Errorf("store: event payload: %w", err)
	}
	prev, seq := GenesisHash, int64(1)
	if last.Seq > 0 {
		prev, seq = last.Hash, last.Seq+1
	}
	at = at.UTC().Truncate(time.Second)
	ev := BallotEvent{BallotID: ballotID, Seq: seq, Kind: kind, Payload: string(body), At: at, PrevHash: prev}
	ev.Hash = EventHash(prev, ballotID, seq, kind, at, ev.Payload)
	return ev, nil
}

// logHead is the hash of the ballot's last log entry ("" without one).
func logHead(db *gorm.DB, ballotID int64) (string, error) {
	var hs []string
	err := db.Model(&BallotEvent{}).Where("ballot_id = ?", ballotID).Order("seq DESC").Limit(1).Pluck("hash", &hs).Error
	if err != nil || len(hs) == 0 {
		return "", wrap(err, "log head of ballot %d", ballotID)
	}
	return hs[0], nil
}

// BallotLog returns the ballot's log, oldest first.
func (s *Store) BallotLog(ctx context.Context, ballotID int64) ([]BallotEvent, error) {
	var out []BallotEvent
	err := s.db.WithContext(ctx).Where("ballot_id = ?", ballotID).Order("seq").Find(&out).Error
	return out, wrap(err, "log of ballot %d", ballotID)
}
