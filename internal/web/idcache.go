package web

import "sync"

// idCache keeps values by id in this process, for at most idCacheSize
// ids: a full cache starts again empty (what it keeps is cheap to read
// again). Its users keep only what cannot change (optionCache,
// voteScopeCache).
type idCache[V any] struct {
	mu sync.RWMutex
	m  map[int64]V
}

const idCacheSize = 1024

func (c *idCache[V]) lookup(id int64) (V, bool) {
	c.mu.RLock()
	v, ok := c.m[id]
	c.mu.RUnlock()
	return v, ok
}

func (c *idCache[V]) keep(id int64, v V) {
	c.mu.Lock()
	if c.m == nil || len(c.m) >= idCacheSize {
		c.m = map[int64]V{}
	}
	c.m[id] = v
	c.mu.Unlock()
}
