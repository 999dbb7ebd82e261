// Package notify mails notifications: it parses --smtp-url, renders each
// outbox row as a mail in its citizen's language, signs unsubscribe links
// and runs the worker that drains the outbox over a few SMTP connections
// with retries and backoff (docs/notifications.md). It never runs inside
// a request: events only write outbox rows (store).
package notify

import (
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/url"
)

// SMTP is a parsed --smtp-url.
type SMTP struct {
	Addr     string // host:port
	Username string
	Password string
	From     string // the From address
	// TLS: "smtps" connects with TLS; "smtp" upgrades with STARTTLS when
	// the server offers it and requires it when a password is set.
	Implicit bool
}

// ParseURL reads smtp://user:pass@host:port?from=addr (or smtps://).
func ParseURL(raw string) (SMTP, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "smtp" && u.Scheme != "smtps") || u.Hostname() == "" {
		return SMTP{}, errors.New("want smtp://[USER:PASS@]HOST[:PORT]?from=ADDRESS (or smtps://)")
	}
	s := SMTP{Implicit: u.Scheme == "smtps"}
	port := u.Port()
	if port == "" {
		port = map[bool]string{true: "465", false: "587"}[s.Implicit]
	}
	s.Addr = net.JoinHostPort(u.Hostname(), port)
	if u.User != nil {
		s.Username = u.User.Username()
		s.Password, _ = u.User.Password()
	}
	from, err := mail.ParseAddress(u.Query().Get("from"))
	if err != nil {
		return SMTP{}, fmt.Errorf("from=%q: want a mail address", u.Query().Get("from"))
	}
	s.From = from.Address
	return s, nil
}
