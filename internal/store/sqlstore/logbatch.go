package sqlstore

import (
	"maps"
	"slices"

	"golang.org/x/mod/sumdb/tlog"

	"gorm.io/gorm"

	"koinon/internal/clog"
)

// logBatch holds the entries the jobs of one group-commit batch append to
// community logs until the batch's end (writer.go). An entry's index is
// fixed when it is added (the log is locked from the batch's first
// append to its commit); its hashes, its row, the statement's row, a
// vote's opening and the log's new size are written by flush, once per
// community and batch, as multi-row inserts.
type logBatch struct {
	s    *Store
	logs map[int64]*pendingLog
	// written are the hashes the batch stored, and sizes the logs' sizes
	// after its last flush of each: what committed keeps and signs.
	written []writtenHashes
	sizes   map[int64]CommunityLog
	// known is a citizen's stored chain head as the running job read it
	// (knowHead), until the job ends or the batch stores statements.
	known *knownHead
}

type knownHead struct {
	communityID, citizenID int64
	hash                   string
}

type writtenHashes struct {
	communityID, start int64
	hashes             []tlog.Hash
}

// pendingLog is one community's log in a batch: as stored when the batch
// first appended to it (row), and the entries added since with their
// statements' rows and votes' openings.
type pendingLog struct {
	row      CommunityLog
	entries  [][]byte
	rows     []statementRow
	openings []voteOpening
}

// clip returns p with slices that a later append does not share.
func (p pendingLog) clip() pendingLog {
	return pendingLog{row: p.row, entries: slices.Clip(p.entries), rows: slices.Clip(p.rows), openings: slices.Clip(p.openings)}
}

func newLogBatch(s *Store) *logBatch {
	return &logBatch{s: s, logs: map[int64]*pendingLog{}, sizes: map[int64]CommunityLog{}}
}

// logMark is the batch's logs before a job, to return to if it fails.
type logMark struct {
	logs    map[int64]pendingLog
	written int
	sizes   map[int64]CommunityLog
}

func (lb *logBatch) mark() logMark {
	m := logMark{logs: make(map[int64]pendingLog, len(lb.logs)), written: len(lb.written), sizes: maps.Clone(lb.sizes)}
	for id, p := range lb.logs {
		m.logs[id] = p.clip()
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
	lb.written, lb.sizes, lb.known = lb.written[:m.written], m.sizes, nil
}

// knowHead keeps the head of the citizen's stored chain that the running
// job read, for head; the writer forgets it when the job ends.
func (lb *logBatch) knowHead(communityID, citizenID int64, hash string) {
	lb.known = &knownHead{communityID, citizenID, hash}
}

// add appends an entry to the community's log in the batch and returns
// its index; the statement's row and the vote's opening (when not nil)
// get that index and wait with the entry. The first add of a batch locks
// and reads the log.
func (lb *logBatch) add(tx *gorm.DB, communityID int64, data []byte, st *statementRow, op *voteOpening) (int64, error) {
	p := lb.logs[communityID]
	if p == nil {
		row, err := lb.s.lockLog(tx, communityID)
		if err != nil {
			return 0, err
		}
		p = &pendingLog{row: row}
		lb.logs[communityID] = p
	}
	index := p.row.Size + int64(len(p.entries))
	p.entries = append(p.entries, data)
	st.LogIndex = index
	p.rows = append(p.rows, *st)
	if op != nil {
		op.LogIndex = index
		p.openings = append(p.openings, *op)
	}
	return index, nil
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

// flush appends the community's pending entries to the stored log and
// forgets the community (a caller that then appends by itself reads the
// log again).
func (lb *logBatch) flush(tx *gorm.DB, communityID int64) error {
	p := lb.logs[communityID]
	if p == nil {
		return nil
	}
	delete(lb.logs, communityID)
	lb.known = nil
	if len(p.entries) == 0 {
		return nil
	}
	h := lb.s.hashes(tx, communityID)
	h.written = func(start int64, hashes []tlog.Hash) {
		lb.written = append(lb.written, writtenHashes{communityID, start, hashes})
	}
	if _, err := appendLog(tx, &p.row, clog.Open(h, p.row.Size), p.entries); err != nil {
		return err
	}
	if err := insertStatements(tx, p.rows, p.openings); err != nil {
		return err
	}
	lb.sizes[communityID] = p.row
	return nil
}

// flushAll flushes every community, in id order.
func (lb *logBatch) flushAll(tx *gorm.DB) error {
	ids := make([]int64, 0, len(lb.logs))
	for id := range lb.logs {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		if err := lb.flush(tx, id); err != nil {
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
