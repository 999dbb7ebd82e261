package store

import (
	"context"
	"strings"

	"gorm.io/gorm"
)

// CitizenByID loads a citizen.
func (s *Store) CitizenByID(ctx context.Context, id int64) (Citizen, error) {
	var c Citizen
	err := s.db.WithContext(ctx).First(&c, id).Error
	return c, wrap(err, "citizen %d", id)
}

// CitizenByHandle loads a citizen by handle (case-insensitive).
func (s *Store) CitizenByHandle(ctx context.Context, handle string) (Citizen, error) {
	var c Citizen
	err := s.db.WithContext(ctx).Where("handle = ?", strings.ToLower(handle)).First(&c).Error
	return c, wrap(err, "citizen %q", handle)
}

// CommunityBySlug loads a community.
func (s *Store) CommunityBySlug(ctx context.Context, slug string) (Community, error) {
	var c Community
	err := s.db.WithContext(ctx).Where("slug = ?", slug).First(&c).Error
	return c, wrap(err, "community %q", slug)
}

// CommunityByID loads a community.
func (s *Store) CommunityByID(ctx context.Context, id int64) (Community, error) {
	var c Community
	err := s.db.WithContext(ctx).First(&c, id).Error
	return c, wrap(err, "community %d", id)
}

// CurrentMembership returns the citizen's current membership of the
// community, or ErrNotFound.
func (s *Store) CurrentMembership(ctx context.Context, communityID, citizenID int64) (Membership, error) {
	return currentMembership(s.db.WithContext(ctx), communityID, citizenID)
}

func currentMembership(db *gorm.DB, communityID, citizenID int64) (Membership, error) {
	var m Membership
	err := db.Where("community_id = ? AND citizen_id = ? AND ended_at IS NULL", communityID, citizenID).First(&m).Error
	return m, wrap(err, "membership of citizen %d in community %d", citizenID, communityID)
}

// CommunitySummary is a community with its counts, for lists.
type CommunitySummary struct {
	Community
	Members     int64
	OpenBallots int64
}

// ListCommunities lists public communities, or those citizenID belongs
// to when citizenID > 0, by name.
func (s *Store) ListCommunities(ctx context.Context, citizenID int64) ([]CommunitySummary, error) {
	q := s.db.WithContext(ctx).Table("communities c").
		Select(`c.*,
			(SELECT COUNT(*) FROM memberships m WHERE m.community_id = c.id AND m.ended_at IS NULL) AS members,
			(SELECT COUNT(*) FROM ballots b WHERE b.community_id = c.id AND b.state = 'open') AS open_ballots`)
	if citizenID > 0 {
		q = q.Where("EXISTS (SELECT 1 FROM memberships m WHERE m.community_id = c.id AND m.citizen_id = ? AND m.ended_at IS NULL)", citizenID)
	} else {
		q = q.Where("c.public = ?", true)
	}
	var out []CommunitySummary
	err := q.Order("c.name").Scan(&out).Error
	return out, wrap(err, "list communities")
}
