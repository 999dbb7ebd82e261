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
	"strconv"
	"time"
)

// SMTP is a parsed --smtp-url.
type SMTP struct {
	Addr     string // host:port
	Username string
	Password string
	From     string // the From address
	// TLS: "smtps" connects with TLS; "smtp" upgrades with STARTTLS, and
	// requires it, when a password is set (a local relay without one is
	// spoken to in clear).
	Implicit bool
	// Conns and Lease tune the worker (query conns=N, lease=DURATION;
	// zero: the Worker's defaults).
	Conns int
	Lease time.Duration
}

// ParseURL reads smtp://user:pass@host:port?from=addr (or smtps://), with
// optional conns=N (parallel connections, 1–64) and lease=DURATION (how
// long a claimed row waits before another process may send it, ≥ 1 s).
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
	if v := u.Query().Get("conns"); v != "" {
		if s.Conns, err = strconv.Atoi(v); err != nil || s.Conns < 1 || s.Conns > 64 {
			return SMTP{}, fmt.Errorf("conns=%q: want a number of connections from 1 to 64", v)
		}
	}
	if v := u.Query().Get("lease"); v != "" {
		if s.Lease, err = time.ParseDuration(v); err != nil || s.Lease < time.Second {
			return SMTP{}, fmt.Errorf("lease=%q: want a duration of at least 1s", v)
		}
	}
	return s, nil
}
