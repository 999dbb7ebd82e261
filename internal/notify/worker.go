package notify

import (
	"context"
	"crypto/tls"
	"errors"
	"log/slog"
	"sync"
	"time"

	"koinon/internal/store"
)

// MailStore is the mail queue the worker drains (sqlstore.Store).
type MailStore interface {
	ClaimMail(ctx context.Context, sent []int64, limit int, lease time.Duration) ([]store.Mail, error)
	MarkSent(ctx context.Context, ids ...int64) error
	ReleaseMail(ctx context.Context, ids ...int64) error
	RetryMail(ctx context.Context, id int64, next time.Time, reason string) error
}

// Worker drains the outbox. Conns goroutines each keep one SMTP
// connection (pipelined: client) and send the mails one feeder goroutine
// hands them; the
// feeder alone enters the store, in few, short write transactions: one
// claims up to Batch due rows ahead (store.ClaimMail, with a lease) and
// in the same transaction marks sent the mails the server has accepted
// since the last one (a row is marked only after the server accepted its
// DATA). It claims again when half the rows are sent, and marks on its
// own only when MarkEvery/2 accepted mails wait, or a mail waited 100 ms,
// or nothing is in flight; so at full pace the worker adds a few dozen
// write transactions per second at most to the database's one writer,
// whatever the number of connections. A failure puts the row back with
// exponential backoff. A graceful stop marks what was accepted and gives
// back the rows claimed and not sent. A crash leaves claimed rows to be
// taken again when their lease runs out: nothing is lost, and a mail is
// sent twice only if the process died between the server's acceptance
// and its mark — at most MarkEvery mails in all (no connection starts a
// mail while MarkEvery are sent or in flight and unmarked), each with the
// same Message-ID as before.
type Worker struct {
	Store  MailStore
	SMTP   SMTP
	Render *Renderer
	Log    *slog.Logger
	Now    func() time.Time

	Conns     int           // parallel connections (default 4)
	Batch     int           // rows claimed ahead, for all connections (default 200)
	MarkEvery int           // most mails sent and not yet marked (default 100)
	Lease     time.Duration // how long a claim holds (default 5 min)
	Poll      time.Duration // wait when nothing is due; idle connections close after it (default 2 s)
	Backoff   time.Duration // first retry delay, doubled per attempt (default 30 s)
	MaxWait   time.Duration // longest retry delay (default 6 h)
	// TLS overrides the TLS configuration (tests).
	TLS *tls.Config
}

// markWait is the longest an accepted mail waits for its mark while
// others are in flight.
const markWait = 100 * time.Millisecond

func (w *Worker) defaults() {
	if w.Conns <= 0 {
		w.Conns = 4
	}
	if w.Batch <= 0 {
		w.Batch = 200
	}
	if w.MarkEvery <= 0 {
		w.MarkEvery = 100
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

// sent is a connection's outcome for one mail: err nil means the server
// accepted it.
type sent struct {
	mail store.Mail
	err  error
}

// Run sends mail until ctx ends, then marks what was accepted and gives
// back what it claimed and did not send.
func (w *Worker) Run(ctx context.Context) {
	w.defaults()
	f := &feeder{w: w, todo: make(chan store.Mail, w.Batch), back: make(chan int64, w.Batch),
		results: make(chan sent, w.MarkEvery), unmarked: make(chan struct{}, w.MarkEvery)}
	var wg sync.WaitGroup
	for range w.Conns {
		wg.Go(func() { w.connection(ctx, f) })
	}
	go func() { wg.Wait(); close(f.results) }()
	f.run(ctx)
}

// feeder is the worker's one goroutine in the store.
type feeder struct {
	w       *Worker
	todo    chan store.Mail // claimed, for the connections
	back    chan int64      // taken from todo and not sent: the worker stops
	results chan sent       // closed when every connection has stopped
	// unmarked holds a token per mail a connection has started and the
	// feeder has not yet marked sent or put back: at most MarkEvery.
	unmarked chan struct{}

	pending    int       // claimed and not yet reported
	done       []int64   // accepted, not yet marked
	doneSince  time.Time // when the first of done was accepted
	idleUntil  time.Time // no claim before (nothing was due)
	pauseUntil time.Time // no store step before (the store failed)
}

func (f *feeder) run(ctx context.Context) {
	stopping := ctx.Done()
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		f.step(ctx)
		var wake <-chan time.Time
		if at, ok := f.next(ctx); ok {
			timer.Reset(time.Until(at))
			wake = timer.C
		}
		select {
		case r, ok := <-f.results:
			if !ok { // a graceful stop
				f.mark()
				f.giveBack()
				return
			}
			f.report(r)
		case <-wake:
		case <-stopping:
			stopping = nil // the connections stop; their last results follow
		}
	}
}

// claimable is how many rows to claim now: none while more than half of
// a batch is pending, after an empty claim (until Poll) or once ctx ended.
func (f *feeder) claimable(ctx context.Context, now time.Time) int {
	if ctx.Err() != nil || f.pending*2 > f.w.Batch || now.Before(f.idleUntil) {
		return 0
	}
	return f.w.Batch - f.pending
}

// markDue says whether accepted mails should be marked now.
func (f *feeder) markDue(now time.Time) bool {
	return len(f.done) > 0 && (len(f.done)*2 >= f.w.MarkEvery || f.pending == 0 || now.Sub(f.doneSince) >= markWait)
}

// next is when to step again if no result comes before.
func (f *feeder) next(ctx context.Context) (at time.Time, ok bool) {
	if len(f.done) > 0 {
		at, ok = f.doneSince.Add(markWait), true
	}
	if ctx.Err() == nil && f.pending*2 <= f.w.Batch && (!ok || f.idleUntil.Before(at)) {
		at, ok = f.idleUntil, true
	}
	if ok && at.Before(f.pauseUntil) {
		at = f.pauseUntil
	}
	return at, ok
}

// step marks the accepted mails and claims more rows, as due, in one
// write transaction, and hands the rows to the connections.
func (f *feeder) step(ctx context.Context) {
	now := time.Now()
	limit := f.claimable(ctx, now)
	if now.Before(f.pauseUntil) || limit == 0 && !f.markDue(now) {
		return
	}
	mails, err := f.w.Store.ClaimMail(context.WithoutCancel(ctx), f.done, limit, f.w.Lease)
	if err != nil {
		f.w.Log.Error("outbox", "err", err)
		f.pauseUntil = now.Add(f.w.Poll)
		return
	}
	f.release(len(f.done))
	if len(mails) < limit {
		f.idleUntil = now.Add(f.w.Poll) // nothing more is due yet
	}
	f.pending += len(mails)
	for _, m := range mails {
		f.todo <- m // never blocks: at most Batch rows are pending
	}
}

// report takes a connection's outcome for one mail.
func (f *feeder) report(r sent) {
	f.pending--
	if r.err != nil {
		f.w.retry(r.mail, r.err)
		<-f.unmarked
		return
	}
	if len(f.done) == 0 {
		f.doneSince = time.Now()
	}
	f.done = append(f.done, r.mail.ID)
}

// mark records the accepted mails sent.
func (f *feeder) mark() {
	if len(f.done) == 0 {
		return
	}
	if err := f.w.Store.MarkSent(context.Background(), f.done...); err != nil {
		f.w.Log.Error("outbox: mark sent", "ids", f.done, "err", err)
		return
	}
	f.release(len(f.done))
}

// giveBack puts the rows claimed and not sent back in the queue, due at
// once, once every connection has stopped (instead of after their lease).
func (f *feeder) giveBack() {
	var ids []int64
	for len(f.todo) > 0 {
		ids = append(ids, (<-f.todo).ID)
	}
	for len(f.back) > 0 {
		ids = append(ids, <-f.back)
	}
	if err := f.w.Store.ReleaseMail(context.Background(), ids...); err != nil {
		f.w.Log.Error("outbox: give back", "ids", ids, "err", err)
	}
}

// release forgets the n marked mails of done and frees their tokens.
func (f *feeder) release(n int) {
	for range n {
		<-f.unmarked
	}
	f.done = f.done[:0]
}

// connection sends the mails the feeder hands out over one SMTP
// connection, which it closes when idle for Poll. When the server
// pipelines and another mail is at hand, it writes that mail's envelope
// behind the last message before reading the last one's reply.
func (w *Worker) connection(ctx context.Context, f *feeder) {
	var (
		c       *client
		buf     Buffer
		last    store.Mail // written; its reply is not read yet
		waiting bool       // for last's reply
	)
	// report hands m's outcome to the feeder; broken closes c.
	report := func(m store.Mail, err error, broken bool) {
		if broken && c != nil {
			c.Close()
			c = nil
		}
		f.results <- sent{mail: m, err: err} // never blocks: one per token
	}
	finish := func() {
		err := c.finish()
		waiting = false
		report(last, err, err != nil)
	}
	defer func() {
		if waiting {
			finish()
		}
		if c != nil {
			c.Quit()
		}
	}()
	for ctx.Err() == nil {
		var m store.Mail
		if waiting {
			var ok bool
			if m, ok = f.ready(c.pipelining); !ok {
				finish()
				continue
			}
		} else {
			var ok bool
			m, ok = w.take(ctx, f.todo, c != nil)
			if ctx.Err() != nil {
				if ok {
					f.back <- m.ID // never blocks: at most Batch rows are pending
				}
				return
			}
			if !ok {
				c.Quit()
				c = nil
				continue
			}
			select {
			case f.unmarked <- struct{}{}:
			case <-ctx.Done():
				f.back <- m.ID
				return
			}
		}
		if m.Email == "" {
			if waiting {
				finish()
			}
			report(m, errors.New("no address"), false)
			continue
		}
		if c == nil {
			var err error
			if c, err = w.dial(); err != nil {
				report(m, err, false)
				continue
			}
		}
		prev, err := c.send(w.SMTP.From, m.Email, w.Render.Render(&buf, m, w.Now()))
		if waiting {
			waiting = false
			report(last, prev, false)
		}
		if err != nil {
			report(m, err, true)
			continue
		}
		last, waiting = m, true
	}
}

// ready takes a mail and its token when both are at hand now and the
// server pipelines; a mail without a free token goes back to todo (which
// has room for every claimed row).
func (f *feeder) ready(pipelining bool) (store.Mail, bool) {
	if pipelining {
		select {
		case m := <-f.todo:
			select {
			case f.unmarked <- struct{}{}:
				return m, true
			default:
				f.todo <- m
			}
		default:
		}
	}
	return store.Mail{}, false
}

// take waits for a mail to send; while a connection is open (connected)
// it gives up after Poll.
func (w *Worker) take(ctx context.Context, todo <-chan store.Mail, connected bool) (store.Mail, bool) {
	select {
	case m := <-todo:
		return m, true
	default:
	}
	var idle <-chan time.Time
	if connected {
		t := time.NewTimer(w.Poll)
		defer t.Stop()
		idle = t.C
	}
	select {
	case m := <-todo:
		return m, true
	case <-idle:
	case <-ctx.Done():
	}
	return store.Mail{}, false
}

// retry puts m back with exponential backoff.
func (w *Worker) retry(m store.Mail, cause error) {
	wait := w.Backoff << min(m.Attempts, 30)
	if wait <= 0 || wait > w.MaxWait {
		wait = w.MaxWait
	}
	w.Log.Warn("mail delayed", "id", m.ID, "attempts", m.Attempts+1, "retry_in", wait.String(), "err", cause)
	if err := w.Store.RetryMail(context.Background(), m.ID, w.Now().UTC().Add(wait), cause.Error()); err != nil {
		w.Log.Error("outbox: retry", "id", m.ID, "err", err)
	}
}
