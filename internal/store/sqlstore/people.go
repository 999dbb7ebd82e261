package sqlstore

import (
	"context"
	"errors"
	"strings"
	"time"

	"gorm.io/gorm"

	"koinon/internal/domain"
)

// CitizenByID loads a citizen.
func (s *Store) CitizenByID(ctx context.Context, id int64) (Citizen, error) {
	var c Citizen
	err := s.db.WithContext(ctx).First(&c, id).Error
	return c, wrap(err, "citizen %d", id)
}

// SessionCitizen loads what every authenticated request needs of the
// caller: id, handle, display name and token version (not the password
// hash, e-mail or statement; profile handlers load those by CitizenByID).
func (s *Store) SessionCitizen(ctx context.Context, id int64) (Citizen, error) {
	var c Citizen
	found, err := queryRow(s.db.WithContext(ctx), "SELECT id, handle, display_name, token_version FROM citizens WHERE id = ?",
		[]any{id}, &c.ID, &c.Handle, &c.DisplayName, &c.TokenVersion)
	if err == nil && !found {
		err = gorm.ErrRecordNotFound
	}
	return c, wrap(err, "citizen %d", id)
}

// CitizenByHandle loads a citizen by handle (case-insensitive).
func (s *Store) CitizenByHandle(ctx context.Context, handle string) (Citizen, error) {
	var c Citizen
	err := s.db.WithContext(ctx).Where("handle = ?", strings.ToLower(handle)).First(&c).Error
	return c, wrap(err, "citizen %q", handle)
}

// CreateCitizen stores a new citizen (handle already normalised and
// checked); a taken handle is ErrConflict. PasswordHash may be empty for
// a citizen who is invited to set one.
func (s *Store) CreateCitizen(ctx context.Context, c *Citizen) error {
	c.ID = 0
	c.CreatedAt = s.stamp()
	if c.TokenVersion == 0 {
		c.TokenVersion = 1
	}
	err := s.tx(ctx, func(tx *gorm.DB) error { return tx.Create(c).Error })
	return wrap(err, "create citizen %q", c.Handle)
}

// UpdateProfile sets the citizen's display name and delegate statement.
func (s *Store) UpdateProfile(ctx context.Context, id int64, displayName, statement string) error {
	return s.tx(ctx, func(tx *gorm.DB) error {
		res := tx.Model(&Citizen{}).Where("id = ?", id).
			Updates(map[string]any{"display_name": displayName, "statement": statement})
		if res.Error == nil && res.RowsAffected == 0 {
			return wrap(gorm.ErrRecordNotFound, "citizen %d", id)
		}
		return wrap(res.Error, "update profile of citizen %d", id)
	})
}

// SetPassword stores a new password hash and bumps the token version, so
// every session and token issued before is revoked. It returns the
// citizen as now stored.
func (s *Store) SetPassword(ctx context.Context, id int64, hash string) (Citizen, error) {
	return s.bumpTokenVersion(ctx, id, map[string]any{"password_hash": hash})
}

// BumpTokenVersion revokes every token of the citizen ("sign out
// everywhere") and returns the citizen as now stored.
func (s *Store) BumpTokenVersion(ctx context.Context, id int64) (Citizen, error) {
	return s.bumpTokenVersion(ctx, id, map[string]any{})
}

func (s *Store) bumpTokenVersion(ctx context.Context, id int64, set map[string]any) (Citizen, error) {
	var c Citizen
	err := s.tx(ctx, func(tx *gorm.DB) error {
		set["token_version"] = gorm.Expr("token_version + 1")
		res := tx.Model(&Citizen{}).Where("id = ?", id).Updates(set)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return gorm.ErrRecordNotFound
		}
		return tx.First(&c, id).Error
	})
	return c, wrap(err, "revoke tokens of citizen %d", id)
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

// CreateCommunity stores a new community and makes creatorID its first
// board member with weight 1, in one transaction. A taken slug is
// ErrConflict.
func (s *Store) CreateCommunity(ctx context.Context, c *Community, creatorID int64) error {
	now := s.stamp()
	c.ID, c.CreatedAt = 0, now
	err := s.tx(ctx, func(tx *gorm.DB) error {
		if err := tx.Create(c).Error; err != nil {
			return err
		}
		return tx.Create(&Membership{CommunityID: c.ID, CitizenID: creatorID, Role: domain.RoleBoard, Weight: 1, StartedAt: now}).Error
	})
	return wrap(err, "create community %q", c.Slug)
}

// CommunitiesFoundedSince counts the communities the citizen founded (was
// put on the board of when it was created) at or after since.
func (s *Store) CommunitiesFoundedSince(ctx context.Context, citizenID int64, since time.Time) (int64, error) {
	var n int64
	err := s.db.WithContext(ctx).Model(&Membership{}).
		Joins("JOIN communities ON communities.id = memberships.community_id").
		Where("memberships.citizen_id = ? AND memberships.role = ? AND memberships.started_at = communities.created_at AND communities.created_at >= ?",
			citizenID, domain.RoleBoard, since).
		Count(&n).Error
	return n, wrap(err, "count communities founded by citizen %d", citizenID)
}

// CountMembers counts the community's current memberships.
func (s *Store) CountMembers(ctx context.Context, communityID int64) (int64, error) {
	var n int64
	err := s.db.WithContext(ctx).Model(&Membership{}).Where("community_id = ? AND ended_at IS NULL", communityID).Count(&n).Error
	return n, wrap(err, "count members of community %d", communityID)
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

// MembershipsOf lists the citizen's current memberships by community name.
func (s *Store) MembershipsOf(ctx context.Context, citizenID int64) ([]CitizenMembership, error) {
	out := []CitizenMembership{}
	err := s.db.WithContext(ctx).Table("memberships m").
		Select("m.community_id, c.slug, c.name, m.role, m.weight, m.started_at").
		Joins("JOIN communities c ON c.id = m.community_id").
		Where("m.citizen_id = ? AND m.ended_at IS NULL", citizenID).
		Order("c.name, c.id").Scan(&out).Error
	return out, wrap(err, "memberships of citizen %d", citizenID)
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

// stamp is the time written on people's rows: microseconds, as both
// databases keep them, so that a membership ended and the next started in
// the same second still order correctly.
func (s *Store) stamp() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

// lockCommunity takes the community row's write lock for the rest of tx on
// PostgreSQL, so that roll changes (and their last-board check) serialise.
// SQLite transactions begin IMMEDIATE and are serial anyway.
func lockCommunity(tx *gorm.DB, dialect string, id int64) (Community, error) {
	var c Community
	q := tx.Where("id = ?", id)
	if dialect == "postgres" {
		q = q.Clauses(forUpdate())
	}
	err := q.First(&c).Error
	return c, wrap(err, "community %d", id)
}

// isNotFound reports whether err is a missing row, from gorm or the store.
func isNotFound(err error) bool {
	return errors.Is(err, ErrNotFound) || errors.Is(err, gorm.ErrRecordNotFound)
}

// MemberHandles lists the handles of a community's current members except
// the citizen except, in order: the choices of the delegate pickers.
func (s *Store) MemberHandles(ctx context.Context, communityID, except int64) ([]string, error) {
	var hs []string
	err := s.db.WithContext(ctx).Table("memberships m").Select("c.handle").
		Joins("JOIN citizens c ON c.id = m.citizen_id").
		Where("m.community_id = ? AND m.ended_at IS NULL AND c.id <> ?", communityID, except).
		Order("c.handle").Pluck("c.handle", &hs).Error
	return hs, wrap(err, "member handles of community %d", communityID)
}
