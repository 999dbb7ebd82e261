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
// serialise (not in a shared batch: errExclusive). SQLite transactions
// begin IMMEDIATE and are serial anyway.
func lockBallot(tx *gorm.DB, dialect string, id int64) (Ballot, error) {
	var b Ballot
	if bt := batchOf(tx); bt != nil && bt.shared {
		return b, errExclusive
	}
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
// the ballot until the transaction ends; in a group-commit batch that
// lock is taken only in a batch that runs alone (errExclusive).
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

// lockEvents holds the ballot's event chain until tx ends, on PostgreSQL
// (a transaction-scoped advisory lock per ballot).
func lockEvents(tx *gorm.DB, dialect string, ballotID int64) error {
	if dialect != "postgres" {
		return nil
	}
	err := tx.Exec("SELECT pg_advisory_xact_lock(?, ?)", logLockClass, lockKey(ballotID)).Error
	return wrap(err, "lock log of ballot %d", ballotID)
}

// appendVoterEvent is appendEvent for votes, whose transactions hold the
// ballot row only FOR SHARE on PostgreSQL (openForVoting). Their appends
// serialise on lockEvents; the ballot row is not updated, because a row
// update would wait for every other vote's share lock (and deadlock with
// them). On PostgreSQL ballots.log_head therefore moves only with the
// events of exclusive writers (open, delegation change, close);
// BallotByID reads the head of an open ballot from the log. SQLite
// writers are serial anyway and keep the column current.
//
// In a group-commit batch (writer.go) the entry waits in the batch
// unchained: the batch's end locks the ballot's chain, reads its last
// entry, chains the batch's entries after it and stores them
// (batch.flushEvents), so that the chain is held only from there to the
// commit.
func appendVoterEvent(tx *gorm.DB, dialect string, ballotID int64, kind string, payload any, at time.Time) error {
	b := batchOf(tx)
	if b == nil {
		if dialect != "postgres" {
			_, err := appendEvent(tx, dialect, ballotID, kind, payload, at)
			return err
		}
		if err := lockEvents(tx, dialect, ballotID); err != nil {
			return err
		}
		_, err := insertEvent(tx, ballotID, kind, payload, at)
		return err
	}
	ev, err := unchainedEvent(ballotID, kind, payload, at)
	if err != nil {
		return err
	}
	b.events[ballotID] = append(b.events[ballotID], ev)
	return nil
}

// eventHead is a ballot log's last entry (Seq 0: none).
type eventHead struct {
	Seq  int64
	Hash string
}

// lastEvent reads the ballot log's last entry.
func lastEvent(tx *gorm.DB, ballotID int64) (eventHead, error) {
	var last eventHead
	_, err := queryRow(tx, "SELECT seq, hash FROM ballot_events WHERE ballot_id = ? ORDER BY seq DESC LIMIT 1",
		[]any{ballotID}, &last.Seq, &last.Hash)
	return last, wrap(err, "log of ballot %d", ballotID)
}

// flushEvents chains the entries the batch holds for the ballots after
// their logs' last entries, stores them (one multi-row insert per
// ballot), moves ballots.log_head (SQLite), and forgets them. Without
// ballotIDs it flushes every ballot in id order, at the batch's end;
// with them, in the middle of a batch, which a shared batch refuses
// (errExclusive: it may take locks only at its end, in order).
func (b *batch) flushEvents(tx *gorm.DB, ballotIDs ...int64) error {
	if len(ballotIDs) == 0 {
		ballotIDs = slices.Sorted(maps.Keys(b.events))
	} else if b.shared {
		return errExclusive
	}
	dialect := b.logs.s.dialect
	for _, id := range ballotIDs {
		evs, ok := b.events[id]
		if !ok {
			continue
		}
		delete(b.events, id)
		if err := lockEvents(tx, dialect, id); err != nil {
			return err
		}
		last, err := lastEvent(tx, id)
		if err != nil {
			return err
		}
		for i := range evs {
			last = chainAfter(&evs[i], last)
		}
		err = insertRows(tx, "ballot_events", []string{"ballot_id", "seq", "kind", "payload", "at", "prev_hash", "hash"}, len(evs), func(i int, args []any) []any {
			e := &evs[i]
			return append(args, e.BallotID, e.Seq, e.Kind, e.Payload, e.At, e.PrevHash, e.Hash)
		})
		if err != nil {
			return wrap(err, "append to log of ballot %d", id)
		}
		if dialect == "postgres" {
			continue
		}
		if _, err := execRaw(tx, "UPDATE ballots SET log_head = ? WHERE id = ?", last.Hash, id); err != nil {
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
	ev, err := unchainedEvent(ballotID, kind, payload, at)
	if err == nil {
		chainAfter(&ev, last)
	}
	return ev, err
}

// unchainedEvent is an entry with its kind, payload and time, not yet
// chained (chainAfter).
func unchainedEvent(ballotID int64, kind string, payload any, at time.Time) (BallotEvent, error) {
	body, err := json.Marshal(payload)
	if err != nil {
		return BallotEvent{}, fmt.Errorf("store: event payload: %w", err)
	}
	return BallotEvent{BallotID: ballotID, Kind: kind, Payload: string(body), At: at.UTC().Truncate(time.Second)}, nil
}

// chainAfter sets the entry's place after last and its hash, and returns
// it as the log's new last entry.
func chainAfter(ev *BallotEvent, last eventHead) eventHead {
	ev.PrevHash, ev.Seq = GenesisHash, 1
	if last.Seq > 0 {
		ev.PrevHash, ev.Seq = last.Hash, last.Seq+1
	}
	ev.Hash = EventHash(ev.PrevHash, ev.BallotID, ev.Seq, ev.Kind, ev.At, ev.Payload)
	return eventHead{Seq: ev.Seq, Hash: ev.Hash}
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
