package sqlstore

import (
	"sync"

	"golang.org/x/mod/sumdb/tlog"
	"gorm.io/gorm"
)

// hashCache keeps community logs' stored hashes that are committed, per
// process: a stored hash never changes once its transaction committed
// (the log is append-only), so receipts, checkpoints and proofs read them
// from memory instead of the database. It holds up to hashCacheSize
// hashes and starts afresh when full.
type hashCache struct {
	mu sync.RWMutex
	m  map[[2]int64]tlog.Hash // (community, stored-hash index)
	// seen is, per community, the stored-hash count of the log as this
	// process's last batch left it: the hashes another process stored
	// since are those from there on (batch.endPostgres reads them).
	seen map[int64]int64
}

const hashCacheSize = 1 << 20 // about 80 MB at most

func (c *hashCache) get(communityID int64, indexes []int64, out []tlog.Hash) (missing []int) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	for i, x := range indexes {
		h, ok := c.m[[2]int64{communityID, x}]
		if !ok {
			missing = append(missing, i)
			continue
		}
		out[i] = h
	}
	return missing
}

func (c *hashCache) put(communityID, start int64, hashes []tlog.Hash) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m)+len(hashes) > hashCacheSize {
		c.m, c.seen = make(map[[2]int64]tlog.Hash, 1024), map[int64]int64{}
	}
	for i, h := range hashes {
		c.m[[2]int64{communityID, start + int64(i)}] = h
	}
}

// saw notes that the community's log had count stored hashes when this
// process's batch committed.
func (c *hashCache) saw(communityID, count int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.seen == nil {
		c.seen = map[int64]int64{}
	}
	c.seen[communityID] = count
}

// seenCount is what saw noted for the community (0: nothing).
func (c *hashCache) seenCount(communityID int64) int64 {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.seen[communityID]
}

// hashes returns the community's stored hashes on db, through the cache.
func (s *Store) hashes(db *gorm.DB, communityID int64) dbHashes {
	return dbHashes{db: db, communityID: communityID, cache: s.hashCache}
}

// ForgetCaches drops what the store keeps in memory of committed rows —
// log hashes, citizens' replayed statement chains, ballots' communities,
// communities' names, unsealed custodial keys — as a restart does: for a database changed
// under the running process (a restored backup, or an operator's rewrite
// played by a test).
func (s *Store) ForgetCaches() {
	s.hashCache.mu.Lock()
	s.hashCache.m, s.hashCache.seen = nil, nil
	s.hashCache.mu.Unlock()
	s.states.mu.Lock()
	s.states.m = nil
	s.states.mu.Unlock()
	s.homes.Clear()
	s.names.Clear()
	s.keys.mu.Lock()
	s.keys.m = nil
	s.keys.mu.Unlock()
}
