package store

import (
	"errors"
	"time"
)

// CitizenIdentity links an account at an OpenID provider to a citizen.
type CitizenIdentity struct {
	Issuer    string `gorm:"primaryKey"`
	Subject   string `gorm:"primaryKey"`
	CitizenID int64
	CreatedAt time.Time
}

// ExternalSignIn is what a verified ID token says about its holder.
type ExternalSignIn struct {
	Issuer, Subject string
	// Email is used to link only when the provider verified it.
	Email         string
	EmailVerified bool
	// Username and Name suggest the handle and display name of a new citizen.
	Username, Name string
	// Communities (slugs) the citizen joins as a member if not on their
	// roll yet (the claim mapping of docs/oidc.md).
	Communities []string
}

// ErrAmbiguousEmail: several citizens share the verified email, so the
// account cannot be linked to one of them.
var ErrAmbiguousEmail = errors.New("store: several citizens have this email")
