package notify

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"koinon/internal/store"
)

// MailStore is the mail queue the worker drains (sqlstore.Store).
type MailStore interface {
	ClaimMail(ctx context.Context, sent []int64, limit int, lease time.Duration) ([]store.Mail, error)
	MarkSent(ctx context.Context, ids ...int64) error
	RetryMail(ctx context.Context, id int64, next time.Time, reason string) error
}

// Worker drains the outbox. Each of Conns goroutines keeps one SMTP
// connection, claims a small batch of due rows (store.ClaimMail, with a
// lease) and sends them one by one; rows are marked sent only after the
// server accepted their DATA, in groups of up to MarkEvery (one short
// write transaction per group; a batch's last group goes with the next
// claim), so that draining leaves the database's one writer to the votes. A failure puts the row back with exponential backoff. A
// crash leaves claimed rows to be taken again when their lease runs out:
// nothing is lost, and a mail is sent twice only if the process died
// between the server's acceptance and the mark of its group — at most
// MarkEvery mails per connection, each with the same Message-ID as before.
type Worker struct {
	Store  MailStore
	SMTP   SMTP
	Render *Renderer
	Log    *slog.Logger
	Now    func() time.Time

	Conns     int           // parallel connections (default 4)
	Batch     int           // rows claimed at a time per connection (default 50)
	MarkEvery int           // accepted mails marked sent together (default 10)
	Lease     time.Duration // how long a claim holds (default 5 min)
	Poll      time.Duration // wait when nothing is due (default 2 s)
	Backoff   time.Duration // first retry delay, doubled per attempt (default 30 s)
	MaxWait   time.Duration // longest retry delay (default 6 h)
	// TLS overrides the TLS configuration (tests).
	TLS *tls.Config

	// db lets one connection at a time into the store: however many
	// connections send, at most one of the worker's write transactions
	// waits for SQLite's one writer, so a vote never queues behind
	// several of them.
	db sync.Mutex
}

func (w *Worker) defaults() {
	if w.Conns <= 0 {
		w.Conns = 4
	}
	if w.Batch <= 0 {
		w.Batch = 50
	}
	if w.MarkEvery <= 0 {
		w.MarkEvery = 10
	}
	if w.Lease <= 0 {
		w.Lease = 5 * time.Minute
	}
	if w.Poll <= 0 {
		w.Poll = 2 * time.Second
	}
	if w.Backoff <= 0 {
		w.Backoff = 30 * time.Second
	}
	if w.MaxWait <= 0 {
		w.MaxWait = 6 * time.Hour
	}
	if w.Log == nil {
		w.Log = slog.New(slog.DiscardHandler)
	}
	if w.Now == nil {
		w.Now = time.Now
	}
}

// Run sends mail until ctx ends.
func (w *Worker) Run(ctx context.Context) {
	w.defaults()
	var wg sync.WaitGroup
	for range w.Conns {
		wg.Go(func() { w.loop(ctx) })
	}
	wg.Wait()
}

func (w *Worker) loop(ctx context.Context) {
	var c *smtp.Client
	var done []int64 // accepted by the server, not yet marked sent
	defer func() {
		if c != nil {
			c.Quit()
		}
		w.mark(ctx, done) // a graceful stop marks what was accepted
	}()
	for ctx.Err() == nil {
		// The batch's last accepted mails are marked in the claim's
		// transaction: one write transaction fewer per batch.
		w.db.Lock()
		mails, err := w.Store.ClaimMail(ctx, done, w.Batch, w.Lease)
		w.db.Unlock()
		if err != nil {
			if ctx.Err() == nil {
				w.Log.Error("outbox", "err", err)
			}
		} else {
			done = done[:0]
		}
		if len(mails) == 0 {
			if c != nil { // idle: do not hold the server's connection
				c.Quit()
				c = nil
			}
			select {
			case <-ctx.Done():
			case <-time.After(w.Poll):
			}
			continue
		}
		for i, m := range mails {
			if ctx.Err() != nil {
				break // the rest stays claimed until its lease ends
			}
			if c == nil {
				if c, err = w.dial(); err != nil {
					w.retry(ctx, m, err)
					continue
				}
			}
			if err := w.send(c, m); err != nil {
				w.retry(ctx, m, err)
				c.Close()
				c = nil
				continue
			}
			if done = append(done, m.ID); len(done) >= w.MarkEvery && i < len(mails)-1 {
				w.mark(ctx, done)
				done = done[:0]
			}
		}
	}
}

// mark records ids sent, even while ctx ends.
func (w *Worker) mark(ctx context.Context, ids []int64) {
	if len(ids) == 0 {
		return
	}
	w.db.Lock()
	defer w.db.Unlock()
	if err := w.Store.MarkSent(context.WithoutCancel(ctx), ids...); err != nil {
		w.Log.Error("outbox: mark sent", "ids", ids, "err", err)
	}
}

// retry puts m back with exponential backoff.
func (w *Worker) retry(ctx context.Context, m store.Mail, cause error) {
	wait := w.Backoff << min(m.Attempts, 30)
	if wait <= 0 || wait > w.MaxWait {
		wait = w.MaxWait
	}
	w.Log.Warn("mail delayed", "id", m.ID, "attempts", m.Attempts+1, "retry_in", wait.String(), "err", cause)
	w.db.Lock()
	defer w.db.Unlock()
	if err := w.Store.RetryMail(context.WithoutCancel(ctx), m.ID, w.Now().UTC().Add(wait), cause.Error()); err != nil {
		w.Log.Error("outbox: retry", "id", m.ID, "err", err)
	}
}

func (w *Worker) dial() (*smtp.Client, error) {
	host, _, _ := net.SplitHostPort(w.SMTP.Addr)
	cfg := w.TLS
	if cfg == nil {
		cfg = &tls.Config{ServerName: host}
	}
	var (
		c   *smtp.Client
		err error
	)
	switch {
	case w.SMTP.Implicit:
		c, err = smtp.DialTLS(w.SMTP.Addr, cfg)
	case w.SMTP.Password != "":
		c, err = smtp.DialStartTLS(w.SMTP.Addr, cfg) // never a password in clear
	default:
		c, err = smtp.Dial(w.SMTP.Addr)
	}
	if err != nil {
		return nil, fmt.Errorf("smtp connect: %w", err)
	}
	if w.SMTP.Username != "" {
		if err := c.Auth(sasl.NewPlainClient("", w.SMTP.Username, w.SMTP.Password)); err != nil {
			c.Close()
			return nil, fmt.Errorf("smtp auth: %w", err)
		}
	}
	return c, nil
}

// send transmits one mail; nil means the server accepted it.
func (w *Worker) send(c *smtp.Client, m store.Mail) error {
	if m.Email == "" {
		return errors.New("no address")
	}
	if err := c.Mail(w.SMTP.From, nil); err != nil {
		return err
	}
	if err := c.Rcpt(m.Email, nil); err != nil {
		return err
	}
	d, err := c.Data()
	if err != nil {
		return err
	}
	if _, err := d.Write(w.Render.Render(m, w.Now())); err != nil {
		d.Close()
		return err
	}
	return d.Close()
}
