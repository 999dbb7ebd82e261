package notify

import (
	"bytes"
	"mime"
	"mime/quotedprintable"
	"net/url"
	"strconv"
	"strings"
	"time"

	"koinon/internal/store"
)

// Texts formats locale messages (web's locales): t(lang, key, args…).
type Texts func(lang, key string, args ...any) string

// Renderer writes outbox rows as mails.
type Renderer struct {
	Texts   Texts
	BaseURL string // scheme and host of the site, for links
	From    string
	Unsub   *Unsubscriber
}

// MessageID is the Message-ID of outbox row id: the same on every attempt,
// so a mail sent twice after a crash (at-least-once) is recognisable as one.
func (r *Renderer) MessageID(id int64) string {
	host := "koinon.invalid"
	if u, err := url.Parse(r.BaseURL); err == nil && u.Hostname() != "" {
		host = u.Hostname()
	}
	return "<outbox-" + strconv.FormatInt(id, 10) + "@" + host + ">"
}

// Render returns the mail of m (headers and a quoted-printable UTF-8
// body), in its citizen's language.
func (r *Renderer) Render(m store.Mail, now time.Time) []byte {
	t := func(key string, args ...any) string { return r.Texts(m.Lang, key, args...) }
	args := m.Args()
	subject := t(m.Message+".subject", args...)
	link := r.BaseURL + m.Link
	if m.Kind == store.KindInvitation && m.Secret != "" {
		link = r.BaseURL + "/invitations/" + m.Secret
	}
	unsub := r.BaseURL + "/unsubscribe?" + r.Unsub.Query(m.CitizenID, m.Kind)
	var body strings.Builder
	body.WriteString(t(m.Message, args...))
	body.WriteString("\n\n" + t("notify.mail.open") + "\n" + link + "\n\n-- \n")
	body.WriteString(t("notify.mail.why", t("notify.kind."+m.Kind)) + "\n")
	body.WriteString(t("notify.mail.unsubscribe") + "\n" + unsub + "\n")

	var b bytes.Buffer
	h := func(k, v string) { b.WriteString(k + ": " + v + "\r\n") }
	h("From", r.From)
	h("To", m.Email)
	h("Subject", mime.QEncoding.Encode("utf-8", subject))
	h("Date", now.Format(time.RFC1123Z))
	h("Message-ID", r.MessageID(m.ID))
	h("Content-Language", m.Lang)
	h("Auto-Submitted", "auto-generated")
	h("List-Unsubscribe", "<"+unsub+">")
	h("MIME-Version", "1.0")
	h("Content-Type", "text/plain; charset=utf-8")
	h("Content-Transfer-Encoding", "quoted-printable")
	b.WriteString("\r\n")
	w := quotedprintable.NewWriter(&b)
	w.Write([]byte(strings.ReplaceAll(body.String(), "\n", "\r\n")))
	w.Close()
	return b.Bytes()
}
