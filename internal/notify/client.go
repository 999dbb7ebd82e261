package notify

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/textproto"
	"strings"
	"time"
)

// Timeouts of the SMTP client (RFC 5321, 4.5.3.2).
const (
	dialTimeout    = 30 * time.Second
	commandTimeout = 5 * time.Minute
	dataTimeout    = 10 * time.Minute // the reply to the final dot
)

// client is one SMTP connection. It sends a mail's MAIL, RCPT and DATA
// commands in one write when the server offers PIPELINING (RFC 2920), and
// the next mail's behind the message's final dot, so that a mail costs
// one round trip instead of four. The client of
// github.com/emersion/go-smtp (v0.26.0, the newest) waits for each reply,
// hence this one; it does only what the worker needs: EHLO, STARTTLS,
// AUTH PLAIN, one recipient per mail.
type client struct {
	conn       net.Conn
	text       *textproto.Conn
	pipelining bool
	pending    bool // a message's final dot is written, its reply not read
}

// dial connects to the worker's server: TLS from the start (smtps), or
// STARTTLS when a password is set (never a password in clear), then AUTH
// PLAIN when a user is set.
func (w *Worker) dial() (*client, error) {
	host, _, _ := net.SplitHostPort(w.SMTP.Addr)
	cfg := w.TLS
	if cfg == nil {
		cfg = &tls.Config{ServerName: host}
	}
	d := &net.Dialer{Timeout: dialTimeout}
	var (
		conn net.Conn
		err  error
	)
	if w.SMTP.Implicit {
		conn, err = tls.DialWithDialer(d, "tcp", w.SMTP.Addr, cfg)
	} else {
		conn, err = d.Dial("tcp", w.SMTP.Addr)
	}
	if err != nil {
		return nil, fmt.Errorf("smtp connect: %w", err)
	}
	c := &client{conn: conn, text: textproto.NewConn(conn)}
	if err := c.start(w.SMTP, cfg); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// start reads the greeting and says EHLO, upgrading to TLS and
// authenticating as configured.
func (c *client) start(s SMTP, cfg *tls.Config) error {
	c.conn.SetDeadline(time.Now().Add(commandTimeout))
	if _, _, err := c.text.ReadResponse(220); err != nil {
		return fmt.Errorf("smtp greeting: %w", err)
	}
	ext, err := c.ehlo()
	if err != nil {
		return err
	}
	if !s.Implicit && s.Password != "" {
		if !ext["STARTTLS"] {
			return errors.New("smtp: the server does not offer STARTTLS")
		}
		if err := c.cmd(220, "STARTTLS"); err != nil {
			return fmt.Errorf("smtp starttls: %w", err)
		}
		c.conn = tls.Client(c.conn, cfg)
		c.text = textproto.NewConn(c.conn)
		if ext, err = c.ehlo(); err != nil {
			return err
		}
	}
	if s.Username != "" {
		plain := base64.StdEncoding.EncodeToString([]byte("\x00" + s.Username + "\x00" + s.Password))
		if err := c.cmd(235, "AUTH PLAIN %s", plain); err != nil {
			return fmt.Errorf("smtp auth: %w", err)
		}
	}
	c.pipelining = ext["PIPELINING"]
	return nil
}

// ehlo greets the server and returns the extensions it offers (none from
// a server that knows only HELO).
func (c *client) ehlo() (map[string]bool, error) {
	if _, err := c.text.Cmd("EHLO localhost"); err != nil {
		return nil, err
	}
	_, msg, err := c.text.ReadResponse(250)
	var refused *textproto.Error
	if errors.As(err, &refused) && refused.Code/100 == 5 {
		return map[string]bool{}, c.cmd(250, "HELO localhost")
	}
	if err != nil {
		return nil, fmt.Errorf("smtp ehlo: %w", err)
	}
	ext := map[string]bool{}
	for _, line := range strings.Split(msg, "\n")[1:] {
		name, _, _ := strings.Cut(line, " ")
		ext[strings.ToUpper(name)] = true
	}
	return ext, nil
}

// cmd sends one command and reads its reply.
func (c *client) cmd(code int, format string, args ...any) error {
	if _, err := c.text.Cmd(format, args...); err != nil {
		return err
	}
	_, _, err := c.text.ReadResponse(code)
	return err
}

// send writes one mail: its envelope and, once the server took it, the
// message with its final dot, whose reply finish reads — or the next
// send, which writes its envelope behind the dot (pipelined: only when
// the server offers PIPELINING; else call finish first). last is then
// the outcome of the mail before (nil: accepted), err this mail's
// envelope's. A refusal of the mail before leaves the connection in step
// for this one; after an err the connection is in an unknown state:
// close it.
func (c *client) send(from, to string, msg []byte) (last, err error) {
	if strings.ContainsAny(from, "\r\n<>") || strings.ContainsAny(to, "\r\n<>") {
		return c.finish(), errors.New("smtp: a line break or angle bracket in an address")
	}
	if c.pending && !c.pipelining {
		if last = c.finish(); broken(last) {
			return last, last
		}
	}
	timeout := commandTimeout
	if c.pending {
		timeout = dataTimeout
	}
	c.conn.SetDeadline(time.Now().Add(timeout))
	if last, err = c.envelope(from, to); err != nil {
		return last, err
	}
	c.writeData(msg)
	c.pending = true
	return last, nil
}

// finish reads the reply to the last message's final dot, if one is
// pending: nil means the server accepted it.
func (c *client) finish() error {
	if !c.pending {
		return nil
	}
	c.pending = false
	if err := c.text.W.Flush(); err != nil {
		return err
	}
	c.conn.SetDeadline(time.Now().Add(dataTimeout))
	return c.reply(25)
}

// envelope sends MAIL, RCPT and DATA and reads their replies: in one
// write when the server pipelines (behind a pending final dot, whose
// reply comes first: last), else one command at a time.
func (c *client) envelope(from, to string) (last, err error) {
	cmds := [...]struct {
		verb, arg, end string
		code           int // 25: any 25x
	}{{"MAIL FROM:<", from, ">\r\n", 25}, {"RCPT TO:<", to, ">\r\n", 25}, {"DATA", "", "\r\n", 354}}
	read := 0
	for i, cmd := range cmds {
		c.text.W.WriteString(cmd.verb)
		c.text.W.WriteString(cmd.arg)
		c.text.W.WriteString(cmd.end)
		if c.pipelining && i < len(cmds)-1 {
			continue
		}
		if err := c.text.W.Flush(); err != nil {
			return err, err
		}
		if c.pending {
			c.pending = false
			if last = c.reply(25); broken(last) {
				return last, last
			}
		}
		for ; read <= i; read++ {
			if err := c.reply(cmds[read].code); err != nil {
				return last, err
			}
		}
	}
	return last, nil
}

// broken says whether err leaves the connection out of step: anything
// but a refusal (a reply the client read whole).
func broken(err error) bool {
	var refused *textproto.Error
	return err != nil && !errors.As(err, &refused)
}

// writeData writes msg dot-stuffed, with CRLF line ends, and the final
// dot (RFC 5321, 4.5.2), as textproto's DotWriter does but into the
// connection's buffer without allocating.
func (c *client) writeData(msg []byte) {
	w := c.text.W
	for len(msg) > 0 {
		line, rest, _ := bytes.Cut(msg, []byte("\n"))
		line = bytes.TrimSuffix(line, []byte("\r"))
		if len(line) > 0 && line[0] == '.' {
			w.WriteByte('.')
		}
		w.Write(line)
		w.WriteString("\r\n")
		msg = rest
	}
	w.WriteString(".\r\n")
}

// reply reads one reply, as textproto's ReadResponse does without
// allocating unless it refuses: code is the reply's first digits (25:
// any 25x; 354: exactly). A refusal is a *textproto.Error.
func (c *client) reply(code int) error {
	r := c.text.R
	for {
		line, err := r.ReadSlice('\n')
		long := err == bufio.ErrBufferFull
		if err != nil && !long {
			return err
		}
		got, ok := 0, len(line) >= 4 && (line[3] == ' ' || line[3] == '-' || line[3] == '\r')
		for i := 0; ok && i < 3; i++ {
			ok = '0' <= line[i] && line[i] <= '9'
			got = got*10 + int(line[i]-'0')
		}
		if !ok {
			return fmt.Errorf("smtp: malformed reply %q", line)
		}
		more := line[3] == '-'
		div := 1
		for n := code; n < 100; n *= 10 {
			div *= 10
		}
		var refused error
		if !more && got/div != code {
			refused = &textproto.Error{Code: got, Msg: strings.TrimSpace(string(line[4:]))}
		}
		for long { // the rest of an overlong line
			_, err = r.ReadSlice('\n')
			if long = err == bufio.ErrBufferFull; err != nil && !long {
				return err
			}
		}
		if !more {
			return refused
		}
	}
}

// Quit says goodbye and closes the connection.
func (c *client) Quit() {
	c.conn.SetDeadline(time.Now().Add(5 * time.Second))
	c.cmd(221, "QUIT")
	c.Close()
}

// Close closes the connection.
func (c *client) Close() { c.conn.Close() }
