package sqlstore

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"io"

	"gorm.io/gorm"

	"koinon/internal/pipe"
)

// proofChunk is the size of the chunks a proof is stored in.
const proofChunk = 1 << 20

// keptProof is the largest proof CloseBallot also returns in the ballot
// (ProofJSON); a larger one is read with BallotProof.
const keptProof = 8 << 20

// proofWriter stores a ballot's proof in ballot_proof_chunks as it is
// written, hashing it on the way.
type proofWriter struct {
	tx     *gorm.DB
	ballot int64
	seq    int
	buf    []byte
	sum    hash.Hash
	kept   []byte // the whole proof while it is at most keptProof
	n      int
}

func newProofWriter(tx *gorm.DB, ballotID int64) *proofWriter {
	return &proofWriter{tx: tx, ballot: ballotID, buf: make([]byte, 0, proofChunk), sum: sha256.New(), kept: []byte{}}
}

// Write stores p, a chunk whenever one is full.
func (w *proofWriter) Write(p []byte) (int, error) {
	w.sum.Write(p)
	if w.n += len(p); w.n > keptProof {
		w.kept = nil
	} else {
		w.kept = append(w.kept, p...)
	}
	n := len(p)
	for len(p) > 0 {
		k := min(len(p), proofChunk-len(w.buf))
		w.buf, p = append(w.buf, p[:k]...), p[k:]
		if len(w.buf) == proofChunk {
			if err := w.flush(); err != nil {
				return n - len(p), err
			}
		}
	}
	return n, nil
}

// flush stores the chunk being filled.
func (w *proofWriter) flush() error {
	if len(w.buf) == 0 {
		return nil
	}
	err := w.tx.Exec("INSERT INTO ballot_proof_chunks (ballot_id, seq, data) VALUES (?, ?, ?)", w.ballot, w.seq, w.buf).Error
	if err != nil {
		return wrap(err, "store proof of ballot %d", w.ballot)
	}
	w.seq++
	w.buf = w.buf[:0]
	return nil
}

// close stores the last chunk and returns the proof's SHA-256 in hex.
func (w *proofWriter) close() (string, error) {
	if err := w.flush(); err != nil {
		return "", err
	}
	return hex.EncodeToString(w.sum.Sum(nil)), nil
}

// storeProof runs first, then stores the proof of a close's output, and
// returns the proof's hash and, when small, its bytes. Both run on a
// second goroutine (a pipe), which owns tx until they are done: the
// proof's chunks are hashed and inserted there while the next ones are
// written, and first runs while the proof is being signed.
func storeProof(tx *gorm.DB, ballotID int64, out CloseOutput, first func() error) (sum string, kept []byte, err error) {
	w := newProofWriter(tx, ballotID)
	if err := writeProof(pipe.New(w, proofChunk), out, first); err != nil {
		return "", nil, err
	}
	sum, err = w.close()
	return sum, w.kept, err
}

// writeProof writes first's job and the proof to p and closes it (even
// if the proof's writer panics: p's goroutine must be done with the
// transaction before anything else uses it).
func writeProof(p *pipe.Writer, out CloseOutput, first func() error) (err error) {
	defer func() {
		// A failed job's own error, not the "earlier write failed" that
		// the writes after it get.
		if cerr := p.Close(); cerr != nil {
			err = cerr
		}
	}()
	if err := p.Do(first); err != nil {
		return err
	}
	if out.WriteProof != nil {
		return out.WriteProof(p)
	}
	_, err = p.Write(out.ProofJSON)
	return err
}

// proofSize is the length of a ballot's stored proof; 0 when it has none.
func proofSize(ctx context.Context, db *gorm.DB, ballotID int64) (int64, error) {
	var size int64
	err := db.WithContext(ctx).Raw("SELECT COALESCE(SUM(LENGTH(data)), 0) FROM ballot_proof_chunks WHERE ballot_id = ?", ballotID).
		Scan(&size).Error
	return size, wrap(err, "proof of ballot %d", ballotID)
}

// eachProofChunk calls fn with each chunk of a ballot's stored proof, in
// order (the chunk is valid only during the call).
func eachProofChunk(ctx context.Context, db *gorm.DB, ballotID int64, fn func([]byte) error) error {
	rows, err := db.WithContext(ctx).Raw("SELECT data FROM ballot_proof_chunks WHERE ballot_id = ? ORDER BY seq", ballotID).Rows()
	if err != nil {
		return wrap(err, "proof of ballot %d", ballotID)
	}
	defer rows.Close()
	var chunk []byte
	for rows.Next() {
		if err := rows.Scan(&chunk); err != nil {
			return wrap(err, "proof of ballot %d", ballotID)
		}
		if err := fn(chunk); err != nil {
			return err
		}
	}
	return wrap(rows.Err(), "proof of ballot %d", ballotID)
}

// readProof reads a ballot's stored proof; nil when it has none.
func readProof(ctx context.Context, db *gorm.DB, ballotID int64) ([]byte, error) {
	size, err := proofSize(ctx, db, ballotID)
	if err != nil || size == 0 {
		return nil, err
	}
	doc := make([]byte, 0, size)
	err = eachProofChunk(ctx, db, ballotID, func(chunk []byte) error {
		doc = append(doc, chunk...)
		return nil
	})
	return doc, err
}

// ProofSize returns the length of a closed ballot's sealed proof;
// ErrNotFound when there is none.
func (s *Store) ProofSize(ctx context.Context, id int64) (int64, error) {
	size, err := proofSize(ctx, s.db, id)
	if err == nil && size == 0 {
		err = wrap(gorm.ErrRecordNotFound, "proof of ballot %d", id)
	}
	return size, err
}

// CopyProof writes a closed ballot's sealed proof to w a chunk at a time,
// so that serving a proof of any size holds one chunk in memory.
func (s *Store) CopyProof(ctx context.Context, id int64, w io.Writer) error {
	return eachProofChunk(ctx, s.db, id, func(chunk []byte) error {
		_, err := w.Write(chunk)
		return err
	})
}
