package notify

import (
	"bufio"
	"net"
	"strings"
	"testing"
)

// A server that knows only HELO (so offers no PIPELINING) gets one
// command at a time: it finds nothing more in its buffer before it
// answers MAIL, RCPT or DATA, and the mail arrives whole.
func TestClientWithoutPipelining(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	got := make(chan string, 1)
	go func() {
		conn, err := ln.Accept()
		if err != nil {
			return
		}
		defer conn.Close()
		r := bufio.NewReader(conn)
		say := func(line string) { conn.Write([]byte(line + "\r\n")) }
		say("220 old.example.org")
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
	}()
	w := &Worker{SMTP: SMTP{Addr: ln.Addr().String(), From: "koinon@example.org"}}
	c, err := w.dial()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Quit()
	if c.pipelining {
		t.Fatal("pipelining on with a HELO-only server")
	}
	if err := c.send("koinon@example.org", "ann@example.org", []byte("Subject: hi\r\n\r\n.dot\r\n")); err != nil {
		t.Fatal(err)
	}
	if msg := <-got; msg != "Subject: hi\r\n\r\n..dot\r\n" {
		t.Errorf("server got %q", msg)
	}
}
