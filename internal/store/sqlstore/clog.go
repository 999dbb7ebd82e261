package sqlstore

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/mod/sumdb/tlog"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"koinon/internal/clog"
)

// EnableLogs turns the community logs on. Without it the store keeps no
// statements (tools and tests that do not need them).
func (s *Store) EnableLogs(cfg LogConfig) error {
	if cfg.Keys == nil || !strings.HasSuffix(cfg.Base, "/logs/") {
		return fmt.Errorf("store: logs need keys and a base URL ending in /logs/, got %q", cfg.Base)
	}
	if s.box == nil {
		return fmt.Errorf("store: logs need the data key (custodial keys are sealed with it): %w", ErrNoDataKey)
	}
	s.logs = &cfg
	return nil
}

// LogsEnabled reports whether EnableLogs was called.
func (s *Store) LogsEnabled() bool { return s.logs != nil }

// logEntry and logHash are rows of log_entries and log_hashes, as read;
// they are written with insertRows.
type logEntry struct {
	CommunityID int64
	Idx         int64
	Data        []byte
}

func (logEntry) TableName() string { return "log_entries" }

type logHash struct {
	CommunityID int64
	Idx         int64
	Hash        []byte
}

func (logHash) TableName() string { return "log_hashes" }

// dbHashes is clog.Storage on one transaction and community, through
// the store's hashCache (when cache is set): hashes read outside the
// writer's transaction are committed and are kept; hashes written are
// reported to written, for the writer to keep once they commit.
type dbHashes struct {
	db          *gorm.DB
	communityID int64
	cache       *hashCache
	written     func(start int64, hashes []tlog.Hash)
}

// ReadHashes implements tlog.HashReader.
func (h dbHashes) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	need := make([]int, len(indexes))
	for i := range need {
		need[i] = i
	}
	if h.cache != nil {
		if need = h.cache.get(h.communityID, indexes, out); len(need) == 0 {
			return out, nil
		}
	}
	want := make([]int64, len(need))
	for i, n := range need {
		want[i] = indexes[n]
	}
	var rows []logHash
	for start := 0; start < len(want); start += 500 {
		var part []logHash
		end := min(start+500, len(want))
		if err := h.db.Where("community_id = ? AND idx IN ?", h.communityID, want[start:end]).Find(&part).Error; err != nil {
			return nil, wrap(err, "read log hashes")
		}
		rows = append(rows, part...)
	}
	byIdx := make(map[int64][]byte, len(rows))
	for _, r := range rows {
		byIdx[r.Idx] = r.Hash
	}
	committed := h.cache != nil && batchOf(h.db) == nil
	for _, n := range need {
		b, ok := byIdx[indexes[n]]
		if !ok || len(b) != len(out[n]) {
			return nil, fmt.Errorf("store: log hash %d of community %d missing", indexes[n], h.communityID)
		}
		copy(out[n][:], b)
		if committed {
			h.cache.put(h.communityID, indexes[n], out[n:n+1])
		}
	}
	return out, nil
}

// WriteHashes implements clog.Storage.
func (h dbHashes) WriteHashes(start int64, hashes []tlog.Hash) error {
	err := insertRows(h.db, "log_hashes", []string{"community_id", "idx", "hash"}, len(hashes), func(i int, args []any) []any {
		return append(args, h.communityID, start+int64(i), hashes[i][:])
	})
	if err != nil {
		return wrap(err, "write log hashes")
	}
	if h.written != nil {
		h.written(start, hashes)
	}
	return nil
}

// openLog returns the community's log row and log, creating the row on
// first use. With lock it holds the log until the transaction ends (see
// lockLog), after appending the entries a group-commit batch still holds
// for it (logBatch.flush), so that the caller sees and extends the log as
// it is; a shared batch refuses (errExclusive).
func (s *Store) openLog(tx *gorm.DB, communityID int64, lock bool) (CommunityLog, *clog.Log, error) {
	var row CommunityLog
	if !lock {
		res := tx.Where("community_id = ?", communityID).Limit(1).Find(&row)
		if res.Error != nil {
			return row, nil, wrap(res.Error, "log of community %d", communityID)
		}
		if res.RowsAffected == 0 {
			row = CommunityLog{CommunityID: communityID}
		}
		return row, clog.Open(s.hashes(tx, communityID), row.Size), nil
	}
	if b := batchOf(tx); b != nil {
		if b.shared {
			return row, nil, errExclusive
		}
		if err := b.logs.flush(tx, communityID); err != nil {
			return row, nil, err
		}
	}
	row, err := s.lockLog(tx, communityID)
	if err != nil {
		return row, nil, err
	}
	return row, clog.Open(s.hashes(tx, communityID), row.Size), nil
}

// communityLogLockClass namespaces the per-community advisory lock of lockLog
// (pg_advisory_xact_lock(class, key)).
const communityLogLockClass = 0x4b4c // "KL"

// lockLog reads the community's log row, creating it on first use, and
// holds the log until the transaction ends: on PostgreSQL with a
// transaction-level advisory lock per community, so that several servers
// on one database append in one order (docs/scaling.md); a SQLite write
// transaction is serial anyway.
func (s *Store) lockLog(tx *gorm.DB, communityID int64) (CommunityLog, error) {
	var row CommunityLog
	if s.dialect == "postgres" {
		if err := tx.Exec("SELECT pg_advisory_xact_lock(?, ?)", communityLogLockClass, lockKey(communityID)).Error; err != nil {
			return row, wrap(err, "lock log of community %d", communityID)
		}
	}
	found, err := queryRow(tx, "SELECT community_id, origin, size FROM community_logs WHERE community_id = ?",
		[]any{communityID}, &row.CommunityID, &row.Origin, &row.Size)
	if err != nil {
		return row, wrap(err, "log of community %d", communityID)
	}
	if found {
		return row, nil
	}
	return s.createLog(tx, communityID)
}

// createLog creates the community's log row, on its first append (the
// caller holds the log).
func (s *Store) createLog(tx *gorm.DB, communityID int64) (CommunityLog, error) {
	var row CommunityLog
	if s.logs == nil {
		return row, errors.New("store: community logs are not enabled")
	}
	var c Community
	if err := tx.Select("slug").First(&c, communityID).Error; err != nil {
		return row, wrap(err, "community %d", communityID)
	}
	origin, err := clog.Origin(s.logs.Base + c.Slug + "/")
	if err != nil {
		return row, err
	}
	row = CommunityLog{CommunityID: communityID, Origin: origin}
	if err := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&row).Error; err != nil {
		return row, wrap(err, "create log of community %d", communityID)
	}
	return row, nil
}

// appendLog appends entries to the locked log and stores them.
func appendLog(tx *gorm.DB, row *CommunityLog, lg *clog.Log, entries [][]byte) (int64, error) {
	first, err := lg.Append(entries)
	if err != nil {
		return 0, fmt.Errorf("store: append to log of community %d: %w", row.CommunityID, err)
	}
	err = insertRows(tx, "log_entries", []string{"community_id", "idx", "data"}, len(entries), func(i int, args []any) []any {
		return append(args, row.CommunityID, first+int64(i), entries[i])
	})
	if err != nil {
		return 0, wrap(err, "store log entries")
	}
	row.Size = lg.Size()
	if _, err := execRaw(tx, "UPDATE community_logs SET size = ? WHERE community_id = ?", row.Size, row.CommunityID); err != nil {
		return 0, wrap(err, "log size")
	}
	return first, nil
}

// appendAtOnce is appendLog and insertStatements on PostgreSQL as one
// statement, returned for the caller to send: the entries, their tree
// hashes, the statements' rows, the votes' openings and the log's new
// size go in one round trip instead of five, which a batch makes while
// it holds the log's lock (logBatch.store, batch.endPostgres). row gets
// the new size, and h's written the hashes, before the statement is
// sent: a batch whose statement fails keeps neither.
func appendAtOnce(row *CommunityLog, h dbHashes, p *pendingLog) (string, []any, error) {
	held := &heldHashes{dbHashes: h}
	lg := clog.Open(held, row.Size)
	first, err := lg.Append(p.entries)
	if err != nil {
		return "", nil, fmt.Errorf("store: append to log of community %d: %w", row.CommunityID, err)
	}
	hashes := make([][]byte, len(held.hashes))
	for i := range held.hashes {
		hashes[i] = held.hashes[i][:]
	}
	var (
		sHash, sEnvelope            []string
		sCitizen, sIndex            []int64
		oBallot, oIndex             []int64
		oCommitment, oNonce, oEnvel []string
	)
	for _, r := range p.rows {
		sHash, sCitizen, sIndex, sEnvelope = append(sHash, r.Hash), append(sCitizen, r.CitizenID), append(sIndex, r.LogIndex), append(sEnvelope, r.Envelope)
	}
	for _, o := range p.openings {
		oBallot, oIndex = append(oBallot, o.BallotID), append(oIndex, o.LogIndex)
		oCommitment, oNonce, oEnvel = append(oCommitment, o.Commitment), append(oNonce, o.Nonce), append(oEnvel, o.Envelope)
	}
	row.Size = lg.Size()
	if h.written != nil {
		h.written(held.start, held.hashes)
	}
	return `WITH
		h AS (INSERT INTO log_hashes (community_id, idx, hash)
			SELECT $1, $2 + t.i - 1, t.h FROM unnest($3::bytea[]) WITH ORDINALITY AS t(h, i)),
		e AS (INSERT INTO log_entries (community_id, idx, data)
			SELECT $1, $4 + t.i - 1, t.d FROM unnest($5::bytea[]) WITH ORDINALITY AS t(d, i)),
		s AS (INSERT INTO statements (community_id, hash, citizen_id, log_index, envelope)
			SELECT $1, t.* FROM unnest($6::text[], $7::bigint[], $8::bigint[], $9::text[]) AS t),
		o AS (INSERT INTO vote_openings (ballot_id, log_index, commitment, nonce, envelope)
			SELECT * FROM unnest($10::bigint[], $11::bigint[], $12::text[], $13::text[], $14::text[]))
		UPDATE community_logs SET size = $15 WHERE community_id = $1`,
		[]any{row.CommunityID, held.start, hashes, first, p.entries, sHash, sCitizen, sIndex, sEnvelope,
			oBallot, oIndex, oCommitment, oNonce, oEnvel, row.Size}, nil
}

// heldHashes is dbHashes whose write waits for the caller (appendAtOnce).
type heldHashes struct {
	dbHashes
	start  int64
	hashes []tlog.Hash
}

// WriteHashes implements clog.Storage.
func (h *heldHashes) WriteHashes(start int64, hashes []tlog.Hash) error {
	h.start, h.hashes = start, hashes
	return nil
}

// receipt builds the receipt of the entry at index in the log as it is.
func (s *Store) receipt(row CommunityLog, lg *clog.Log, index int64) (*Receipt, error) {
	signed, err := s.signCheckpoint(row, lg)
	if err != nil {
		return nil, err
	}
	p, err := lg.InclusionProof(index, lg.Size())
	if err != nil {
		return nil, err
	}
	return &Receipt{Index: index, Checkpoint: string(signed), Inclusion: hexHashes(p)}, nil
}

func (s *Store) signCheckpoint(row CommunityLog, lg *clog.Log) ([]byte, error) {
	if s.logs == nil {
		return nil, errors.New("store: community logs are not enabled")
	}
	signer, _, err := s.logs.Keys.LogSigner(row.Origin)
	if err != nil {
		return nil, err
	}
	return lg.SignCheckpoint(row.Origin, signer)
}

func hexHashes(p []tlog.Hash) []string {
	out := make([]string, len(p))
	for i, h := range p {
		out[i] = hex.EncodeToString(h[:])
	}
	return out
}

// Log returns a community's log name and key (the log exists from its
// first append; before that its origin is the one it will have).
func (s *Store) Log(ctx context.Context, communityID int64) (LogInfo, error) {
	if s.logs == nil {
		return LogInfo{}, fmt.Errorf("store: community logs are not enabled: %w", ErrNotFound)
	}
	row, _, err := s.openLog(s.db.WithContext(ctx), communityID, false)
	if err != nil {
		return LogInfo{}, err
	}
	if row.Origin == "" {
		var c Community
		if err := s.db.WithContext(ctx).Select("slug").First(&c, communityID).Error; err != nil {
			return LogInfo{}, wrap(err, "community %d", communityID)
		}
		if row.Origin, err = clog.Origin(s.logs.Base + c.Slug + "/"); err != nil {
			return LogInfo{}, err
		}
	}
	_, vkey, err := s.logs.Keys.LogSigner(row.Origin)
	if err != nil {
		return LogInfo{}, err
	}
	scheme, _, _ := strings.Cut(s.logs.Base, "://")
	return LogInfo{Origin: row.Origin, URL: scheme + "://" + row.Origin + "/", VKey: vkey, Size: row.Size}, nil
}

// LogCheckpoint returns the community log's latest checkpoint, signed.
func (s *Store) LogCheckpoint(ctx context.Context, communityID int64) ([]byte, error) {
	db := s.db.WithContext(ctx)
	row, lg, err := s.openLog(db, communityID, false)
	if err != nil {
		return nil, err
	}
	if row.Origin == "" {
		info, err := s.Log(ctx, communityID)
		if err != nil {
			return nil, err
		}
		row.Origin = info.Origin
	}
	return s.signCheckpoint(row, lg)
}

// LogTile returns a tile of the community's log (C2SP tlog-tiles): hash
// tiles from the stored hashes, entry bundles from the entries.
// clog.ErrBadRange when the tile lies beyond the log.
func (s *Store) LogTile(ctx context.Context, communityID int64, t tlog.Tile) ([]byte, error) {
	db := s.db.WithContext(ctx)
	_, lg, err := s.openLog(db, communityID, false)
	if err != nil {
		return nil, err
	}
	if t.L >= 0 {
		if (t.N*clog.TileWidth+int64(t.W))<<(uint(t.L)*clog.TileHeight) > lg.Size() {
			return nil, fmt.Errorf("store: tile beyond the log: %w", clog.ErrBadRange)
		}
		return lg.HashTile(t)
	}
	start := t.N * clog.TileWidth
	if start+int64(t.W) > lg.Size() {
		return nil, fmt.Errorf("store: entry bundle beyond the log: %w", clog.ErrBadRange)
	}
	entries, err := s.LogEntries(ctx, communityID, start, start+int64(t.W))
	if err != nil {
		return nil, err
	}
	return clog.EntryBundle(entries)
}

// LogEntries returns the entries from index start to end (exclusive).
func (s *Store) LogEntries(ctx context.Context, communityID, start, end int64) ([][]byte, error) {
	return logEntries(s.db.WithContext(ctx), communityID, start, end)
}

func logEntries(db *gorm.DB, communityID, start, end int64) ([][]byte, error) {
	var rows []logEntry
	if err := db.Where("community_id = ? AND idx >= ? AND idx < ?", communityID, start, end).
		Order("idx").Find(&rows).Error; err != nil {
		return nil, wrap(err, "log entries")
	}
	if int64(len(rows)) != end-start {
		return nil, fmt.Errorf("store: log entries %d to %d: %w", start, end, clog.ErrBadRange)
	}
	out := make([][]byte, len(rows))
	for i, r := range rows {
		out[i] = r.Data
	}
	return out, nil
}

// InclusionProof proves that entry index is in the tree of size; a size
// beyond the log or an index not below it is clog.ErrSizeBeyondLog or
// clog.ErrBadRange.
func (s *Store) InclusionProof(ctx context.Context, communityID, index, size int64) ([]string, error) {
	_, lg, err := s.openLog(s.db.WithContext(ctx), communityID, false)
	if err != nil {
		return nil, err
	}
	p, err := lg.InclusionProof(index, size)
	return hexHashes(p), err
}

// ConsistencyProof proves the tree of size old a prefix of the tree of
// size next; sizes the log never had are clog.ErrSizeBeyondLog or
// clog.ErrBadRange.
func (s *Store) ConsistencyProof(ctx context.Context, communityID, old, next int64) ([]string, error) {
	_, lg, err := s.openLog(s.db.WithContext(ctx), communityID, false)
	if err != nil {
		return nil, err
	}
	p, err := lg.ConsistencyProof(old, next)
	return hexHashes(p), err
}
