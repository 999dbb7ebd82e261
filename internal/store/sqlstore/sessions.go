package sqlstore

import (
	"context"
	"time"

	"gorm.io/gorm"
)

// CreateSession starts a session for the citizen (generation 1). Sessions
// of the citizen unused for longer than idle are deleted on the way.
func (s *Store) CreateSession(ctx context.Context, citizenID int64, idle time.Duration) (Session, error) {
	now := s.now().UTC()
	ses := Session{ID: NewSecret()[:32], CitizenID: citizenID, Generation: 1, CreatedAt: now, UsedAt: now}
	err := s.tx(ctx, func(tx *gorm.DB) error {
		if err := tx.Where("citizen_id = ? AND used_at < ?", citizenID, now.Add(-idle)).Delete(&Session{}).Error; err != nil {
			return err
		}
		return tx.Create(&ses).Error
	})
	return ses, wrap(err, "create session of %d", citizenID)
}

// RotateSession spends the refresh token of generation gen of session id
// and returns the session with its next generation. A revoked or unknown
// session is ErrNotFound. The token just spent, within grace of its use,
// returns the session unchanged with Raced set (parallel requests of one
// browser); any other older generation (a token used twice) revokes the
// session and is ErrRefreshReused.
func (s *Store) RotateSession(ctx context.Context, id string, gen int64, grace time.Duration) (Session, error) {
	var ses Session
	reused := false
	err := s.tx(ctx, func(tx *gorm.DB) error {
		now := s.now().UTC()
		res := tx.Model(&Session{}).Where("id = ? AND generation = ? AND revoked_at IS NULL", id, gen).
			Updates(map[string]any{"generation": gorm.Expr("generation + 1"), "used_at": now})
		if res.Error != nil {
			return res.Error
		}
		if err := tx.First(&ses, "id = ? AND revoked_at IS NULL", id).Error; err != nil || res.RowsAffected == 1 {
			return err
		}
		if grace > 0 && ses.Generation == gen+1 && !ses.UsedAt.Before(now.Add(-grace)) {
			ses.Raced = true
			return nil
		}
		reused = true
		return tx.Model(&Session{}).Where("id = ?", id).Update("revoked_at", now).Error
	})
	if err != nil {
		return Session{}, wrap(err, "rotate session")
	}
	if reused {
		return Session{}, ErrRefreshReused
	}
	return ses, nil
}

// RevokeSession ends a session (sign-out): its refresh tokens stop working.
func (s *Store) RevokeSession(ctx context.Context, id string) error {
	err := s.tx(ctx, func(tx *gorm.DB) error {
		return tx.Model(&Session{}).Where("id = ? AND revoked_at IS NULL", id).Update("revoked_at", s.now().UTC()).Error
	})
	return wrap(err, "revoke session")
}

// SessionLive reports whether session id exists and is not revoked: an
// access token of a signed-out session stops working at once.
func (s *Store) SessionLive(ctx context.Context, id string) (bool, error) {
	var n int64
	err := s.db.WithContext(ctx).Model(&Session{}).Where("id = ? AND revoked_at IS NULL", id).Count(&n).Error
	return n == 1, wrap(err, "session")
}
