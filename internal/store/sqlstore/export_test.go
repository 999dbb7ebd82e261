package sqlstore

import (
	"context"

	"gorm.io/gorm"
)

// ListsAtClose returns the effective delegate lists the close of b counts
// with, as a map, for tests comparing them with the live views.
func (s *Store) ListsAtClose(ctx context.Context, b Ballot) (map[int64][]int64, error) {
	l, err := effectiveListsOf(s.db.WithContext(ctx), b)
	return l.byCitizen(), err
}

// GormDB is the store's own connection, for its tests only (counting its
// queries, writing rows behind its API).
func GormDB(s *Store) *gorm.DB { return s.db }
