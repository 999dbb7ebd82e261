package domain

import (
	"net/mail"
	"strings"
	"unicode"
)

// Limits on citizens' and communities' free text.
const (
	MaxDisplayName = 100
	MaxStatement   = 4000
	MaxName        = 100
	MaxDescription = 4000
	MaxEmail       = 254
	MaxWeight      = 1_000_000
)

// NormalizeEmail trims an address; the domain part is case-insensitive.
func NormalizeEmail(e string) string {
	e = strings.TrimSpace(e)
	if at := strings.LastIndexByte(e, '@'); at > 0 {
		e = e[:at] + strings.ToLower(e[at:])
	}
	return e
}

// CheckEmail accepts a plain address: one @ with text on both sides, a
// dot in the domain, no spaces or control characters, nothing that
// net/mail reads as a name or comment, and no leading = + - @ (which a
// spreadsheet would run as a formula). (Deliverability is not checked;
// nothing here sends mail.)
func CheckEmail(field, e string, required bool) error {
	if e == "" {
		if required {
			return Refuse(field, "required")
		}
		return nil
	}
	at := strings.LastIndexByte(e, '@')
	switch {
	case len(e) > MaxEmail:
		return Refuse(field, "too_long", MaxEmail)
	case at < 1 || at == len(e)-1 || strings.Count(e, "@") != 1:
		return Refuse(field, "email")
	case !strings.Contains(e[at+1:], ".") || strings.HasPrefix(e[at+1:], ".") || strings.HasSuffix(e, "."):
		return Refuse(field, "email")
	case strings.IndexFunc(e, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0:
		return Refuse(field, "email_spaces")
	case strings.ContainsRune("=+-@", rune(e[0])):
		return Refuse(field, "email_formula")
	}
	if a, err := mail.ParseAddress(e); err != nil || a.Address != e || a.Name != "" {
		return Refuse(field, "email")
	}
	return nil
}

// CSVText defuses spreadsheet formulas in a free-text CSV cell (OWASP CSV
// injection): a leading = + - @, tab or carriage return gets a leading
// apostrophe. Every export applies it to every free-text column.
func CSVText(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// CheckWeight validates a voting weight: a whole number from 0 (no vote)
// to MaxWeight.
func CheckWeight(field string, w int64) error {
	if w < 0 || w > MaxWeight {
		return Refuse(field, "weight", MaxWeight)
	}
	return nil
}
