// Package smtptest runs a real SMTP server (github.com/emersion/go-smtp)
// in the test process and keeps the mail it accepts, so that tests send
// through the real client and read the mail back. It can refuse mail,
// drop the connection after DATA, or hold a DATA unanswered (so that a
// test kills the sender mid-send), as a failing server would; and it can
// drop a mail whose Message-ID it already has, as mail stores that
// deduplicate do.
package smtptest

import (
	"crypto/tls"
	"errors"
	"io"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// Mail is one accepted message.
type Mail struct {
	From, To string
	Header   mail.Header
	Subject  string // decoded
	Body     string // decoded from quoted-printable
}

// Mode is how the server answers.
type Mode int

const (
	Accept   Mode = iota // accept every mail
	Refuse               // answer MAIL FROM with 421 (try again later)
	DropData             // read DATA, then close the connection without a reply
)

// Server is a running SMTP server.
type Server struct {
	Addr string
	// Delay is slept before each mail is accepted (a slow server).
	Delay time.Duration
	// Discard counts accepted mail without keeping it (benchmarks).
	Discard bool
	// Dedupe keeps one mail per Message-ID: a mail whose Message-ID was
	// accepted before is answered 250 and counted in Duplicates, not kept.
	Dedupe bool

	mu       sync.Mutex
	mode     Mode
	mails    []Mail
	accepted int
	seen     int         // DATA commands received, whatever the mode
	conns    int         // connections opened
	tries    []time.Time // MAIL commands, accepted or not
	srv      *smtp.Server
	ids      map[string]bool // Message-IDs kept (Dedupe)
	dups     int
	holdAt   int           // hold DATA once this many were accepted (-1: never)
	held     chan struct{} // closed when a DATA is held
	release  chan struct{} // closed by Release
	// user and password, when set (StartSecure), are required before MAIL.
	user, password string
}

// Start listens on a free local port until the test ends.
func Start(t testing.TB) *Server {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return serve(t, ln, nil, "", "")
}

// serve answers on ln until the test ends, offering STARTTLS with cfg
// and requiring AUTH as user when they are set.
func serve(t testing.TB, ln net.Listener, cfg *tls.Config, user, password string) *Server {
	s := &Server{Addr: ln.Addr().String(), ids: map[string]bool{}, holdAt: -1, user: user, password: password}
	s.srv = smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		s.mu.Lock()
		s.conns++
		s.mu.Unlock()
		return &session{s: s, c: c}, nil
	}))
	s.srv.Domain = "smtptest.local"
	s.srv.ReadTimeout, s.srv.WriteTimeout = 10*time.Second, 10*time.Second
	s.srv.TLSConfig = cfg
	go s.srv.Serve(ln)
	t.Cleanup(func() { s.Release(); s.srv.Close() })
	return s
}

// Hold makes every DATA that comes once n mails were accepted wait, read
// but unanswered, until Release; the channel is closed when the first one
// waits. A held mail is then refused (451): the sender, killed meanwhile,
// never saw a reply.
func (s *Server) Hold(n int) <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.holdAt, s.held, s.release = n, make(chan struct{}), make(chan struct{})
	return s.held
}

// Release lets held DATA commands go (refused) and stops holding.
func (s *Server) Release() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.holdAt >= 0 {
		close(s.release)
		s.holdAt = -1
	}
}

// Duplicates counts mails dropped by Dedupe.
func (s *Server) Duplicates() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.dups
}

// SetMode changes how the server answers from now on.
func (s *Server) SetMode(m Mode) {
	s.mu.Lock()
	s.mode = m
	s.mu.Unlock()
}

// Mails returns a copy of the accepted mail.
func (s *Server) Mails() []Mail {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Mail(nil), s.mails...)
}

// Accepted counts the accepted mail.
func (s *Server) Accepted() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.accepted
}

// Seen counts DATA commands received (accepted or not).
func (s *Server) Seen() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.seen
}

// Tries returns when each MAIL command came.
func (s *Server) Tries() []time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Time(nil), s.tries...)
}

// Conns counts connections opened.
func (s *Server) Conns() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.conns
}

// Wait waits until n mails were accepted and returns them; it fails the
// test after timeout.
func (s *Server) Wait(t testing.TB, n int, timeout time.Duration) []Mail {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		if got := s.Accepted(); got >= n {
			return s.Mails()
		} else if time.Now().After(deadline) {
			t.Fatalf("smtptest: %d mails after %v, want %d", got, timeout, n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// To returns the accepted mail to addr.
func (s *Server) To(addr string) []Mail {
	var out []Mail
	for _, m := range s.Mails() {
		if m.To == addr {
			out = append(out, m)
		}
	}
	return out
}

type session struct {
	s        *Server
	c        *smtp.Conn
	from, to string
	authed   bool
}

func (ss *session) Reset()        { ss.from, ss.to = "", "" }
func (ss *session) Logout() error { return nil }

func (ss *session) Mail(from string, _ *smtp.MailOptions) error {
	ss.s.mu.Lock()
	mode := ss.s.mode
	ss.s.tries = append(ss.s.tries, time.Now())
	ss.s.mu.Unlock()
	if mode == Refuse {
		return &smtp.SMTPError{Code: 421, EnhancedCode: smtp.EnhancedCode{4, 3, 2}, Message: "try again later"}
	}
	if ss.s.user != "" && !ss.authed {
		return smtp.ErrAuthRequired
	}
	ss.from = from
	return nil
}

func (ss *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	ss.to = to
	return nil
}

func (ss *session) Data(r io.Reader) error {
	ss.s.mu.Lock()
	discard := ss.s.Discard
	ss.s.mu.Unlock()
	var raw []byte
	var err error
	if discard {
		_, err = io.Copy(io.Discard, r)
	} else {
		raw, err = io.ReadAll(r)
	}
	if err != nil {
		return err
	}
	ss.s.mu.Lock()
	ss.s.seen++
	mode, delay := ss.s.mode, ss.s.Delay
	var release chan struct{}
	if ss.s.holdAt >= 0 && ss.s.accepted >= ss.s.holdAt {
		select {
		case <-ss.s.held:
		default:
			close(ss.s.held)
		}
		release = ss.s.release
	}
	ss.s.mu.Unlock()
	if release != nil {
		<-release
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "held, not accepted"}
	}
	if mode == DropData {
		ss.c.Conn().Close()
		return errors.New("dropped")
	}
	if delay > 0 {
		time.Sleep(delay)
	}
	if discard {
		ss.s.mu.Lock()
		ss.s.accepted++
		ss.s.mu.Unlock()
		return nil
	}
	msg, err := mail.ReadMessage(strings.NewReader(string(raw)))
	if err != nil {
		return err
	}
	m := Mail{From: ss.from, To: ss.to, Header: msg.Header}
	m.Subject, _ = new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	body := io.Reader(msg.Body)
	if strings.EqualFold(msg.Header.Get("Content-Transfer-Encoding"), "quoted-printable") {
		body = quotedprintable.NewReader(body)
	}
	b, err := io.ReadAll(body)
	if err != nil {
		return err
	}
	m.Body = strings.ReplaceAll(string(b), "\r\n", "\n")
	ss.s.mu.Lock()
	defer ss.s.mu.Unlock()
	ss.s.accepted++
	if id := msg.Header.Get("Message-ID"); ss.s.Dedupe && id != "" {
		if ss.s.ids[id] {
			ss.s.dups++
			return nil
		}
		ss.s.ids[id] = true
	}
	ss.s.mails = append(ss.s.mails, m)
	return nil
}
