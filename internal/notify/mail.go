package notify

import (
	"bytes"
	"mime"
	"mime/quotedprintable"
	"net/url"
	"strconv"
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

	mu       sync.RWMutex
	footers  map[footerKey]footer
	hostOnce sync.Once
	host     string // of BaseURL, for Message-IDs
}

// footerKey is a language and a kind.
type footerKey struct{ lang, kind string }

// footer is the text of a mail that depends only on its language and
// kind: worded once per pair, not per mail.
type footer struct {
	open string // before the link
	why  string // after the link, before the unsubscribe link
}

func (r *Renderer) footer(lang, kind string) footer {
	key := footerKey{lang, kind}
	r.mu.RLock()
	f, ok := r.footers[key]
	r.mu.RUnlock()
	if ok {
		return f
	}
	t := func(key string, args ...any) string { return r.Texts(lang, key, args...) }
	f = footer{
		open: "\n\n" + t("notify.mail.open") + "\n",
		why:  "\n\n-- \n" + t("notify.mail.why", t("notify.kind."+kind)) + "\n" + t("notify.mail.unsubscribe") + "\n",
	}
	r.mu.Lock()
	if r.footers == nil {
		r.footers = map[footerKey]footer{}
	}
	r.footers[key] = f
	r.mu.Unlock()
	return f
}

// hostname is BaseURL's host, koinon.invalid without one.
func (r *Renderer) hostname() string {
	r.hostOnce.Do(func() {
		r.host = "koinon.invalid"
		if u, err := url.Parse(r.BaseURL); err == nil && u.Hostname() != "" {
			r.host = u.Hostname()
		}
	})
	return r.host
}

// Buffer is the reusable space one goroutine renders its mails in.
type Buffer struct {
	out  bytes.Buffer
	body []byte
	qp   *quotedprintable.Writer // into out
}

// Render returns the mail of m (headers and a quoted-printable UTF-8
// body), in its citizen's language, written into b: it stays valid until
// b's next Render. The texts are the locales' (message lookups; a message
// with arguments goes through its language's cached printer); the parts
// that depend only on the language and kind are worded once. Its
// Message-ID is <outbox-ID@host>, the same on every attempt, so that a
// mail sent twice after a crash (at-least-once) is recognisable as one.
func (r *Renderer) Render(b *Buffer, m store.Mail, now time.Time) []byte {
	args := m.Args()
	subject := r.Texts(m.Lang, m.Message+".subject", args...)
	f := r.footer(m.Lang, m.Kind)

	// The body first: the header repeats its unsubscribe link.
	body := append(b.body[:0], r.Texts(m.Lang, m.Message, args...)...)
	body = append(append(body, f.open...), r.BaseURL...)
	if m.Kind == store.KindInvitation && m.Secret != "" {
		body = append(append(body, "/invitations/"...), m.Secret...)
	} else {
		body = append(body, m.Link...)
	}
	body = append(body, f.why...)
	unsub := len(body)
	body = r.Unsub.appendQuery(append(append(body, r.BaseURL...), "/unsubscribe?"...), m.CitizenID, m.Kind)
	unsubLink := body[unsub:]
	body = append(body, '\n')
	b.body = body

	out := &b.out
	out.Reset()
	header := func(k, v string) {
		out.WriteString(k)
		out.WriteString(": ")
		out.WriteString(v)
		out.WriteString("\r\n")
	}
	header("From", r.From)
	header("To", m.Email)
	header("Subject", mime.QEncoding.Encode("utf-8", subject))
	out.WriteString("Date: ")
	out.Write(now.AppendFormat(out.AvailableBuffer(), time.RFC1123Z))
	out.WriteString("\r\nMessage-ID: <outbox-")
	out.Write(strconv.AppendInt(out.AvailableBuffer(), m.ID, 10))
	out.WriteString("@")
	out.WriteString(r.hostname())
	out.WriteString(">\r\n")
	header("Content-Language", m.Lang)
	header("Auto-Submitted", "auto-generated")
	out.WriteString("List-Unsubscribe: <")
	out.Write(unsubLink)
	out.WriteString(">\r\n")
	header("MIME-Version", "1.0")
	header("Content-Type", "text/plain; charset=utf-8")
	header("Content-Transfer-Encoding", "quoted-printable")
	out.WriteString("\r\n")
	if b.qp == nil {
		b.qp = quotedprintable.NewWriter(out)
	}
	b.qp.Write(body) // lines end in CRLF
	b.qp.Close()     // flushes; the writer is ready for the next mail
	return out.Bytes()
}
