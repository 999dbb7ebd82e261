package sqlstore

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"time"

	"gorm.io/gorm"
)

func newInviteToken() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// hashToken is what the database keeps of an invitation token: a leaked
// database does not leak working links.
func hashToken(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

// InvitationByToken finds an unused, unexpired invitation and its
// citizen; anything else is ErrNotFound.
func (s *Store) InvitationByToken(ctx context.Context, token string) (Invitation, Citizen, error) {
	return invitationByToken(s.db.WithContext(ctx), token, s.stamp())
}

func invitationByToken(db *gorm.DB, token string, now time.Time) (Invitation, Citizen, error) {
	var inv Invitation
	var c Citizen
	if token == "" {
		return inv, c, wrap(gorm.ErrRecordNotFound, "invitation")
	}
	err := db.Where("token_hash = ? AND used_at IS NULL AND created_at > ?", hashToken(token), now.Add(-InvitationTTL)).First(&inv).Error
	if err != nil {
		return inv, c, wrap(err, "invitation")
	}
	err = db.First(&c, inv.CitizenID).Error
	return inv, c, wrap(err, "citizen %d", inv.CitizenID)
}

// AcceptInvitation sets the invited citizen's password (hash), marks the
// invitation used and revokes older tokens, in one transaction.
func (s *Store) AcceptInvitation(ctx context.Context, token, hash string) (Citizen, error) {
	now := s.stamp()
	var c Citizen
	err := s.tx(ctx, func(tx *gorm.DB) error {
		inv, _, err := invitationByToken(tx, token, now)
		if err != nil {
			return err
		}
		res := tx.Model(&Invitation{}).Where("id = ? AND used_at IS NULL", inv.ID).Update("used_at", now)
		if res.Error != nil {
			return wrap(res.Error, "use invitation")
		}
		if res.RowsAffected == 0 {
			return wrap(gorm.ErrRecordNotFound, "invitation")
		}
		if err := tx.Model(&Citizen{}).Where("id = ?", inv.CitizenID).
			Updates(map[string]any{"password_hash": hash, "token_version": gorm.Expr("token_version + 1")}).Error; err != nil {
			return wrap(err, "set password")
		}
		return wrap(tx.First(&c, inv.CitizenID).Error, "citizen %d", inv.CitizenID)
	})
	return c, err
}

// InviteWithoutPassword issues fresh invitations to the community's
// current members who have no password yet (their earlier unused
// invitations to it stop working) and returns the tokens, by handle.
func (s *Store) InviteWithoutPassword(ctx context.Context, communityID int64) ([]Invite, error) {
	now := s.stamp()
	var out []Invite
	err := s.tx(ctx, func(tx *gorm.DB) error {
		var cs []Citizen
		if err := tx.Table("citizens c").Select("c.id, c.handle, c.email").
			Joins("JOIN memberships m ON m.citizen_id = c.id AND m.community_id = ? AND m.ended_at IS NULL", communityID).
			Where("c.password_hash = ''").Order("c.handle").Scan(&cs).Error; err != nil {
			return wrap(err, "members without password")
		}
		ids := make([]int64, len(cs))
		invs := make([]Invitation, len(cs))
		for i, c := range cs {
			ids[i] = c.ID
			token := newInviteToken()
			invs[i] = Invitation{CitizenID: c.ID, CommunityID: communityID, TokenHash: hashToken(token), CreatedAt: now}
			out = append(out, Invite{CitizenID: c.ID, Handle: c.Handle, Email: c.Email, Token: token})
		}
		for i := 0; i < len(ids); i += rollChunk {
			if err := tx.Where("community_id = ? AND used_at IS NULL AND citizen_id IN ?", communityID, ids[i:min(i+rollChunk, len(ids))]).
				Delete(&Invitation{}).Error; err != nil {
				return wrap(err, "drop old invitations")
			}
		}
		if len(invs) > 0 {
			return wrap(tx.CreateInBatches(&invs, rollChunk).Error, "create invitations")
		}
		return nil
	})
	return out, err
}
