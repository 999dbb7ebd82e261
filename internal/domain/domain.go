// Package domain holds Koinon's vocabulary and rules that need no I/O:
// roles, validation of handles, slugs, passwords and e-mail addresses,
// voter rolls, the ballot rules (NewBallot, CanVote, ballot.go) and the
// errors the store and the web layer share. It imports the tally engine
// for the counting rules, and must not import store, web or any database
// or HTTP package: what a rule needs to read is passed in.
package domain

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Roles on a community's roll.
const (
	RoleMember  = "member"
	RoleBoard   = "board"
	RoleAuditor = "auditor"
)

// ValidRole reports whether r is a role.
func ValidRole(r string) bool { return r == RoleMember || r == RoleBoard || r == RoleAuditor }

// Errors that cross the store/web boundary; the web layer maps them to
// statuses (403, 409, 404).
var (
	ErrForbidden = errors.New("forbidden")
	ErrState     = errors.New("wrong state")
	ErrNotFound  = errors.New("not found")
)

// Invalid is a well-formed request that breaks a rule (HTTP 422). Field
// names the offending input field.
type Invalid struct {
	Field   string
	Message string // in English
	// Rule names the broken rule (a key of Rules) and Args fill its text;
	// Rule is empty for a refusal that has only its English Message.
	Rule string
	Args []any
}

func (e *Invalid) Error() string { return e.Field + ": " + e.Message }

// Invalidf builds an *Invalid.
func Invalidf(field, format string, args ...any) error {
	return &Invalid{Field: field, Message: fmt.Sprintf(format, args...)}
}

// StateError is an action refused because of a ballot's or a membership's
// state (HTTP 409), with a code such as "ballot_closed".
type StateError struct {
	Code    string
	Message string
}

func (e *StateError) Error() string { return e.Message }

// Is makes errors.Is(err, ErrState) true for every StateError.
func (e *StateError) Is(target error) bool { return target == ErrState }

// Stated builds a *StateError.
func Stated(code, format string, args ...any) error {
	return &StateError{Code: code, Message: fmt.Sprintf(format, args...)}
}

var (
	handleRE = regexp.MustCompile(`^[a-z0-9_]{3,32}$`)
	slugRE   = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{1,62}[a-z0-9]$`)
)

// NormalizeHandle lower-cases a handle; handles are case-insensitive.
func NormalizeHandle(h string) string { return strings.ToLower(strings.TrimSpace(h)) }

// CheckHandle validates a normalised handle.
func CheckHandle(h string) error {
	if !handleRE.MatchString(h) {
		return Refuse("handle", "handle")
	}
	return nil
}

// CheckSlug validates a community or topic slug (also safe in paths).
func CheckSlug(field, s string) error {
	if !slugRE.MatchString(s) {
		return Refuse(field, "slug")
	}
	return nil
}

// MinPasswordLength is api.md's minimum.
const MinPasswordLength = 10

// CheckPassword enforces the password policy: at least 10 characters, at
// most 256 bytes, not all one character, not the handle.
func CheckPassword(handle, pw string) error {
	n := utf8.RuneCountInString(pw)
	switch {
	case n < MinPasswordLength:
		return Refuse("password", "password_short", MinPasswordLength)
	case len(pw) > 256:
		return Refuse("password", "password_long")
	case strings.Count(pw, string([]rune(pw)[:1])) == n:
		return Refuse("password", "password_repeat")
	case handle != "" && strings.Contains(strings.ToLower(pw), handle):
		return Refuse("password", "password_handle")
	}
	return nil
}

// CheckText validates a required or optional free-text field: valid
// UTF-8, no control characters but tab and line breaks, at most max
// characters.
func CheckText(field, s string, required bool, max int) error {
	if !utf8.ValidString(s) {
		return Refuse(field, "utf8")
	}
	if strings.IndexFunc(s, badTextRune) >= 0 {
		return Refuse(field, "control")
	}
	if required && strings.TrimSpace(s) == "" {
		return Refuse(field, "required")
	}
	if utf8.RuneCountInString(s) > max {
		return Refuse(field, "too_long", max)
	}
	return nil
}

// badTextRune is a control character other than tab and line breaks.
func badTextRune(r rune) bool { return unicode.IsControl(r) && r != '\t' && r != '\n' && r != '\r' }
