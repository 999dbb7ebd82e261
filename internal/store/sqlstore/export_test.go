package sqlstore

import (
	"context"

	"gorm.io/gorm"
)

// ListsAtClose returns the effective delegate lists the close of b counts
// with, as a map, for tests comparing them with the live views.
func (s *Store) ListsAtClose(ctx context.Context, b Ballot) (map[int64][]int64, error) {
	var ids []int64 // every citizen: the roll the lists are kept for
	if err := s.db.WithContext(ctx).Model(&Citizen{}).Order("id").Pluck("id", &ids).Error; err != nil {
		return nil, err
	}
	rows, err := listRows(s.db.WithContext(ctx), b, 0)
	return pickLists(b, rows, newRollIndex(ids)).byCitizen(), err
}

// GormDB is the store's own connection, for its tests only (counting its
// queries, writing rows behind its API).
func GormDB(s *Store) *gorm.DB { return s.db }

// HoldWriter makes s's writer wait, after the batch it runs, until
// release is called; queued reports how many writes wait for it. The
// writes queued meanwhile run in one batch, in the order they came.
func HoldWriter(s *Store) (queued func() int, release func()) {
	held, done := make(chan struct{}), make(chan struct{})
	go s.write(context.Background(), voteKey{}, func(*gorm.DB) error {
		close(held)
		<-done
		return nil
	})
	<-held
	return func() int { return len(s.w.jobs) }, func() { close(done) }
}
