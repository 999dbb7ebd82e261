package sqlstore

import (
	"cmp"
	"context"
	"errors"
	"math"
	"runtime/debug"
	"slices"
	"sync"
	"time"
	"unsafe"

	"gorm.io/gorm"

	"koinon/internal/domain"
)

// CloseBallot closes an open ballot in one transaction: it takes the
// ballot row's lock, freezes votes and effective delegation lists (by
// reading them under that lock), runs count, stores result, proof, proof
// hash and log head and sets the state to closed. A ballot that is already
// closed is returned unchanged (closed is false). With skipLocked (the
// scheduler, PostgreSQL) a ballot another instance is closing right now is
// skipped: closed is false and the ballot's State is still open.
func (s *Store) CloseBallot(ctx context.Context, id int64, skipLocked bool, count CloseFunc) (b Ballot, closed bool, err error) {
	err = s.tx(ctx, func(tx *gorm.DB) error {
		if s.dialect == "postgres" && skipLocked {
			// Votes hold the ballot row FOR SHARE, so SKIP LOCKED on the
			// row would skip a ballot that is merely being voted on (or
			// refused late votes). The schedulers elect their closer with
			// a try-lock instead, then wait for the row like the API.
			var got bool
			if err := tx.Raw("SELECT pg_try_advisory_xact_lock(?, ?)", closeLockClass, int32(id&0x7fffffff)).Scan(&got).Error; err != nil {
				return wrap(err, "lock close of ballot %d", id)
			}
			if !got {
				b.ID, b.State = id, StateOpen
				return nil
			}
		}
		q := tx.Where("id = ?", id)
		if s.dialect == "postgres" {
			q = q.Clauses(forUpdate())
		}
		res := q.Limit(1).Find(&b)
		if res.Error != nil {
			return wrap(res.Error, "ballot %d", id)
		}
		if res.RowsAffected == 0 {
			return wrap(gorm.ErrRecordNotFound, "ballot %d", id)
		}
		switch b.State {
		case StateClosed:
			return loadDocuments(tx, &b)
		case StateTallying:
			return nil
		case StateDraft:
			return errNotOpen
		}
		now := s.Now()
		in, err := s.loadCloseInput(tx, b, now)
		if err != nil {
			return err
		}
		if in.Log, err = s.closeLog(tx, b); err != nil {
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
		in = nil
		if out.SecretAggregate != nil {
			closed = true
			return s.beginTallying(tx, &b, out, now)
		}
		if err := saveCosignatures(tx, out.Cosignatures); err != nil {
			return err
		}
		closed = true
		return s.seal(tx, &b, out, now)
	})
	return b, closed, err
}

// seal stores a ballot's result and proof, sets it closed and queues the
// notice to its voters (FanOut sends it): the end of a close, or of a
// secret ballot's tallying. Result and proof are stored first, on a
// second goroutine while the proof is signed and written (storeProof); on
// SQLite the log they leave is checkpointed after the answer, as every
// batch's is (writer.checkpoint).
func (s *Store) seal(tx *gorm.DB, b *Ballot, out CloseOutput, now time.Time) error {
	// The result of a large ballot is tens of MB: bind a view of the
	// output's bytes instead of a string copy (count never touches them
	// again, and the returned Ballot shares them).
	result := bytesString(out.ResultJSON)
	proofHash, kept, err := storeProof(tx, b.ID, out, func() error {
		if len(result) > bigDocument {
			// The database driver copies the result into C memory to bind
			// it (SQLite: SQLITE_TRANSIENT), which Go's freed but
			// unreturned heap cannot serve: return the count's garbage
			// (the tally's state) to the OS first, or a large close peaks
			// at both. Here, on the store's goroutine, while the proof's
			// first signing pass goes on.
			debug.FreeOSMemory()
		}
		err := tx.Exec("INSERT INTO ballot_documents (ballot_id, result_json) VALUES (?, ?)", b.ID, result).Error
		return wrap(err, "store result of ballot %d", b.ID)
	})
	if err != nil {
		return err
	}
	head, err := appendEvent(tx, s.dialect, b.ID, EventSealed, map[string]any{
		"proof_hash": proofHash, "votes_root": out.VotesRoot,
	}, now)
	if err != nil {
		return err
	}
	if err := tx.Model(&Ballot{}).Where("id = ?", b.ID).Updates(map[string]any{
		"state": StateClosed, "closed_at": now, "proof_hash": proofHash, "log_head": head,
	}).Error; err != nil {
		return wrap(err, "close ballot %d", b.ID)
	}
	b.State, b.ClosedAt, b.ResultJSON, b.ProofHash, b.LogHead = StateClosed, &now, &result, proofHash, head
	if kept != nil {
		proof := bytesString(kept)
		b.ProofJSON = &proof
	}
	return queueFanout(tx, b.ID, ballotNote(KindResultSealed, "sealed", *b))
}

// bytesString returns b as a string without copying; b must not change
// afterwards.
func bytesString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

// bigDocument is the result size from which seal returns freed memory
// to the OS before storing it.
const bigDocument = 32 << 20

// closeLockClass namespaces the schedulers' advisory lock per ballot.
const closeLockClass = 0x4b63 // "Kc"

// errNotOpen is returned when closing a draft.
var errNotOpen = domain.Stated("ballot_not_open", "the ballot was never opened")

func (s *Store) loadCloseInput(tx *gorm.DB, b Ballot, now time.Time) (*CloseInput, error) {
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
	var secret string
	if pseudo {
		var err error
		if secret, err = s.ballotSecret(b); err != nil {
			return nil, err
		}
	}
	name := func(id int64, handle string) string {
		if pseudo {
			return Pseudonym(secret, id)
		}
		return handle
	}

	// The roll's rows, to presize what is read: counted from its key
	// alone, so it may count voters of weight 0 too.
	var rollRows int64
	if err := tx.Raw(`SELECT COUNT(*) FROM ballot_roll WHERE ballot_id = ?`, b.ID).Scan(&rollRows).Error; err != nil {
		return nil, wrap(err, "roll of ballot %d", b.ID)
	}
	// The lists and the votes are read beside the roll, on connections of
	// their own, when those see what tx sees (beside: the close itself
	// writes nothing before these reads); else after it.
	var (
		lists      []listRow
		votes      []FinalVote
		lerr, verr error
		wg         sync.WaitGroup
	)
	readLists := func(db *gorm.DB) { lists, lerr = listRows(db, b, rollRows) } // about one row a voter
	readVotes := func(db *gorm.DB) { votes, verr = voteRows(db, s.dialect, b.ID) }
	side := s.beside(tx)
	if side != nil {
		wg.Go(func() { readLists(side) })
		wg.Go(func() { readVotes(side) })
	}
	el, ids, err := readRoll(tx, b.ID, rollRows, name)
	in.Electorate = el
	wg.Wait()
	if side == nil && err == nil {
		readLists(tx)
		readVotes(tx)
	}
	if err := errors.Join(err, lerr, verr); err != nil {
		return nil, err
	}
	roll := newRollIndex(ids)
	voterOf := func(id int64) (string, bool) {
		i, ok := roll.find(id)
		if !ok {
			return "", false
		}
		return in.Electorate[i].Voter, true
	}

	picked := pickLists(b, lists, roll)
	lists = nil
	// Delegates outside the electorate stay in the lists (the tally ignores
	// them, and a list of only such delegates makes its owner lost, not
	// absent); they still need a name.
	outside := map[int64]string{}
	var missing []int64
	for _, d := range picked.delegates {
		if _, ok := voterOf(d); !ok {
			if _, seen := outside[d]; !seen {
				outside[d] = ""
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
			outside[c.ID] = name(c.ID, c.Handle)
		}
	}
	// Every voter's list is a window of one backing array of names.
	names := make([]string, 0, len(picked.delegates))
	li := 0
	for i := range in.Electorate {
		e := &in.Electorate[i]
		for li < len(picked.owners) && picked.owners[li].citizen < e.CitizenID {
			li++
		}
		start := len(names)
		if li < len(picked.owners) && picked.owners[li].citizen == e.CitizenID {
			o := picked.owners[li]
			for _, d := range picked.delegates[o.from:o.to] {
				if d == e.CitizenID {
					continue
				}
				v, ok := voterOf(d)
				if !ok {
					v = outside[d]
				}
				names = append(names, v)
			}
		}
		e.Delegates = names[start:len(names):len(names)]
	}

	// Votes of citizens off the electorate (weight 0) are left out here,
	// by the roll's ids, rather than by joining the roll again.
	in.Votes = votes[:0]
	for _, v := range votes {
		var ok bool
		if v.Voter, ok = voterOf(v.CitizenID); ok {
			in.Votes = append(in.Votes, v)
		}
	}
	if pseudo {
		dropDirectVotersLists(in)
	}
	return in, nil
}

// beside returns a handle whose reads, on other pooled connections, see
// what tx sees, or nil. On SQLite they do while tx's batch has written
// nothing (batch.fresh): the batch holds the write lock since its BEGIN
// IMMEDIATE, so no commit comes between, and a read on another connection
// sees the last commit, as tx does.
func (s *Store) beside(tx *gorm.DB) *gorm.DB {
	if b := batchOf(tx); s.dialect == "sqlite" && b != nil && b.fresh {
		return s.db
	}
	return nil
}

// readRoll reads a ballot's roll (at most n voters of weight above 0), in
// citizen id order, with each voter's name, and the roll's citizen ids.
// Slices are presized from n (a million-voter roll doubled by append
// peaks at twice its size).
func readRoll(db *gorm.DB, ballotID, n int64, name func(id int64, handle string) string) ([]ElectorateRow, []int64, error) {
	el := make([]ElectorateRow, 0, n)
	ids := make([]int64, 0, n)
	rows, err := db.Raw(`SELECT r.citizen_id, r.weight, c.handle FROM ballot_roll r
		JOIN citizens c ON c.id = r.citizen_id WHERE r.ballot_id = ? AND r.weight > 0 ORDER BY r.citizen_id`, ballotID).Rows()
	if err != nil {
		return nil, nil, wrap(err, "roll of ballot %d", ballotID)
	}
	defer rows.Close()
	for rows.Next() {
		var e ElectorateRow
		var handle string
		if err := rows.Scan(&e.CitizenID, &e.Weight, &handle); err != nil {
			return nil, nil, wrap(err, "scan roll")
		}
		e.Voter = name(e.CitizenID, handle)
		el = append(el, e)
		ids = append(ids, e.CitizenID)
	}
	return el, ids, wrap(rows.Err(), "roll of ballot %d", ballotID)
}

// voteRows reads a ballot's votes, without their voters' names, into a
// slice presized from their count, and sorts them by citizen id (the
// proof sorts them by voter: names that follow ids sort fast). SQLite
// reads them in table order (sorted rowids) instead of index order, whose
// random page reads cost about three times as much.
func voteRows(db *gorm.DB, dialect string, ballotID int64) ([]FinalVote, error) {
	var n int64
	if err := db.Raw(`SELECT COUNT(*) FROM votes WHERE ballot_id = ?`, ballotID).Scan(&n).Error; err != nil {
		return nil, wrap(err, "votes of ballot %d", ballotID)
	}
	q := `SELECT citizen_id, choice FROM votes WHERE ballot_id = ?`
	if dialect == "sqlite" {
		q = `SELECT citizen_id, choice FROM votes WHERE rowid IN (SELECT rowid FROM votes WHERE ballot_id = ?)`
	}
	rows, err := db.Raw(q, ballotID).Rows()
	if err != nil {
		return nil, wrap(err, "votes of ballot %d", ballotID)
	}
	defer rows.Close()
	votes := make([]FinalVote, 0, n)
	for rows.Next() {
		var v FinalVote
		if err := rows.Scan(&v.CitizenID, &v.Choice); err != nil {
			return nil, wrap(err, "scan vote")
		}
		votes = append(votes, v)
	}
	if err := rows.Err(); err != nil {
		return nil, wrap(err, "votes of ballot %d", ballotID)
	}
	slices.SortFunc(votes, func(a, b FinalVote) int { return cmp.Compare(a.CitizenID, b.CitizenID) })
	return votes, nil
}

// rollIndex finds a citizen's place in the roll, given its citizen ids
// in order: by a table indexed by id when the ids are dense enough (at
// most 16 bytes a voter), else by binary search. A close looks up every
// delegate and every voter (1.2 million lookups for a million voters),
// and binary search over a million ids was 5 % of its CPU.
type rollIndex struct {
	ids []int64
	at  []int32 // at[id-ids[0]] is 1 + id's place, 0 off the roll; nil when sparse
}

func newRollIndex(ids []int64) rollIndex {
	r := rollIndex{ids: ids}
	n := len(ids)
	if n == 0 || n >= math.MaxInt32 || ids[n-1]-ids[0] >= 4*int64(n) {
		return r
	}
	r.at = make([]int32, ids[n-1]-ids[0]+1)
	for i, id := range ids {
		r.at[id-ids[0]] = int32(i + 1)
	}
	return r
}

func (r rollIndex) find(id int64) (int, bool) {
	if r.at == nil {
		return slices.BinarySearch(r.ids, id)
	}
	k := id - r.ids[0]
	if k < 0 || k >= int64(len(r.at)) || r.at[k] == 0 {
		return 0, false
	}
	return int(r.at[k]) - 1, true
}

// electorateIndex finds a citizen in an electorate sorted by citizen id.
func electorateIndex(el []ElectorateRow, id int64) (int, bool) {
	return slices.BinarySearchFunc(el, id, func(e ElectorateRow, id int64) int { return cmp.Compare(e.CitizenID, id) })
}

// dropDirectVotersLists empties the delegate lists of direct voters on a
// pseudonymous ballot. A direct vote overrides delegation (tally.md), so
// the result and its recount do not change; but a published edge from a
// direct voter's pseudonym to her delegate's would let a delegate who
// knows her delegators name their pseudonyms, and so their choices
// (docs/security.md).
func dropDirectVotersLists(in *CloseInput) {
	for _, v := range in.Votes {
		if i, ok := electorateIndex(in.Electorate, v.CitizenID); ok {
			in.Electorate[i].Delegates = []string{}
		}
	}
}
