package sqlstore

import (
	"context"

	"gorm.io/gorm"
)

// seedBatch is how many rows one INSERT carries: SQLite allows 32,766
// bound variables per statement, and the widest seeded row has 10 columns.
const seedBatch = 2000

// SeedRows inserts rows, each a pointer to a model or to a slice of models,
// in one transaction: a failure leaves nothing. The models get their ids.
func (s *Store) SeedRows(ctx context.Context, rows ...any) error {
	return s.tx(ctx, func(tx *gorm.DB) error {
		for _, r := range rows {
			if err := tx.CreateInBatches(r, seedBatch).Error; err != nil {
				return wrap(err, "seed %T", r)
			}
		}
		return nil
	})
}

// SeedDelegations inserts delegation lists in one transaction: ds[i] with
// the delegates lists[i] in priority order.
func (s *Store) SeedDelegations(ctx context.Context, ds []Delegation, lists [][]int64) error {
	return s.tx(ctx, func(tx *gorm.DB) error {
		if err := tx.CreateInBatches(&ds, seedBatch).Error; err != nil {
			return wrap(err, "seed delegations")
		}
		var dd []DelegationDelegate
		for j, d := range ds {
			for p, del := range lists[j] {
				dd = append(dd, DelegationDelegate{DelegationID: d.ID, Position: p, DelegateID: del})
			}
		}
		return wrap(tx.CreateInBatches(&dd, seedBatch).Error, "seed delegates")
	})
}

// CountCommunities counts every community, public or not.
func (s *Store) CountCommunities(ctx context.Context) (int64, error) {
	var n int64
	err := s.db.WithContext(ctx).Model(&Community{}).Count(&n).Error
	return n, wrap(err, "count communities")
}
