package sqlstore

import (
	"context"
	"fmt"
	"sort"
	"time"

	"gorm.io/gorm"

	"koinon/internal/domain"
)

const rollSelect = `m.id AS membership_id, m.citizen_id, c.handle, c.display_name,
	(c.password_hash = '') AS invited, m.role, m.weight, m.started_at, m.ended_at`

// Roll lists the community's roll by handle: the current one when at is
// zero, else the one in force at that instant (memberships started at or
// before it and not yet ended).
func (s *Store) Roll(ctx context.Context, communityID int64, at time.Time) ([]RollMember, error) {
	q := s.db.WithContext(ctx).Table("memberships m").Select(rollSelect).
		Joins("JOIN citizens c ON c.id = m.citizen_id").Where("m.community_id = ?", communityID)
	if at.IsZero() {
		q = q.Where("m.ended_at IS NULL")
	} else {
		at = at.UTC()
		q = q.Where("m.started_at <= ? AND (m.ended_at IS NULL OR m.ended_at > ?)", at, at)
	}
	out := []RollMember{}
	err := q.Order("c.handle").Scan(&out).Error
	return out, wrap(err, "roll of community %d", communityID)
}

// RollHistory lists every membership period of the community, oldest
// first.
func (s *Store) RollHistory(ctx context.Context, communityID int64) ([]RollMember, error) {
	out := []RollMember{}
	err := s.db.WithContext(ctx).Table("memberships m").Select(rollSelect).
		Joins("JOIN citizens c ON c.id = m.citizen_id").Where("m.community_id = ?", communityID).
		Order("m.started_at, m.id").Scan(&out).Error
	return out, wrap(err, "roll history of community %d", communityID)
}

// errLastBoard refuses a change that would leave a community without a
// board member (nobody could manage it any more).
func errLastBoard(handle string) error {
	return domain.Stated("last_board", "%s is the last board member: make someone else board first", handle)
}

func countBoard(tx *gorm.DB, communityID int64) (int64, error) {
	var n int64
	err := tx.Model(&Membership{}).Where("community_id = ? AND role = ? AND ended_at IS NULL", communityID, domain.RoleBoard).Count(&n).Error
	return n, err
}

// SetMembership adds the citizen with this handle to the community's roll
// or changes their role or weight. A change ends the current membership
// and starts a new one, so the roll's history is kept; an identical
// request changes nothing (changed is false). An unknown handle is a
// domain.Invalid on "handle"; demoting the last board member is a
// domain.StateError "last_board".
func (s *Store) SetMembership(ctx context.Context, communityID int64, handle, role string, weight int64) (m Membership, changed bool, err error) {
	now := s.stamp()
	err = s.tx(ctx, func(tx *gorm.DB) error {
		c, err := lockedCitizen(tx, s.dialect, communityID, handle)
		if err != nil {
			return err
		}
		m, changed, err = setMembership(tx, now, communityID, c, role, weight)
		if err != nil || !changed {
			return err
		}
		return s.notifyJoined(tx, communityID, now, nil)
	})
	return m, changed, err
}

// lockedCitizen locks the community's roll (lockCommunity) and finds the
// citizen with handle; an unknown handle is a domain.Invalid on "handle".
func lockedCitizen(tx *gorm.DB, dialect string, communityID int64, handle string) (Citizen, error) {
	var c Citizen
	if _, err := lockCommunity(tx, dialect, communityID); err != nil {
		return c, err
	}
	if err := tx.Where("handle = ?", handle).First(&c).Error; err != nil {
		if isNotFound(err) {
			return c, domain.Refuse("handle", "no_citizen", domain.Quote(handle))
		}
		return c, wrap(err, "citizen %q", handle)
	}
	return c, nil
}

// setMembership is SetMembership inside tx, the roll locked.
func setMembership(tx *gorm.DB, now time.Time, communityID int64, c Citizen, role string, weight int64) (Membership, bool, error) {
	cur, err := currentMembership(tx, communityID, c.ID)
	switch {
	case err == nil:
		if cur.Role == role && cur.Weight == weight {
			return cur, false, nil
		}
		if cur.Role == domain.RoleBoard && role != domain.RoleBoard {
			n, err := countBoard(tx, communityID)
			if err != nil {
				return cur, false, wrap(err, "count board")
			}
			if n <= 1 {
				return cur, false, errLastBoard(c.Handle)
			}
		}
		if err := tx.Model(&Membership{}).Where("id = ?", cur.ID).Update("ended_at", now).Error; err != nil {
			return cur, false, wrap(err, "end membership %d", cur.ID)
		}
	case isNotFound(err):
	default:
		return cur, false, err
	}
	m := Membership{CommunityID: communityID, CitizenID: c.ID, Role: role, Weight: weight, StartedAt: now}
	return m, true, wrap(tx.Create(&m).Error, "start membership of %q", c.Handle)
}

// EndMembership takes the citizen off the community's roll (the period
// ends; history is kept) and withdraws a board seat offered to them. Not on the roll: ErrNotFound; the last board
// member: domain.StateError "last_board".
func (s *Store) EndMembership(ctx context.Context, communityID int64, handle string) error {
	now := s.stamp()
	return s.tx(ctx, func(tx *gorm.DB) error {
		if _, err := lockCommunity(tx, s.dialect, communityID); err != nil {
			return err
		}
		var c Citizen
		if err := tx.Where("handle = ?", handle).First(&c).Error; err != nil {
			return wrap(err, "citizen %q", handle)
		}
		withdrawn := tx.Where("community_id = ? AND citizen_id = ?", communityID, c.ID).Delete(&BoardOffer{})
		if withdrawn.Error != nil {
			return wrap(withdrawn.Error, "withdraw board offer")
		}
		cur, err := currentMembership(tx, communityID, c.ID)
		if isNotFound(err) && withdrawn.RowsAffected > 0 {
			return nil // only offered a seat: the offer is withdrawn
		}
		if err != nil {
			return err
		}
		if cur.Role == domain.RoleBoard {
			n, err := countBoard(tx, communityID)
			if err != nil {
				return wrap(err, "count board")
			}
			if n <= 1 {
				return errLastBoard(handle)
			}
		}
		if err := tx.Model(&Membership{}).Where("id = ?", cur.ID).Update("ended_at", now).Error; err != nil {
			return wrap(err, "end membership %d", cur.ID)
		}
		return s.notifyDelegateLeft(tx, communityID, c, cur.ID)
	})
}

// PlanRoll previews what ApplyRoll would do with lines (from
// domain.ParseRoll), without changing anything. Lines that are valid on
// their own may still be refused here: a new handle without an email, or
// a file that would leave the community without a board member. Citizens
// not in the file keep their memberships.
func (s *Store) PlanRoll(ctx context.Context, communityID int64, lines []domain.RollLine) (RollPlan, error) {
	p, _, err := planRoll(s.db.WithContext(ctx), communityID, lines)
	return p, err
}

// rollState is what planRoll found: citizens by handle and current
// memberships by citizen id.
type rollState struct {
	citizens map[string]Citizen
	current  map[int64]Membership
}

const rollChunk = 500

func planRoll(db *gorm.DB, communityID int64, lines []domain.RollLine) (RollPlan, rollState, error) {
	st := rollState{citizens: map[string]Citizen{}, current: map[int64]Membership{}}
	var cur []Membership
	if err := db.Where("community_id = ? AND ended_at IS NULL", communityID).Find(&cur).Error; err != nil {
		return RollPlan{}, st, wrap(err, "roll of community %d", communityID)
	}
	boards := 0
	for _, m := range cur {
		st.current[m.CitizenID] = m
		if m.Role == domain.RoleBoard {
			boards++
		}
	}
	handles := make([]string, len(lines))
	for i, l := range lines {
		handles[i] = l.Handle
	}
	for i := 0; i < len(handles); i += rollChunk {
		var cs []Citizen
		if err := db.Select("id", "handle", "email", "display_name", "password_hash").
			Where("handle IN ?", handles[i:min(i+rollChunk, len(handles))]).Find(&cs).Error; err != nil {
			return RollPlan{}, st, wrap(err, "look up citizens")
		}
		for _, c := range cs {
			st.citizens[c.Handle] = c
		}
	}
	p := RollPlan{Changes: []RollChange{}, Errors: []domain.LineError{}}
	var demoting []RollChange
	for _, l := range lines {
		ch := RollChange{Line: l.Line, Handle: l.Handle, Email: l.Email, DisplayName: l.DisplayName, Role: l.Role, Weight: l.Weight}
		c, known := st.citizens[l.Handle]
		m, member := st.current[c.ID]
		switch {
		case !known:
			if l.Email == "" {
				p.Errors = append(p.Errors, domain.LineError{Line: l.Line, Handle: l.Handle, Field: "email",
					Message: "email: needed to invite " + l.Handle + ", who has no account yet"})
				continue
			}
			ch.Kind = RollCreate
			p.Created++
		case !member:
			ch.Kind, ch.Email, ch.DisplayName = RollAdd, "", c.DisplayName
			p.Added++
		case m.Role == l.Role && m.Weight == l.Weight:
			ch.Kind, ch.Email, ch.DisplayName = RollUnchanged, "", c.DisplayName
			p.Unchanged++
		default:
			ch.Kind, ch.Email, ch.DisplayName, ch.OldRole, ch.OldWeight = RollUpdate, "", c.DisplayName, m.Role, m.Weight
			p.Updated++
		}
		// A board seat is only offered: it counts when accepted.
		ch.Offered = ch.Role == domain.RoleBoard && (ch.Kind == RollCreate || ch.Kind == RollAdd || ch.Kind == RollUpdate && ch.OldRole != domain.RoleBoard)
		if ch.Offered {
			p.Offered++
		}
		if ch.Kind == RollUpdate && ch.OldRole == domain.RoleBoard && ch.Role != domain.RoleBoard {
			boards--
			demoting = append(demoting, ch)
		}
		p.Changes = append(p.Changes, ch)
	}
	if boards < 1 {
		for _, ch := range demoting {
			p.Errors = append(p.Errors, domain.LineError{Line: ch.Line, Handle: ch.Handle, Field: "role",
				Message: "role: this would leave the community without a board member"})
		}
		if len(demoting) == 0 {
			p.Errors = append(p.Errors, domain.LineError{Message: "the community would have no board member"})
		}
	}
	sort.Slice(p.Errors, func(i, j int) bool { return p.Errors[i].Line < p.Errors[j].Line })
	return p, st, nil
}

// ApplyRoll applies a roll file in one transaction: new handles become
// citizens without a password, each with an invitation to this community;
// new members are added; changed roles and weights end the old membership
// and start a new one; a board seat is only offered (RollChange.Offered). The plan is made again inside the transaction; if
// it has any error nothing is applied and the plan is returned with
// ErrRollInvalid. The invitations' tokens are returned once, here.
func (s *Store) ApplyRoll(ctx context.Context, communityID int64, lines []domain.RollLine) (RollPlan, []Invite, error) {
	now := s.stamp()
	var (
		plan    RollPlan
		invites []Invite
	)
	err := s.tx(ctx, func(tx *gorm.DB) error {
		if _, err := lockCommunity(tx, s.dialect, communityID); err != nil {
			return err
		}
		var (
			st  rollState
			err error
		)
		plan, st, err = planRoll(tx, communityID, lines)
		if err != nil {
			return err
		}
		if len(plan.Errors) > 0 {
			return ErrRollInvalid
		}
		var fresh []Citizen
		for _, ch := range plan.Changes {
			if ch.Kind == RollCreate {
				fresh = append(fresh, Citizen{Handle: ch.Handle, Email: ch.Email, DisplayName: ch.DisplayName, TokenVersion: 1, CreatedAt: now})
			}
		}
		if len(fresh) > 0 {
			if err := tx.CreateInBatches(&fresh, rollChunk).Error; err != nil {
				return wrap(err, "create invited citizens")
			}
			invs := make([]Invitation, len(fresh))
			for i, c := range fresh {
				if c.ID == 0 {
					return fmt.Errorf("store: create invited citizens: no id for %q", c.Handle)
				}
				st.citizens[c.Handle] = c
				token := newInviteToken()
				invs[i] = Invitation{CitizenID: c.ID, CommunityID: communityID, TokenHash: hashToken(token), CreatedAt: now}
				invites = append(invites, Invite{CitizenID: c.ID, Handle: c.Handle, Email: c.Email, Token: token})
			}
			if err := tx.CreateInBatches(&invs, rollChunk).Error; err != nil {
				return wrap(err, "create invitations")
			}
		}
		var ending []int64
		var starting []Membership
		for _, ch := range plan.Changes {
			c := st.citizens[ch.Handle]
			if ch.Offered {
				o := BoardOffer{CommunityID: communityID, CitizenID: c.ID, Weight: ch.Weight, CreatedAt: now}
				if err := offerSeat(tx, o, &RoleChange{}); err != nil {
					return err
				}
				continue
			}
			switch ch.Kind {
			case RollUpdate:
				ending = append(ending, st.current[c.ID].ID)
				fallthrough
			case RollCreate, RollAdd:
				starting = append(starting, Membership{CommunityID: communityID, CitizenID: c.ID, Role: ch.Role, Weight: ch.Weight, StartedAt: now})
			}
		}
		for i := 0; i < len(ending); i += rollChunk {
			if err := tx.Model(&Membership{}).Where("id IN ?", ending[i:min(i+rollChunk, len(ending))]).Update("ended_at", now).Error; err != nil {
				return wrap(err, "end memberships")
			}
		}
		if len(starting) > 0 {
			if err := tx.CreateInBatches(&starting, rollChunk).Error; err != nil {
				return wrap(err, "start memberships")
			}
		}
		secrets := make(map[int64]string, len(invites))
		for _, inv := range invites {
			secrets[inv.CitizenID] = inv.Token
		}
		return s.notifyJoined(tx, communityID, now, secrets)
	})
	return plan, invites, err
}
