package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"runtime/debug"
	"slices"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
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
// A batch of votes (Store.txVote) reads all its votes' ballots, rolls
// and chain heads in one query at its start (openVotes) and writes the
// votes it replaces at its end (queueVotes, updateVotesOneByOne), so
// that a replaced vote sends no statement of its own; on PostgreSQL a
// first vote's writes wait for the end too (deferWrite), and the end is
// two pipelined round trips (batch.endPostgres).
//
// On SQLite one writer is the right number (the database has one write
// lock). On PostgreSQL several processes may each run their writer on one
// database. A batch of votes runs beside the other processes' batches:
// its jobs take no lock but their ballot's row FOR SHARE and the rows
// they write, and the batch's end takes the logs of its communities, then
// the event chains of its ballots, each in id order (batch.endPostgres),
// so two batches never wait for each other in a circle there. Any other
// batch (a close, a delegation change, a trustee step …) takes locks as
// its jobs go and runs alone: shared batches hold one advisory lock (writerLockKey)
// shared, the others exclusive. A shared batch's job that would lock
// more is sent to an exclusive batch (errExclusive); one that needs the
// batch's entries stored before its end, to the next batch
// (errNextBatch); a job that PostgreSQL chose as a deadlock's victim
// (two batches writing two citizens' rows in opposite orders) runs
// again in the next batch, and a batch whose end finds that another
// process extended a citizen's chain its jobs built on runs again
// whole (errChainMoved).

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
	// vote is set for a vote or withdrawal (Store.txVote), which runs in
	// a shared batch unless exclusive says it asked for more; tries
	// counts its runs again.
	vote      voteKey
	exclusive bool
	tries     int
}

// shared reports whether j runs in a shared batch (a vote or withdrawal
// that asked for no more).
func (j *writeJob) shared() bool { return j.vote != voteKey{} && !j.exclusive }

// Errors that send a job, or its batch, to the next batch.
var (
	errNextBatch  = errors.New("store: the job needs the batch's statements stored; it runs again in the next batch")
	errExclusive  = errors.New("store: the job takes locks a shared batch may not take; it runs again in an exclusive batch")
	errChainMoved = errors.New("store: another batch extended a chain this batch built on; it runs again")
)

// maxTries is how many times a job runs at most.
const maxTries = 8

// runsAgain reports whether err sends its job or batch to the next batch.
func runsAgain(err error) bool {
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		return pg.Code == "40P01" || pg.Code == "40001" // deadlock victim, serialization failure
	}
	return errors.Is(err, errNextBatch) || errors.Is(err, errExclusive) || errors.Is(err, errChainMoved)
}

// again prepares j to run in a later batch after err; false when it ran
// too often already. A job sent on because its citizen already had a
// statement in the batch (errNextBatch) is not counted: the jobs sent on
// come first in the next batch, in their order, so each batch stores at
// least one more statement of the citizen, and a citizen with a dozen
// writes queued at once needs a dozen batches.
func (j *writeJob) again(err error) bool {
	if !errors.Is(err, errNextBatch) {
		if j.tries++; j.tries >= maxTries {
			return false
		}
	}
	if errors.Is(err, errExclusive) {
		j.exclusive = true
	}
	if sub := SubmissionFrom(j.ctx); sub != nil {
		if sc, ok := sub.Scratch.(*scratch); ok {
			sc.logged, sc.done, sc.checkpoint = nil, nil, nil
		}
	}
	return true
}

// writer is the group-commit writer of one database handle.
type writer struct {
	jobs     chan *writeJob
	quit     chan struct{}
	stopped  chan struct{}
	maxBatch int
	maxWait  time.Duration
	// conn is a SQLite writer's own connection, kept for every batch,
	// with wal_autocheckpoint off: the writer checkpoints the WAL itself
	// (checkpoint), when dirty (a batch committed since the last one).
	// Nil on PostgreSQL and on a read-only store.
	conn         *sql.Conn
	dirty        bool
	checkpointed time.Time
}

func newWriter(s *Store) (*writer, error) {
	w := &writer{jobs: make(chan *writeJob, 4096), quit: make(chan struct{}), stopped: make(chan struct{}),
		maxBatch: maxBatchSQLite, maxWait: maxWait}
	if s.dialect == "postgres" {
		w.maxBatch = maxBatchPostgres
	} else if !s.readOnly {
		ctx := context.Background()
		var err error
		if w.conn, err = s.conn(ctx); err != nil {
			return nil, err
		}
		if _, err := w.conn.ExecContext(ctx, "PRAGMA wal_autocheckpoint = 0"); err != nil {
			w.conn.Close()
			return nil, fmt.Errorf("store: writer connection: %w", err)
		}
	}
	go w.run(s)
	return w, nil
}

// conn takes a connection from the store's pool.
func (s *Store) conn(ctx context.Context) (*sql.Conn, error) {
	sqlDB, err := s.db.DB()
	if err != nil {
		return nil, err
	}
	conn, err := sqlDB.Conn(ctx)
	return conn, wrap(err, "writer connection")
}

// checkpointEvery is the least time between two checkpoints of a
// SQLite database by its writer.
const checkpointEvery = 200 * time.Millisecond

// checkpoint copies the WAL's committed pages into the SQLite database
// file, between two batches, once the callers of the last one have their
// answers (or once the writer is idle). SQLite would do it inside the
// commit that crosses wal_autocheckpoint (1,000 pages), and that batch's
// callers would wait for it (about 0.7 s after a 1,000,000-voter close),
// so the writer's connection has that off; the pool's connections keep
// SQLite's default for any write outside the writer. No write runs during
// the checkpoint, so it copies the whole WAL (readers permitting) and the
// next batch starts the WAL over; a commit is as durable before it as
// after (WAL, synchronous=NORMAL). Only a SQLite writer is ever dirty.
func (w *writer) checkpoint() {
	if !w.dirty || time.Since(w.checkpointed) < checkpointEvery {
		return
	}
	w.conn.ExecContext(context.Background(), "PRAGMA wal_checkpoint(PASSIVE)")
	w.dirty, w.checkpointed = false, time.Now()
}

// writerLockKey is the transaction-level advisory lock a PostgreSQL batch
// holds, shared or exclusive (pg_advisory_xact_lock_shared(key),
// pg_advisory_xact_lock(key)), "KoinonWr".
const writerLockKey = 0x4b6f696e6f6e5772

// errStoreClosed answers writes after Close.
var errStoreClosed = errors.New("store: closed")

// write queues fn for the writer and waits until its batch committed (or
// failed). A caller whose context ends while the job waits in the queue
// gets the context's error and nothing is written; once the job's batch
// has begun, the caller waits for its outcome whatever its context says.
func (s *Store) write(ctx context.Context, v voteKey, fn func(tx *gorm.DB) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	j := &writeJob{ctx: ctx, db: s.db, fn: fn, done: make(chan error, 1), vote: v}
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
	if w.conn != nil {
		w.conn.Close()
	}
}

func (w *writer) run(s *Store) {
	defer close(w.stopped)
	batch := make([]*writeJob, 0, w.maxBatch)
	var again []*writeJob // jobs to run again: before the queue, and before a stop
	for {
		if len(again) > 0 {
			batch = append(batch[:0], again...)
		} else {
			var idle <-chan time.Time // a WAL left to checkpoint while idle
			if w.dirty {
				idle = time.After(checkpointEvery)
			}
			select {
			case <-w.quit:
				w.drain()
				return
			case <-idle:
				w.checkpoint()
				continue
			case j := <-w.jobs:
				batch = append(batch[:0], j)
			}
		}
		batch = w.fill(batch)
		again = nil
		// Consecutive jobs of one kind share a batch, in the order they
		// came: a close queued after votes commits after them and counts
		// them.
		for start := 0; start < len(batch); {
			shared := batch[start].shared()
			end := start + 1
			for end < len(batch) && batch[end].shared() == shared {
				end++
			}
			again = append(again, s.commitBatch(batch[start:end], shared)...)
			start = end
		}
		clear(batch)
		w.checkpoint()
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
	// shared: the batch runs beside other processes' batches and takes
	// its logs' and ballots' locks only at its end (writer.go).
	shared bool
	logs   *logBatch
	// events are the entries the batch's votes append to ballot logs,
	// chained and stored at the batch's end (appendVoterEvent).
	events map[int64][]BallotEvent
	// opened is what a shared batch read for its votes (openVotes), and
	// votes the replacing votes it writes at its end (writeVote).
	opened map[voteKey]openedVote
	votes  []Vote
	// later are the writes its jobs left for its end (deferWrite).
	later []laterWrite
	// unsaved: the running job's savepoint is still to be set, before
	// its first statement (savepoint).
	unsaved bool
	// fresh: no job before the running one has sent a statement, so
	// the transaction has written nothing yet (Store.beside).
	fresh bool
	// conn is the connection the batch's transaction runs on.
	conn *sql.Conn
}

// batchMark is a batch's state before a job, to return to if it fails.
type batchMark struct {
	logs   logMark
	events map[int64][]BallotEvent
	votes  []Vote
	later  []laterWrite
}

func (b *batch) mark() batchMark {
	events := make(map[int64][]BallotEvent, len(b.events))
	for id, evs := range b.events {
		events[id] = slices.Clip(evs)
	}
	return batchMark{logs: b.logs.mark(), events: events, votes: slices.Clip(b.votes), later: slices.Clip(b.later)}
}

func (b *batch) reset(m batchMark) {
	b.logs.reset(m.logs)
	b.events, b.votes, b.later = m.events, m.votes, m.later
}

// savepoint sets the running job's savepoint if it is still to be set:
// a job that sends no statement (a replaced vote whose reads the batch
// made and whose writes wait for its end) needs none, and saves a round
// trip.
func (b *batch) savepoint(db *gorm.DB) error {
	if !b.unsaved {
		return nil
	}
	b.unsaved = false
	_, err := db.Statement.ConnPool.ExecContext(db.Statement.Context, "SAVEPOINT koinon_job")
	return wrap(err, "savepoint")
}

// registerSavepoints makes every gorm statement of a batch's job set the
// job's savepoint first (batch.savepoint); queryRow does the same.
func registerSavepoints(db *gorm.DB) error {
	hook := func(db *gorm.DB) {
		if b := batchOf(db); b != nil {
			if err := b.savepoint(db); err != nil {
				db.AddError(err)
			}
		}
	}
	const name = "koinon:savepoint"
	cb := db.Callback()
	return errors.Join(cb.Create().Before("*").Register(name, hook), cb.Query().Before("*").Register(name, hook),
		cb.Update().Before("*").Register(name, hook), cb.Delete().Before("*").Register(name, hook),
		cb.Row().Before("*").Register(name, hook), cb.Raw().Before("*").Register(name, hook))
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
// error, or the batch's when the batch as a whole failed; the jobs to run
// again in a later batch are returned instead.
func (s *Store) commitBatch(jobs []*writeJob, shared bool) (again []*writeJob) {
	results := make([]error, len(jobs))
	retry := make([]bool, len(jobs))
	answer := func(batchErr error) {
		for i, j := range jobs {
			if retry[i] {
				again = append(again, j)
				continue
			}
			if batchErr != nil && results[i] == nil {
				results[i] = batchErr
			}
			j.done <- results[i]
		}
	}
	// fail ends a batch that failed as a whole: with err, or, when err
	// sends it to the next batch, each job that did not give up runs again.
	fail := func(err error) {
		if runsAgain(err) {
			for i, j := range jobs {
				gaveUp := j.ctx.Err() != nil && errors.Is(results[i], j.ctx.Err())
				retry[i] = retry[i] || !gaveUp && j.again(err)
			}
		}
		answer(err)
	}
	b := &batch{shared: shared, logs: newLogBatch(s), events: map[int64][]BallotEvent{}, conn: s.w.conn}
	b.logs.shared = shared
	ctx := context.WithValue(context.Background(), batchKey{}, b)
	if b.conn == nil {
		// PostgreSQL: a connection of the batch's own, whose pgx
		// connection the batch's end uses as well (pipeline).
		conn, err := s.conn(ctx)
		if err != nil {
			answer(err)
			return again
		}
		defer conn.Close()
		b.conn = conn
	}
	db := s.db.WithContext(ctx)
	db.Statement.ConnPool = b.conn
	tx := db.Begin()
	if tx.Error != nil {
		answer(wrap(tx.Error, "begin"))
		return again
	}
	committed := false
	defer func() {
		if !committed {
			tx.Rollback()
		}
	}()
	if err := b.begin(tx, jobs); err != nil {
		fail(err)
		return again
	}
	ran := 0
	b.fresh = true
	for i, j := range jobs {
		b.logs.known = nil // read by the job before
		if err := j.ctx.Err(); err != nil {
			results[i] = err // gave up while queued: nothing written
			continue
		}
		if len(jobs) == 1 {
			// Alone: the transaction is its savepoint.
			if err := runJob(tx, j); err != nil {
				results[i] = err
				retry[i] = runsAgain(err) && j.again(err)
				answer(nil)
				return again
			}
			ran++
			continue
		}
		// The job's savepoint is set before its first statement, if it
		// sends one (batch.savepoint). Savepoints are not released: each
		// job's nests in the one before (both databases roll back to the
		// latest of a name), and a RELEASE would cost a round trip per job.
		mark := b.mark()
		b.unsaved = true
		err := runJob(tx, j)
		saved := !b.unsaved
		b.unsaved = false
		b.fresh = b.fresh && !saved
		if err != nil {
			results[i] = err
			retry[i] = runsAgain(err) && j.again(err)
			b.reset(mark)
			if !saved {
				continue
			}
			if err := tx.Exec("ROLLBACK TO SAVEPOINT koinon_job").Error; err != nil {
				fail(wrap(err, "rollback to savepoint"))
				return again
			}
		} else {
			ran++
		}
	}
	if ran == 0 {
		answer(nil)
		return again
	}
	if err := b.end(tx); err != nil {
		fail(err)
		return again
	}
	if err := tx.Commit().Error; err != nil {
		fail(wrap(err, "commit"))
		return again
	}
	committed = true
	s.w.dirty = s.w.conn != nil
	cps := b.logs.committed()
	for i, j := range jobs {
		sub := SubmissionFrom(j.ctx)
		if results[i] != nil || retry[i] || sub == nil {
			continue
		}
		if sc, ok := sub.Scratch.(*scratch); ok && sc.logged != nil {
			sc.logged.Index = b.logs.index(sc.communityID, sc.logged.Index)
			if sc.done != nil {
				sc.done.lastIndex = b.logs.index(sc.communityID, sc.done.lastIndex)
			}
			sc.checkpoint = cps[sc.communityID]
		}
	}
	answer(nil)
	return again
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
