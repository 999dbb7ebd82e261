package sqlstore

import (
	"context"

	"gorm.io/gorm"
)

// CreateTopic stores a topic of a community; a slug taken in that
// community is ErrConflict.
func (s *Store) CreateTopic(ctx context.Context, t *Topic) error {
	t.ID, t.CreatedAt = 0, s.stamp()
	err := s.tx(ctx, func(tx *gorm.DB) error { return tx.Create(t).Error })
	return wrap(err, "create topic %q", t.Slug)
}

// Topics lists a community's topics by name.
func (s *Store) Topics(ctx context.Context, communityID int64) ([]Topic, error) {
	out := []Topic{}
	err := s.db.WithContext(ctx).Where("community_id = ?", communityID).Order("name, id").Find(&out).Error
	return out, wrap(err, "topics of community %d", communityID)
}

// TopicByID loads a topic; ErrNotFound if there is none.
func (s *Store) TopicByID(ctx context.Context, id int64) (Topic, error) {
	var t Topic
	err := s.db.WithContext(ctx).First(&t, id).Error
	return t, wrap(err, "topic %d", id)
}
