package sqlstore

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"

	"koinon/internal/domain"
)

// SignInExternal finds or creates the citizen of an external account, in
// one transaction: by (issuer, subject) first, then by verified email
// (the link is recorded), else a new citizen with a unique handle
// derived from the username or email. created reports the last case.
func (s *Store) SignInExternal(ctx context.Context, in ExternalSignIn) (ct Citizen, created bool, err error) {
	now := s.stamp()
	err = s.tx(ctx, func(tx *gorm.DB) error {
		var id CitizenIdentity
		err := tx.Where("issuer = ? AND subject = ?", in.Issuer, in.Subject).First(&id).Error
		switch {
		case err == nil:
			if err := tx.First(&ct, id.CitizenID).Error; err != nil {
				return wrap(err, "citizen %d", id.CitizenID)
			}
			return s.joinCommunities(tx, now, ct, in.Communities)
		case !isNotFound(err):
			return wrap(err, "identity")
		}
		ct, created, err = linkOrCreate(tx, now, in)
		if err != nil {
			return err
		}
		link := CitizenIdentity{Issuer: in.Issuer, Subject: in.Subject, CitizenID: ct.ID, CreatedAt: now}
		if err := tx.Create(&link).Error; err != nil {
			return wrap(err, "link identity")
		}
		return s.joinCommunities(tx, now, ct, in.Communities)
	})
	return ct, created, err
}

// linkOrCreate finds the one citizen with in's verified email, or
// creates a citizen.
func linkOrCreate(tx *gorm.DB, now time.Time, in ExternalSignIn) (Citizen, bool, error) {
	email := domain.NormalizeEmail(in.Email)
	if in.EmailVerified && email != "" {
		var found []Citizen
		if err := tx.Where("LOWER(email) = ?", strings.ToLower(email)).Limit(2).Find(&found).Error; err != nil {
			return Citizen{}, false, wrap(err, "citizen by email")
		}
		switch len(found) {
		case 1:
			return found[0], false, nil
		case 2:
			return Citizen{}, false, ErrAmbiguousEmail
		}
	}
	if !in.EmailVerified {
		email = "" // never store an address nobody vouched for
	}
	handle, err := freeHandle(tx, in.Username, in.Email)
	if err != nil {
		return Citizen{}, false, err
	}
	ct := Citizen{Handle: handle, Email: email, DisplayName: truncate(in.Name, domain.MaxDisplayName), TokenVersion: 1, CreatedAt: now}
	return ct, true, wrap(tx.Create(&ct).Error, "create citizen %q", handle)
}

// freeHandle derives a valid handle from the username (else the email's
// local part) and adds _2, _3 … until it is free.
func freeHandle(tx *gorm.DB, username, email string) (string, error) {
	base := handleBase(username)
	if base == "" {
		local, _, _ := strings.Cut(email, "@")
		base = handleBase(local)
	}
	if len(base) < 3 {
		base = "citizen"
	}
	for i := 1; i < 1000; i++ {
		h := base
		if i > 1 {
			suffix := fmt.Sprintf("_%d", i)
			h = truncate(base, 32-len(suffix)) + suffix
		}
		var n int64
		if err := tx.Model(&Citizen{}).Where("handle = ?", h).Count(&n).Error; err != nil {
			return "", wrap(err, "handle %q", h)
		}
		if n == 0 {
			return h, nil
		}
	}
	return "", fmt.Errorf("store: no free handle for %q: %w", base, ErrConflict)
}

// handleBase keeps a-z, 0-9 and _ of s (lower-cased; other characters
// become _), at most 32 characters.
func handleBase(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '_':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	return truncate(strings.Trim(b.String(), "_"), 32)
}

// truncate cuts s to at most n bytes at a rune boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// joinCommunities makes ct a member of each community (by slug) whose
// roll does not list them yet; unknown slugs are skipped.
func (s *Store) joinCommunities(tx *gorm.DB, now time.Time, ct Citizen, slugs []string) error {
	for _, slug := range slugs {
		var cm Community
		if err := tx.Where("slug = ?", slug).First(&cm).Error; err != nil {
			if isNotFound(err) {
				continue
			}
			return wrap(err, "community %q", slug)
		}
		if _, err := lockCommunity(tx, s.dialect, cm.ID); err != nil {
			return err
		}
		if _, err := currentMembership(tx, cm.ID, ct.ID); err == nil {
			continue
		} else if !isNotFound(err) {
			return err
		}
		if _, _, err := setMembership(tx, now, cm.ID, ct, domain.RoleMember, 1); err != nil {
			return err
		}
	}
	return nil
}
