package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"slices"
	"time"

	"gorm.io/gorm"
)

// Group commit. Every write transaction of a Store (Store.tx) is a job
// for one writer goroutine per database handle. The writer takes the jobs
// queued while it was busy — up to MaxBatch of them, waiting at most
// MaxWait for more once it has one — and runs them in one database
// transaction, each job inside its own savepoint: a job that fails (a 422,
// a 409, a duplicate) is rolled back to its savepoint and gets its own
// error, and the others go on. Statements the jobs append to a community
// log wait in the batch (logBatch) and are appended at the end in one step
// per community: one tree-hash update, one size update, one multi-row
// insert. Then the transaction commits, and only then does each job's
// caller get its answer, so an acknowledged write is always durable (as
// durable as the database's commit: WAL with synchronous=NORMAL on
// SQLite, fsync on PostgreSQL).
//
// On SQLite one writer is the right number (the database has one write
// lock). On PostgreSQL several processes may each run their writer on one
// database: their batches take turns on one advisory lock (writerLockKey),
// so that the locks a batch's jobs take (ballot rows, a ballot's event
// chain, a community's log: lockLog) are never taken in two orders at
// once; the processes still parse, check signatures, sign custodial
// statements, answer and build receipts side by side.

// Batch limits (docs/scaling.md).
const (
	// maxBatchSQLite is how many jobs one SQLite transaction takes.
	maxBatchSQLite = 256
	// maxBatchPostgres is smaller: each job's savepoint is a
	// subtransaction, and PostgreSQL keeps at most 64 of them per
	// transaction in shared memory before other sessions' visibility
	// checks slow down.
	maxBatchPostgres = 64
	// maxWait is how long a writer that has fewer jobs than its batch
	// holds waits for more before it begins: none. Jobs that arrive while
	// a batch commits queue for the next one, which is what batches them.
	maxWait = 0
)

// writeJob is one Store.tx call waiting for the writer.
type writeJob struct {
	ctx  context.Context
	db   *gorm.DB // the caller's handle: its clock (WithClock)
	fn   func(tx *gorm.DB) error
	done chan error
}

// writer is the group-commit writer of one database handle.
type writer struct {
	jobs     chan *writeJob
	quit     chan struct{}
	stopped  chan struct{}
	maxBatch int
	maxWait  time.Duration
}

func newWriter(s *Store) *writer {
	w := &writer{jobs: make(chan *writeJob, 4096), quit: make(chan struct{}), stopped: make(chan struct{}),
		maxBatch: maxBatchSQLite, maxWait: maxWait}
	if s.dialect == "postgres" {
		w.maxBatch = maxBatchPostgres
	}
	go w.run(s)
	return w
}

// writerLockKey is the transaction-level advisory lock a PostgreSQL batch
// holds (pg_advisory_xact_lock(key)), "KoinonWr".
const writerLockKey = 0x4b6f696e6f6e5772

// errStoreClosed answers writes after Close.
var errStoreClosed = errors.New("store: closed")

// write queues fn for the writer and waits until its batch committed (or
// failed). A caller whose context ends while the job waits in the queue
// gets the context's error and nothing is written; once the job's batch
// has begun, the caller waits for its outcome whatever its context says.
func (s *Store) write(ctx context.Context, fn func(tx *gorm.DB) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	j := &writeJob{ctx: ctx, db: s.db, fn: fn, done: make(chan error, 1)}
	select {
	case s.w.jobs <- j:
	case <-s.w.quit:
		return errStoreClosed
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-j.done:
		return err
	case <-s.w.stopped:
		select {
		case err := <-j.done:
			return err
		default:
			return errStoreClosed
		}
	}
}

// stop ends the writer after the batch in progress; jobs still queued
// get errStoreClosed.
func (w *writer) stop() {
	select {
	case <-w.quit:
	default:
		close(w.quit)
	}
	<-w.stopped
}

func (w *writer) run(s *Store) {
	defer close(w.stopped)
	batch := make([]*writeJob, 0, w.maxBatch)
	for {
		select {
		case <-w.quit:
			w.drain()
			return
		case j := <-w.jobs:
			batch = append(batch[:0], j)
		}
		batch = w.fill(batch)
		s.commitBatch(batch)
		clear(batch)
	}
}

// fill adds the jobs already queued, up to maxBatch, waiting up to
// maxWait for more.
func (w *writer) fill(batch []*writeJob) []*writeJob {
	var deadline <-chan time.Time
	if w.maxWait > 0 {
		t := time.NewTimer(w.maxWait)
		defer t.Stop()
		deadline = t.C
	}
	for len(batch) < w.maxBatch {
		select {
		case j := <-w.jobs:
			batch = append(batch, j)
			continue
		default:
		}
		if deadline == nil {
			return batch
		}
		select {
		case j := <-w.jobs:
			batch = append(batch, j)
		case <-deadline:
			return batch
		}
	}
	return batch
}

func (w *writer) drain() {
	for {
		select {
		case j := <-w.jobs:
			j.done <- errStoreClosed
		default:
			return
		}
	}
}

// batchKey finds the running batch from a transaction's context.
type batchKey struct{}

// batch is the state of one group-commit transaction.
type batch struct {
	logs *logBatch
	// events are the ballot logs' last entries after the batch's votes,
	// with the entries still to store (appendVoterEvent).
	events map[int64]eventHead
}

// batchMark is a batch's state before a job, to return to if it fails.
type batchMark struct {
	logs   logMark
	events map[int64]eventHead
}

func (b *batch) mark() batchMark {
	events := make(map[int64]eventHead, len(b.events))
	for id, h := range b.events {
		h.pending = slices.Clip(h.pending)
		events[id] = h
	}
	return batchMark{logs: b.logs.mark(), events: events}
}

func (b *batch) reset(m batchMark) {
	b.logs.reset(m.logs)
	b.events = m.events
}

// batchOf returns the batch tx belongs to, or nil.
func batchOf(tx *gorm.DB) *batch {
	if tx == nil || tx.Statement == nil || tx.Statement.Context == nil {
		return nil
	}
	b, _ := tx.Statement.Context.Value(batchKey{}).(*batch)
	return b
}

// commitBatch runs the jobs in one transaction, each in a savepoint, then
// appends their log entries and commits. Each job's done gets its own
// error, or the batch's when the batch as a whole failed.
func (s *Store) commitBatch(jobs []*writeJob) {
	results := make([]error, len(jobs))
	answer := func(batchErr error) {
		for i, j := range jobs {
			if batchErr != nil && results[i] == nil {
				results[i] = batchErr
			}
			j.done <- results[i]
		}
	}
	b := &batch{logs: newLogBatch(s), events: map[int64]eventHead{}}
	ctx := context.WithValue(context.Background(), batchKey{}, b)
	tx := s.db.WithContext(ctx).Begin()
	if tx.Error != nil {
		answer(wrap(tx.Error, "begin"))
		return
	}
	committed := false
	defer func() {
		if !committed {
			tx.Rollback()
		}
	}()
	if s.dialect == "postgres" {
		// One batch at a time across the processes sharing the database:
		// a batch takes the locks of its jobs' ballots and logs in job
		// order, and two batches taking them in different orders would
		// deadlock.
		if err := tx.Exec("SELECT pg_advisory_xact_lock(?)", writerLockKey).Error; err != nil {
			answer(wrap(err, "writer lock"))
			return
		}
	}
	ran := 0
	for i, j := range jobs {
		b.logs.known = nil // read by the job before
		if err := j.ctx.Err(); err != nil {
			results[i] = err // gave up while queued: nothing written
			continue
		}
		if len(jobs) == 1 {
			results[i] = runJob(tx, j) // alone: the transaction is its savepoint
			if results[i] != nil {
				answer(nil)
				return
			}
			ran++
			continue
		}
		if err := tx.Exec("SAVEPOINT koinon_job").Error; err != nil {
			answer(wrap(err, "savepoint"))
			return
		}
		// Savepoints are not released: each job's nests in the one
		// before (both databases roll back to the latest of a name), and
		// a RELEASE would cost a round trip per job.
		mark := b.mark()
		if err := runJob(tx, j); err != nil {
			results[i] = err
			b.reset(mark)
			if err := tx.Exec("ROLLBACK TO SAVEPOINT koinon_job").Error; err != nil {
				answer(wrap(err, "rollback to savepoint"))
				return
			}
		} else {
			ran++
		}
	}
	if ran == 0 {
		answer(nil)
		return
	}
	if err := b.logs.flushAll(tx); err != nil {
		answer(err)
		return
	}
	if err := b.flushEvents(tx); err != nil {
		answer(err)
		return
	}
	if err := tx.Commit().Error; err != nil {
		answer(wrap(err, "commit"))
		return
	}
	committed = true
	if cps := b.logs.committed(); len(cps) > 0 {
		for i, j := range jobs {
			if sub := SubmissionFrom(j.ctx); results[i] == nil && sub != nil {
				if sc, ok := sub.Scratch.(*scratch); ok && sc.logged != nil {
					sc.checkpoint = cps[sc.communityID]
				}
			}
		}
	}
	answer(nil)
}

// runJob runs one job's function on the batch transaction, with the job's
// clock; a panic becomes the job's error (the writer goes on).
func runJob(tx *gorm.DB, j *writeJob) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("store: write panicked: %v\n%s", r, debug.Stack())
		}
	}()
	return j.fn(tx.Session(&gorm.Session{NowFunc: j.db.Config.NowFunc}))
}
