package notify

import (
	"bytes"
	"mime"
	"mime/quotedprintable"
	"net/url"
	"strconv"
	"strings"
	"sync"
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

	footers sync.Map // language and kind → footer
}

// footer is the text of a mail that depends only on its language and
// kind: worded once per pair, not per mail.
type footer struct {
	open string // before the link
	why  string // after the link, before the unsubscribe link
}

func (r *Renderer) footer(lang, kind string) footer {
	key := lang + "\x00" + kind
	if f, ok := r.footers.Load(key); ok {
		return f.(footer)
	}
	t := func(key string, args ...any) string { return r.Texts(lang, key, args...) }
	f := footer{
		open: "\n\n" + t("notify.mail.open") + "\n",
		why:  "\n\n-- \n" + t("notify.mail.why", t("notify.kind."+kind)) + "\n" + t("notify.mail.unsubscribe") + "\n",
	}
	r.footers.Store(key, f)
	return f
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
// body), in its citizen's language. The texts are the locales' (message
// lookups; a message with arguments goes through its language's cached
// printer); the parts that depend only on the language and kind are
// worded once.
func (r *Renderer) Render(m store.Mail, now time.Time) []byte {
	t := func(key string, args ...any) string { return r.Texts(m.Lang, key, args...) }
	args := m.Args()
	subject := t(m.Message+".subject", args...)
	link := r.BaseURL + m.Link
	if m.Kind == store.KindInvitation && m.Secret != "" {
		link = r.BaseURL + "/invitations/" + m.Secret
	}
	unsub := r.BaseURL + "/unsubscribe?" + r.Unsub.Query(m.CitizenID, m.Kind)
	f := r.footer(m.Lang, m.Kind)
	body := t(m.Message, args...) + f.open + link + f.why + unsub + "\n"

	var b bytes.Buffer
	b.Grow(1024 + len(body)*5/4) // headers, and the body quoted-printable
	h := func(k, v string) {
		b.WriteString(k)
		b.WriteString(": ")
		b.WriteString(v)
		b.WriteString("\r\n")
	}
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
	w.Write([]byte(strings.ReplaceAll(body, "\n", "\r\n")))
	w.Close()
	return b.Bytes()
}
