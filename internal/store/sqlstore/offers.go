package sqlstore

import (
	"context"

	"gorm.io/gorm"

	"koinon/internal/domain"
)

// ChangeRole is SetMembership as a board member asks it: a citizen not on
// the board yet is only offered the seat, at weight (the same offer again
// changes nothing); the seat is theirs when they accept it. Other roles,
// and a current board member's weight, take effect at once.
func (s *Store) ChangeRole(ctx context.Context, communityID int64, handle, role string, weight int64) (RoleChange, error) {
	now := s.stamp()
	var rc RoleChange
	err := s.tx(ctx, func(tx *gorm.DB) error {
		c, err := lockedCitizen(tx, s.dialect, communityID, handle)
		if err != nil {
			return err
		}
		if role == domain.RoleBoard {
			cur, err := currentMembership(tx, communityID, c.ID)
			if err != nil && !isNotFound(err) {
				return err
			}
			if err != nil || cur.Role != domain.RoleBoard {
				rc.Offered = true
				return offerSeat(tx, BoardOffer{CommunityID: communityID, CitizenID: c.ID, Weight: weight, CreatedAt: now}, &rc)
			}
		}
		rc.Membership, rc.Changed, err = setMembership(tx, now, communityID, c, role, weight)
		if err != nil || !rc.Changed {
			return err
		}
		return s.notifyJoined(tx, communityID, now, nil)
	})
	return rc, err
}

// offerSeat stores o, replacing an earlier offer to the same citizen.
func offerSeat(tx *gorm.DB, o BoardOffer, rc *RoleChange) error {
	var old BoardOffer
	err := tx.Where("community_id = ? AND citizen_id = ?", o.CommunityID, o.CitizenID).First(&old).Error
	switch {
	case err == nil && old.Weight == o.Weight:
		return nil
	case err == nil:
		if err := tx.Delete(&old).Error; err != nil {
			return wrap(err, "replace board offer")
		}
	case !isNotFound(err):
		return wrap(err, "board offer")
	}
	rc.Changed = true
	return wrap(tx.Create(&o).Error, "offer board seat")
}

const offerSelect = `o.community_id, cm.slug, cm.name, o.citizen_id, c.handle, c.display_name, o.weight, o.created_at`

func (s *Store) offers(ctx context.Context, where string, arg int64) ([]OfferedSeat, error) {
	out := []OfferedSeat{}
	err := s.db.WithContext(ctx).Table("board_offers o").Select(offerSelect).
		Joins("JOIN citizens c ON c.id = o.citizen_id").Joins("JOIN communities cm ON cm.id = o.community_id").
		Where(where, arg).Order("cm.slug, c.handle").Scan(&out).Error
	return out, wrap(err, "board offers")
}

// BoardOffers lists the community's pending board offers by handle.
func (s *Store) BoardOffers(ctx context.Context, communityID int64) ([]OfferedSeat, error) {
	return s.offers(ctx, "o.community_id = ?", communityID)
}

// OffersTo lists the board seats offered to the citizen.
func (s *Store) OffersTo(ctx context.Context, citizenID int64) ([]OfferedSeat, error) {
	return s.offers(ctx, "o.citizen_id = ?", citizenID)
}

// AcceptBoardOffer makes the citizen a board member of the community at
// the offered weight (ending any other role there) and drops the offer.
// No offer: ErrNotFound.
func (s *Store) AcceptBoardOffer(ctx context.Context, communityID, citizenID int64) (Membership, error) {
	now := s.stamp()
	var m Membership
	err := s.tx(ctx, func(tx *gorm.DB) error {
		if _, err := lockCommunity(tx, s.dialect, communityID); err != nil {
			return err
		}
		o, err := takeOffer(tx, communityID, citizenID)
		if err != nil {
			return err
		}
		var c Citizen
		if err := tx.First(&c, citizenID).Error; err != nil {
			return wrap(err, "citizen %d", citizenID)
		}
		m, _, err = setMembership(tx, now, communityID, c, domain.RoleBoard, o.Weight)
		return err
	})
	return m, err
}

// DeclineBoardOffer drops the offer to the citizen. No offer: ErrNotFound.
func (s *Store) DeclineBoardOffer(ctx context.Context, communityID, citizenID int64) error {
	return s.tx(ctx, func(tx *gorm.DB) error {
		_, err := takeOffer(tx, communityID, citizenID)
		return err
	})
}

// takeOffer deletes and returns the citizen's offer.
func takeOffer(tx *gorm.DB, communityID, citizenID int64) (BoardOffer, error) {
	var o BoardOffer
	if err := tx.Where("community_id = ? AND citizen_id = ?", communityID, citizenID).First(&o).Error; err != nil {
		return o, wrap(err, "board offer to %d in community %d", citizenID, communityID)
	}
	return o, wrap(tx.Delete(&o).Error, "drop board offer")
}
