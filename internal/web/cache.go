package web

import (
	"context"
	"fmt"
	"sync"

	"golang.org/x/sync/singleflight"
)

// cache is the one cache of the web layer: a bounded map from keys to
// values derived from immutable data (a sealed proof never changes, so its
// hash in the key keeps an entry from going stale; docs/scaling.md).
//
// A missing value is built once however many requests ask for it at the
// same time (singleflight). Each caller waits only as long as its own
// context allows; the build itself runs detached from any caller's
// cancellation, so a caller that gives up does not fail the others. A
// build that panics is an error for every waiter and leaves no entry, so
// the next request builds again.
//
// Entries are evicted oldest first when their total cost exceeds max; an
// entry costing more than half of max is returned but not kept.
type cache[V any] struct {
	mu    sync.Mutex
	m     map[string]V
	order []string // insertion order, for eviction
	used  int
	max   int
	cost  func(V) int
	group singleflight.Group
}

// newCache returns a cache holding up to max worth of entries by cost; a
// nil cost counts entries.
func newCache[V any](max int, cost func(V) int) *cache[V] {
	if cost == nil {
		cost = func(V) int { return 1 }
	}
	return &cache[V]{m: map[string]V{}, max: max, cost: cost}
}

// get returns the value under key, building it with build when absent.
func (c *cache[V]) get(ctx context.Context, key string, build func(context.Context) (V, error)) (V, error) {
	c.mu.Lock()
	v, ok := c.m[key]
	c.mu.Unlock()
	if ok {
		return v, nil
	}
	ch := c.group.DoChan(key, func() (_ any, err error) {
		defer func() {
			if p := recover(); p != nil {
				err = fmt.Errorf("web: building cached %s panicked: %v", key, p)
			}
		}()
		v, err := build(context.WithoutCancel(ctx))
		if err == nil {
			c.put(key, v)
		}
		return v, err
	})
	select {
	case r := <-ch:
		if r.Err != nil {
			var zero V
			return zero, r.Err
		}
		return r.Val.(V), nil
	case <-ctx.Done():
		var zero V
		return zero, ctx.Err()
	}
}

func (c *cache[V]) put(key string, v V) {
	cost := c.cost(v)
	if cost > max(1, c.max/2) {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.m[key]; ok {
		return
	}
	for c.used+cost > c.max && len(c.order) > 0 {
		old := c.order[0]
		c.order = c.order[1:]
		c.used -= c.cost(c.m[old])
		delete(c.m, old)
	}
	c.m[key] = v
	c.order = append(c.order, key)
	c.used += cost
}
