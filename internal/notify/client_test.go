package notify

import (
	"bufio"
	"errors"
	"net"
	"net/textproto"
	"strings"
	"testing"
)

// A server that knows only HELO (so offers no PIPELINING) gets one
// command at a time: it finds nothing more in its buffer before it
// answers MAIL, RCPT or DATA, and the mail arrives whole.
func TestClientWithoutPipelining(t *testing.T) {
	got := make(chan string, 1)
	c := dialFake(t, "220 old.example.org", func(r *bufio.Reader, say func(string)) {
		var data strings.Builder
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return
			}
			cmd := strings.ToUpper(strings.Fields(line + " x")[0])
			if cmd != "EHLO" && cmd != "HELO" && cmd != "QUIT" && r.Buffered() > 0 {
				got <- "pipelined: " + strings.TrimSpace(line)
				return
			}
			switch cmd {
			case "EHLO":
				say("502 command not implemented")
			case "HELO", "MAIL", "RCPT":
				say("250 ok")
			case "DATA":
				say("354 go ahead")
				for {
					l, err := r.ReadString('\n')
					if err != nil || l == ".\r\n" {
						break
					}
					data.WriteString(l)
				}
				say("250 queued")
				got <- data.String()
			case "QUIT":
				say("221 bye")
				return
			}
		}
	})
	if c.pipelining {
		t.Fatal("pipelining on with a HELO-only server")
	}
	if _, err := c.send("koinon@example.org", "ann@example.org", []byte("Subject: hi\r\n\r\n.dot\r\n")); err != nil {
		t.Fatal(err)
	}
	if err := c.finish(); err != nil {
		t.Fatal(err)
	}
	if msg := <-got; msg != "Subject: hi\r\n\r\n..dot\r\n" {
		t.Errorf("server got %q", msg)
	}
}

// A server that pipelines gets the next mail's MAIL, RCPT and DATA behind
// the last message's final dot, and the replies stay matched: the second
// mail refused at its dot is that mail's outcome alone, and the third,
// written behind it, goes through on the same connection.
func TestClientPipelinesAcrossMails(t *testing.T) {
	behind := make(chan bool, 3) // per mail: the next commands came with its dot
	c := dialFake(t, "220 pipe.example.org", func(r *bufio.Reader, say func(string)) {
		mails := 0
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return
			}
			switch strings.ToUpper(strings.Fields(line + " x")[0]) {
			case "EHLO":
				say("250-pipe.example.org")
				say("250 PIPELINING")
			case "MAIL", "RCPT":
				say("250 ok")
			case "DATA":
				say("354 go ahead")
				for l := ""; l != ".\r\n"; {
					if l, err = r.ReadString('\n'); err != nil {
						return
					}
				}
				mails++
				behind <- r.Buffered() > 0
				if mails == 2 {
					say("554 not this one")
				} else {
					say("250 queued")
				}
			case "QUIT":
				say("221 bye")
				return
			}
		}
	})
	if !c.pipelining {
		t.Fatal("pipelining off with a server that offers it")
	}
	msg := []byte("Subject: hi\r\n\r\nbody\r\n")
	var outcomes []error
	for _, to := range []string{"ann@example.org", "bob@example.org", "cid@example.org"} {
		last, err := c.send("koinon@example.org", to, msg)
		if err != nil {
			t.Fatalf("to %s: %v", to, err)
		}
		outcomes = append(outcomes, last)
	}
	outcomes = append(outcomes[1:], c.finish())
	var refused *textproto.Error
	if outcomes[0] != nil || !errors.As(outcomes[1], &refused) || refused.Code != 554 || outcomes[2] != nil {
		t.Errorf("outcomes %v, want nil, 554, nil", outcomes)
	}
	for i, want := range []bool{true, true, false} {
		if got := <-behind; got != want {
			t.Errorf("mail %d: next commands behind its dot %v, want %v", i+1, got, want)
		}
	}
}

// dialFake connects a client to a local server that sends greeting,
// then answers with serve, on its first connection.
func dialFake(t *testing.T, greeting string, serve func(r *bufio.Reader, say func(line string))) *client {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		conn, err := ln.Accept()
		if err != nil {
			return
		}
		defer conn.Close()
		say := func(line string) { conn.Write([]byte(line + "\r\n")) }
		say(greeting)
		serve(bufio.NewReader(conn), say)
	}()
	w := &Worker{SMTP: SMTP{Addr: ln.Addr().String(), From: "koinon@example.org"}}
	c, err := w.dial()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Quit)
	return c
}
