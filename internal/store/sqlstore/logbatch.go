package sqlstore

import (
	"maps"
	"slices"

	"golang.org/x/mod/sumdb/tlog"

	"gorm.io/gorm"

	"koinon/internal/clog"
)

// logBatch holds the entries the jobs of one group-commit batch append to
// community logs until the batch's end (writer.go). Nothing is locked
// while the jobs run: an entry gets a provisional index (its position in
// the batch, see placed), and flush, once per community and batch, locks
// the log, reads its size, gives the entries their indexes and writes
// their hashes, their rows, the statements' rows, votes' openings and the
// log's new size as multi-row inserts.
type logBatch struct {
	s *Store
	// shared is set in a batch that runs beside other processes' batches
	// (writer.go): it may lock logs only at its end, and checks there
	// that no other batch moved the chains its statements extend.
	shared bool
	logs   map[int64]*pendingLog
	// added counts the entries added to each community's log in the
	// batch, and placed says where flushes put them.
	added  map[int64]int64
	placed map[int64][]placement
	// written are the hashes the batch stored, and sizes the logs' sizes
	// after its last flush of each: what committed keeps and signs.
	written []writtenHashes
	sizes   map[int64]CommunityLog
	// known is a citizen's stored chain head as the running job read it
	// (knowHead), until the job ends or the batch stores statements.
	known *knownHead
}

// placement says that a flush stored the entries from the batch's
// position pos on at log index index.
type placement struct{ pos, index int64 }

type knownHead struct {
	communityID, citizenID int64
	hash                   string
}

type writtenHashes struct {
	communityID, start int64
	hashes             []tlog.Hash
}

// pendingLog is one community's entries added since its last flush, from
// the batch's position pos on, with their statements' rows and votes'
// openings.
type pendingLog struct {
	pos      int64
	entries  [][]byte
	rows     []statementRow
	openings []voteOpening
}

// clip returns p with slices that a later append does not share.
func (p pendingLog) clip() pendingLog {
	return pendingLog{pos: p.pos, entries: slices.Clip(p.entries), rows: slices.Clip(p.rows), openings: slices.Clip(p.openings)}
}

func newLogBatch(s *Store) *logBatch {
	return &logBatch{s: s, logs: map[int64]*pendingLog{}, added: map[int64]int64{}, placed: map[int64][]placement{},
		sizes: map[int64]CommunityLog{}}
}

// logMark is the batch's logs before a job, to return to if it fails.
type logMark struct {
	logs    map[int64]pendingLog
	added   map[int64]int64
	placed  map[int64][]placement
	written int
	sizes   map[int64]CommunityLog
}

func (lb *logBatch) mark() logMark {
	m := logMark{logs: make(map[int64]pendingLog, len(lb.logs)), added: maps.Clone(lb.added),
		placed: make(map[int64][]placement, len(lb.placed)), written: len(lb.written), sizes: maps.Clone(lb.sizes)}
	for id, p := range lb.logs {
		m.logs[id] = p.clip()
	}
	for id, pl := range lb.placed {
		m.placed[id] = slices.Clip(pl)
	}
	return m
}

// reset returns to m after a job rolled back to its savepoint (which also
// undid any flush the job caused).
func (lb *logBatch) reset(m logMark) {
	clear(lb.logs)
	for id, p := range m.logs {
		lb.logs[id] = &p
	}
	lb.added, lb.placed, lb.written, lb.sizes, lb.known = m.added, m.placed, lb.written[:m.written], m.sizes, nil
}

// knowHead keeps the head of the citizen's stored chain that the running
// job read, for head; the writer forgets it when the job ends.
func (lb *logBatch) knowHead(communityID, citizenID int64, hash string) {
	lb.known = &knownHead{communityID, citizenID, hash}
}

// add appends an entry to the community's log in the batch and returns
// its provisional index, which index turns into its log index once the
// batch flushed it; the statement's row and the vote's opening (when not
// nil) wait with the entry and get their indexes when flushed.
func (lb *logBatch) add(communityID int64, data []byte, st *statementRow, op *voteOpening) int64 {
	p := lb.logs[communityID]
	if p == nil {
		p = &pendingLog{pos: lb.added[communityID]}
		lb.logs[communityID] = p
	}
	provisional := -1 - lb.added[communityID]
	lb.added[communityID]++
	p.entries = append(p.entries, data)
	st.LogIndex = provisional
	p.rows = append(p.rows, *st)
	if op != nil {
		op.LogIndex = provisional
		p.openings = append(p.openings, *op)
	}
	return provisional
}

// index is the log index of the entry add returned provisional for, once
// flushed (provisional itself when it is not one).
func (lb *logBatch) index(communityID, provisional int64) int64 {
	if provisional >= 0 {
		return provisional
	}
	pos := -1 - provisional
	pl := lb.placed[communityID]
	for i := len(pl) - 1; i >= 0; i-- {
		if pl[i].pos <= pos {
			return pl[i].index + pos - pl[i].pos
		}
	}
	return provisional
}

// head returns the hash of the citizen's latest statement waiting in the
// batch, if any.
func (lb *logBatch) head(communityID, citizenID int64) (string, bool) {
	if p := lb.logs[communityID]; p != nil {
		for i := len(p.rows) - 1; i >= 0; i-- {
			if p.rows[i].CitizenID == citizenID {
				return p.rows[i].Hash, true
			}
		}
	}
	return "", false
}

// chainHead is head, or else the stored head the running job read.
func (lb *logBatch) chainHead(communityID, citizenID int64) (string, bool) {
	if h, ok := lb.head(communityID, citizenID); ok {
		return h, true
	}
	if k := lb.known; k != nil && k.communityID == communityID && k.citizenID == citizenID {
		return k.hash, true
	}
	return "", false
}

// flush appends the community's pending entries to the stored log in
// the middle of a batch, so that the job reads them: a shared batch
// refuses (errNextBatch: the job runs again in the next batch, when they
// are committed).
func (lb *logBatch) flush(tx *gorm.DB, communityID int64) error {
	if lb.logs[communityID] == nil {
		return nil
	}
	if lb.shared {
		return errNextBatch
	}
	return lb.store(tx, communityID)
}

// store locks the community's log and appends the pending entries, and
// forgets them (a caller that then appends by itself reads the log
// again). A PostgreSQL batch's end does the same for all its logs at
// once (batch.endPostgres).
func (lb *logBatch) store(tx *gorm.DB, communityID int64) error {
	row, err := lb.s.lockLog(tx, communityID)
	if err != nil {
		return err
	}
	p, h := lb.take(tx, communityID, row)
	if lb.s.dialect == "postgres" {
		q, args, err := appendAtOnce(&row, h, p)
		if err != nil {
			return err
		}
		_, err = tx.Statement.ConnPool.ExecContext(tx.Statement.Context, q, args...)
		lb.sizes[communityID] = row
		return wrap(err, "append to log of community %d", communityID)
	}
	if _, err := appendLog(tx, &row, clog.Open(h, row.Size), p.entries); err != nil {
		return err
	}
	if err := insertStatements(tx, p.rows, p.openings); err != nil {
		return err
	}
	lb.sizes[communityID] = row
	return nil
}

// take forgets the community's pending entries and returns them with
// their log indexes, placed after the locked log's row, and the log's
// hashes on tx, which the batch keeps once written (committed).
func (lb *logBatch) take(tx *gorm.DB, communityID int64, row CommunityLog) (*pendingLog, dbHashes) {
	p := lb.logs[communityID]
	delete(lb.logs, communityID)
	lb.known = nil
	lb.placed[communityID] = append(lb.placed[communityID], placement{pos: p.pos, index: row.Size})
	for i := range p.rows {
		p.rows[i].LogIndex = lb.index(communityID, p.rows[i].LogIndex)
	}
	for i := range p.openings {
		p.openings[i].LogIndex = lb.index(communityID, p.openings[i].LogIndex)
	}
	h := lb.s.hashes(tx, communityID)
	h.written = func(start int64, hashes []tlog.Hash) {
		lb.written = append(lb.written, writtenHashes{communityID, start, hashes})
	}
	return p, h
}

// firstPrevs returns, for each citizen with statements in rows, the prev
// of their first one there: where the batch found their stored chain to
// end.
func firstPrevs(rows []statementRow) map[int64]string {
	want := map[int64]string{}
	for _, r := range rows {
		if _, ok := want[r.CitizenID]; !ok {
			want[r.CitizenID] = r.prev
		}
	}
	return want
}

// flushAll stores every community's entries, in id order, at the
// batch's end.
func (lb *logBatch) flushAll(tx *gorm.DB) error {
	for _, id := range slices.Sorted(maps.Keys(lb.logs)) {
		if err := lb.store(tx, id); err != nil {
			return err
		}
	}
	return nil
}

// committed is called once the batch's transaction committed: it keeps
// the hashes written in the cache and signs one checkpoint per community
// the batch appended to, for the receipts of all its statements.
func (lb *logBatch) committed() map[int64]*batchCheckpoint {
	for _, w := range lb.written {
		lb.s.hashCache.put(w.communityID, w.start, w.hashes)
	}
	out := make(map[int64]*batchCheckpoint, len(lb.sizes))
	for id, row := range lb.sizes {
		lb.s.hashCache.saw(id, tlog.StoredHashCount(row.Size))
		signed, err := lb.s.signCheckpoint(row, clog.Open(lb.s.hashes(lb.s.db, id), row.Size))
		if err == nil {
			out[id] = &batchCheckpoint{row: row, signed: signed}
		}
	}
	return out
}

// batchCheckpoint is a log's signed checkpoint as a batch left it.
type batchCheckpoint struct {
	row    CommunityLog
	signed []byte
}
