package domain

import "fmt"

// Rules are the validation rules by name, with their English text (the
// API's message, filled with the rule's arguments). The web layer words a
// refusal in the reader's language by the rule's name (locale key
// "invalid.NAME", same arguments), so no English reaches a German page.
var Rules = map[string]string{
	"required":            "is required",
	"too_long":            "must be at most %d characters",
	"utf8":                "must be valid UTF-8",
	"control":             "must not contain control characters such as NUL",
	"line_control":        "must not contain control characters (such as NUL or line breaks)",
	"email":               "must be an email address such as ann@example.org",
	"email_spaces":        "must not contain spaces",
	"email_formula":       "must not start with = + - or @",
	"weight":              "must be a whole number from 0 to %d",
	"weight_number":       "must be a whole number, not %s",
	"role":                "must be member, board or auditor",
	"role_named":          "must be member, board or auditor, not %s",
	"handle":              "must be 3 to 32 characters: a-z, 0-9 and _",
	"slug":                "must be 3 to 64 characters: a-z, 0-9 and -, not starting or ending with -",
	"password_short":      "must be at least %d characters",
	"password_long":       "must be at most 256 bytes",
	"password_repeat":     "must not repeat one character",
	"password_handle":     "must not contain the handle",
	"password_wrong":      "is not your current password",
	"option_key":          "must be 1 to 64 characters: a-z, 0-9 and -",
	"options_max":         "at most %d options on a %s ballot (limit max_options), got %d",
	"seats_max":           "at most %d seats (limit max_seats)",
	"communities_per_day": "you may found at most %d communities in 24 hours (limit max_communities_per_day)",
	"no_citizen":          "no citizen has the handle %s",
	"delegates_max":       "at most 50 delegates per list",
	"delegate_self":       "you cannot delegate to yourself",
	"delegate_twice":      "a delegate is listed twice",
	"delegate_not_member": "%s is not a member of this community",
	"delegates_none":      "name at least one delegate, or choose “I vote myself here”",
	"topic_or_ballot":     "name a topic or a ballot, not both",
	"no_topic":            "no such topic in this community",
	"no_ballot":           "no such ballot in this community",
	"closes_passed":       "the closing time has passed: set a later one",
	"roll_file":           "the roll file has bad lines; nothing was applied",
	"file_missing":        "choose a CSV file to upload",
}

// Refuse builds an *Invalid for the rule named rule (a key of Rules).
func Refuse(field, rule string, args ...any) error {
	text, ok := Rules[rule]
	if !ok {
		panic("domain: no rule " + rule)
	}
	return &Invalid{Field: field, Message: fmt.Sprintf(text, args...), Rule: rule, Args: args}
}
