package clog

import (
	"errors"
	"fmt"
	"iter"
	"sync"

	"golang.org/x/mod/sumdb/tlog"
)

// Errors for requests about sizes or indexes the log never had: a server
// answers them with 400.
var (
	ErrSizeBeyondLog = errors.New("clog: tree size beyond the log")
	ErrBadRange      = errors.New("clog: index or size out of range")
)

// Storage keeps a log's stored hashes, in tlog's stored-hash order (see
// tlog.StoredHashIndex): leaf hashes and every complete subtree's hash.
type Storage interface {
	tlog.HashReader
	// WriteHashes stores hashes at indexes start, start+1, …; start is
	// always the number of hashes stored so far. It is all or nothing.
	WriteHashes(start int64, hashes []tlog.Hash) error
}

// MemStorage is Storage in memory, for tests, replays and witnesses.
type MemStorage struct {
	mu     sync.RWMutex
	hashes []tlog.Hash
}

// ReadHashes implements tlog.HashReader.
func (m *MemStorage) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	out := make([]tlog.Hash, len(indexes))
	for i, x := range indexes {
		if x < 0 || x >= int64(len(m.hashes)) {
			return nil, fmt.Errorf("clog: stored hash %d not found", x)
		}
		out[i] = m.hashes[x]
	}
	return out, nil
}

// WriteHashes implements Storage.
func (m *MemStorage) WriteHashes(start int64, hashes []tlog.Hash) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if start != int64(len(m.hashes)) {
		return fmt.Errorf("clog: write at stored hash %d, have %d", start, len(m.hashes))
	}
	m.hashes = append(m.hashes, hashes...)
	return nil
}

// Log is a community's log: its size and its hashes in Storage.
type Log struct {
	store Storage
	size  int64
}

// Open returns the log whose storage holds size entries' hashes.
func Open(store Storage, size int64) *Log { return &Log{store: store, size: size} }

// Size returns the number of entries.
func (l *Log) Size() int64 { return l.size }

// Append adds a batch of entries (their bytes) and returns the index of the
// first. The hashes are written in one WriteHashes call; on error the log
// is unchanged.
func (l *Log) Append(entries [][]byte) (int64, error) {
	first := l.size
	base := tlog.StoredHashCount(first)
	pending := &overlay{store: l.store, base: base}
	for i, data := range entries {
		if len(data) > MaxEntrySize {
			return 0, fmt.Errorf("%w: entry %d has %d bytes", ErrEntry, i, len(data))
		}
		hs, err := tlog.StoredHashes(first+int64(i), data, pending)
		if err != nil {
			return 0, fmt.Errorf("clog: append: %w", err)
		}
		pending.hashes = append(pending.hashes, hs...)
	}
	if err := l.store.WriteHashes(base, pending.hashes); err != nil {
		return 0, fmt.Errorf("clog: append: %w", err)
	}
	l.size += int64(len(entries))
	return first, nil
}

// overlay reads hashes from a batch not yet written, then from storage.
type overlay struct {
	store  tlog.HashReader
	base   int64
	hashes []tlog.Hash
}

func (o *overlay) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	var old []int64
	for i, x := range indexes {
		if x >= o.base {
			out[i] = o.hashes[x-o.base]
		} else {
			old = append(old, x)
		}
	}
	if len(old) == 0 {
		return out, nil
	}
	hs, err := o.store.ReadHashes(old)
	if err != nil {
		return nil, err
	}
	for i, x := range indexes {
		if x < o.base {
			out[i], hs = hs[0], hs[1:]
		}
	}
	return out, nil
}

// Root returns the root hash of the log's first size entries.
func (l *Log) Root(size int64) (tlog.Hash, error) {
	if size < 0 || size > l.size {
		return tlog.Hash{}, fmt.Errorf("%w: size %d, log has %d", ErrSizeBeyondLog, size, l.size)
	}
	return tlog.TreeHash(size, l.store)
}

// InclusionProof proves that entry index is in the tree of the given size.
func (l *Log) InclusionProof(index, size int64) (tlog.RecordProof, error) {
	if size > l.size {
		return nil, fmt.Errorf("%w: size %d, log has %d", ErrSizeBeyondLog, size, l.size)
	}
	if index < 0 || index >= size {
		return nil, fmt.Errorf("%w: index %d in a tree of size %d", ErrBadRange, index, size)
	}
	return tlog.ProveRecord(size, index, l.store)
}

// ConsistencyProof proves that the tree of size old is a prefix of the tree
// of size new (RFC 6962 §2.1.2); from size 0 the proof is empty.
func (l *Log) ConsistencyProof(old, new int64) (tlog.TreeProof, error) {
	if new > l.size {
		return nil, fmt.Errorf("%w: size %d, log has %d", ErrSizeBeyondLog, new, l.size)
	}
	if old < 0 || old > new {
		return nil, fmt.Errorf("%w: from size %d to %d", ErrBadRange, old, new)
	}
	if old == 0 {
		return tlog.TreeProof{}, nil
	}
	return tlog.ProveTree(new, old, l.store)
}

// Replay recomputes the root of a log from its entries, as an auditor does
// before comparing it with a checkpoint. It hashes each entry as it comes
// (so entries may share a buffer) and keeps only the hashes of the
// complete subtrees not yet joined, at most one per bit of the size: the
// cost per entry does not grow with the log, and memory stays constant.
func Replay(entries iter.Seq[[]byte]) (tlog.Hash, int64, error) {
	var pending []tlog.Hash // complete subtrees of the first size entries, largest first
	var size int64
	for data := range entries {
		if len(data) > MaxEntrySize {
			return tlog.Hash{}, 0, fmt.Errorf("clog: replay: %w: entry %d has %d bytes", ErrEntry, size, len(data))
		}
		h := tlog.RecordHash(data)
		// Each trailing 1 bit of size is a subtree as large as the one
		// being built: join them (RFC 6962 §2.1).
		for k := size; k&1 == 1; k >>= 1 {
			h = tlog.NodeHash(pending[len(pending)-1], h)
			pending = pending[:len(pending)-1]
		}
		pending = append(pending, h)
		size++
	}
	if size == 0 {
		root, err := tlog.TreeHash(0, nil)
		return root, 0, err
	}
	// The root joins the subtrees right to left, as tlog.TreeHash does.
	root := pending[len(pending)-1]
	for i := len(pending) - 2; i >= 0; i-- {
		root = tlog.NodeHash(pending[i], root)
	}
	return root, size, nil
}
