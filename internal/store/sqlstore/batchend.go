package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
	"golang.org/x/mod/sumdb/tlog"
	"gorm.io/gorm"
)

// begin takes the writer lock on PostgreSQL, shared by a shared batch
// and exclusive otherwise (writer.go: shared batches run side by side,
// any other alone, because its jobs take locks in their own order), and
// reads a shared batch's votes (openVotes) — on PostgreSQL both in one
// round trip, the read after the lock.
func (b *batch) begin(tx *gorm.DB, jobs []*writeJob) error {
	var keys []voteKey
	if b.shared {
		for _, j := range jobs {
			keys = append(keys, j.vote)
		}
	}
	if b.logs.s.dialect != "postgres" {
		if !b.shared {
			return nil
		}
		var err error
		b.opened, err = openVotes(tx, keys)
		return err
	}
	if !b.shared {
		return wrap(tx.Exec("SELECT pg_advisory_xact_lock(?)", writerLockKey).Error, "writer lock")
	}
	var q pgx.Batch
	q.Queue("SELECT pg_advisory_xact_lock_shared($1)", int64(writerLockKey))
	ballots, citizens := voteArrays(keys)
	q.Queue(openVotesPostgres, ballots, citizens).Query(func(rows pgx.Rows) (err error) {
		b.opened, err = scanOpened(rows, len(keys))
		return err
	})
	return wrap(pipeline(tx.Statement.Context, b.conn, &q), "writer lock and votes")
}

// end writes what the batch kept for its end: the replacing votes, then
// each community log's entries and each ballot's events, taking their
// locks in the fixed order (logs by id, then chains by id; writer.go).
func (b *batch) end(tx *gorm.DB) error {
	if b.logs.s.dialect == "postgres" {
		return b.endPostgres(tx)
	}
	if err := updateVotesOneByOne(tx, b.latestVotes()); err != nil {
		return err
	}
	if err := b.logs.flushAll(tx); err != nil {
		return err
	}
	return b.flushEvents(tx)
}

// endPostgres is end in two round trips, so that the community logs'
// locks, which order the batches of several processes, are held for
// three (these two and the commit) instead of eight. The first writes the
// replacing votes, takes every lock in one statement, and reads the logs'
// rows, the stored chain heads of the citizens the batch appends for (a
// shared batch's check that no other batch moved them since its jobs
// read them: errChainMoved) and the event chains' last entries; the
// second appends to every log (appendAtOnce) and every event chain.
func (b *batch) endPostgres(tx *gorm.DB) error {
	lb := b.logs
	communities := slices.Sorted(maps.Keys(lb.logs))
	ballots := slices.Sorted(maps.Keys(b.events))
	var first pgx.Batch
	for _, w := range b.later {
		first.Queue(w.q, w.args...).Exec(func(ct pgconn.CommandTag) error {
			if w.rows >= 0 && ct.RowsAffected() != w.rows {
				return errChainMoved
			}
			return nil
		})
	}
	b.queueVotes(&first)
	if len(communities)+len(ballots) > 0 {
		classes, keys := make([]int32, 0, len(communities)+len(ballots)), make([]int32, 0, len(communities)+len(ballots))
		for _, id := range communities {
			classes, keys = append(classes, communityLogLockClass), append(keys, lockKey(id))
		}
		for _, id := range ballots {
			classes, keys = append(classes, logLockClass), append(keys, lockKey(id))
		}
		// unnest yields the keys in their order, and the count takes
		// them in that order.
		first.Queue(`SELECT count(pg_advisory_xact_lock(l.class, l.key)) FROM unnest($1::int[], $2::int[]) AS l(class, key)`, classes, keys)
	}
	rows := map[int64]CommunityLog{}
	if len(communities) > 0 {
		first.Queue(`SELECT community_id, origin, size FROM community_logs WHERE community_id = ANY($1)`, communities).
			Query(func(r pgx.Rows) error {
				var row CommunityLog
				_, err := pgx.ForEachRow(r, []any{&row.CommunityID, &row.Origin, &row.Size}, func() error {
					rows[row.CommunityID] = row
					return nil
				})
				return err
			})
	}
	moved := false
	if lb.shared && len(communities) > 0 {
		want := map[[2]int64]string{}
		var cs, citizens []int64
		for _, id := range communities {
			for citizen, prev := range firstPrevs(lb.logs[id].rows) {
				want[[2]int64{id, citizen}] = prev
				cs, citizens = append(cs, id), append(citizens, citizen)
			}
		}
		first.Queue(`SELECT c.community_id, c.citizen_id, coalesce(s.hash, '')
			FROM unnest($1::bigint[], $2::bigint[]) AS c(community_id, citizen_id)
			LEFT JOIN LATERAL (SELECT hash FROM statements
				WHERE community_id = c.community_id AND citizen_id = c.citizen_id ORDER BY log_index DESC LIMIT 1) s ON true`, cs, citizens).
			Query(func(r pgx.Rows) error {
				var (
					key  [2]int64
					head string
				)
				_, err := pgx.ForEachRow(r, []any{&key[0], &key[1], &head}, func() error {
					moved = moved || head != want[key]
					return nil
				})
				return err
			})
	}
	// A shared batch reads with the rest the hashes other processes
	// stored since this one's last batch (a few batches' worth at most):
	// its append needs the tree's new right edge, and its receipts'
	// proofs the hashes below their size, which the cache then holds. (A
	// shared batch has written no hash before its end, so all it reads is
	// committed.)
	var others, starts []int64
	for _, id := range communities {
		if n := lb.s.hashCache.seenCount(id); n > 0 && lb.shared {
			others, starts = append(others, id), append(starts, n)
		}
	}
	if len(others) > 0 {
		first.Queue(`SELECT h.community_id, h.idx, h.hash FROM unnest($1::bigint[], $2::bigint[]) AS c(id, start)
			JOIN log_hashes h ON h.community_id = c.id AND h.idx >= c.start AND h.idx < c.start + $3`, others, starts, int64(othersMax)).
			Query(func(r pgx.Rows) error {
				var (
					id, idx int64
					hash    []byte
				)
				_, err := pgx.ForEachRow(r, []any{&id, &idx, &hash}, func() error {
					if len(hash) == len(tlog.Hash{}) {
						lb.s.hashCache.put(id, idx, []tlog.Hash{tlog.Hash(hash)})
					}
					return nil
				})
				return err
			})
	}
	last := map[int64]eventHead{}
	if len(ballots) > 0 {
		first.Queue(`SELECT b.id, e.seq, e.hash FROM unnest($1::bigint[]) AS b(id)
			JOIN LATERAL (SELECT seq, hash FROM ballot_events WHERE ballot_id = b.id ORDER BY seq DESC LIMIT 1) e ON true`, ballots).
			Query(func(r pgx.Rows) error {
				var (
					id int64
					h  eventHead
				)
				_, err := pgx.ForEachRow(r, []any{&id, &h.Seq, &h.Hash}, func() error {
					last[id] = h
					return nil
				})
				return err
			})
	}
	if first.Len() == 0 {
		return nil
	}
	if err := pipeline(tx.Statement.Context, b.conn, &first); err != nil {
		return wrap(err, "end of batch")
	}
	if moved {
		return errChainMoved
	}
	var second pgx.Batch
	for _, id := range communities {
		row, ok := rows[id]
		if !ok {
			var err error
			if row, err = lb.s.createLog(tx, id); err != nil {
				return err
			}
		}
		p, h := lb.take(tx, id, row)
		q, args, err := appendAtOnce(&row, h, p)
		if err != nil {
			return err
		}
		second.Queue(q, args...)
		lb.sizes[id] = row
	}
	if len(ballots) > 0 {
		queueEvents(&second, ballots, b.events, last)
		clear(b.events)
	}
	if second.Len() == 0 {
		return nil
	}
	return wrap(pipeline(tx.Statement.Context, b.conn, &second), "end of batch")
}

// queueEvents chains each ballot's events after its last (none: the
// chain's start) and queues one insert of them all.
func queueEvents(q *pgx.Batch, ballots []int64, events map[int64][]BallotEvent, last map[int64]eventHead) {
	var (
		ids, seqs                     []int64
		kinds, payloads, prevs, hashs []string
		at                            []time.Time
	)
	for _, id := range ballots {
		head := last[id]
		for _, ev := range events[id] {
			head = chainAfter(&ev, head)
			ids, seqs, at = append(ids, ev.BallotID), append(seqs, ev.Seq), append(at, ev.At)
			kinds, payloads, prevs, hashs = append(kinds, ev.Kind), append(payloads, ev.Payload), append(prevs, ev.PrevHash), append(hashs, ev.Hash)
		}
	}
	q.Queue(`INSERT INTO ballot_events (ballot_id, seq, kind, payload, at, prev_hash, hash)
		SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[], $5::timestamptz[], $6::text[], $7::text[])`,
		ids, seqs, kinds, payloads, at, prevs, hashs)
}

// othersMax is how many hashes stored by other processes a batch's end
// reads ahead per log; beyond that the append reads what it needs.
const othersMax = 4 * maxBatchPostgres * 2

// laterWrite is a write a job left for its batch's end (deferWrite).
type laterWrite struct {
	q    string // $n placeholders
	args []any
	rows int64 // the rows it must change; -1: any number
}

// deferWrite leaves the write q (? placeholders) for the end of a shared
// batch on PostgreSQL, where it goes with the first round trip, before
// the replacing votes (endPostgres), and reports whether it did (elsewhere
// the caller sends it). It is for writes whose outcome the job does not
// need and that fail only when another process wrote the same rows since
// the batch's start: a write that changes other than rows rows (when
// rows >= 0) sends the batch to run again (errChainMoved), as the other
// process's move of the citizen's chain would. A job whose writes all
// wait sends no statement, nor its savepoint. Writes with a list argument
// (expanded by gorm) are not left.
func (b *batch) deferWrite(q string, rows int64, args ...any) bool {
	if b == nil || !b.shared || b.logs.s.dialect != "postgres" {
		return false
	}
	for _, a := range args {
		if _, list := a.([]int64); list {
			return false
		}
	}
	b.later = append(b.later, laterWrite{q: numberPlaceholders(q), args: args, rows: rows})
	return true
}

// lockKey is an id as the second key of a two-key advisory lock.
func lockKey(id int64) int32 { return int32(id & 0x7fffffff) }

// pipeline sends the queued statements to PostgreSQL at once, on the
// batch transaction's connection, and runs their callbacks on the
// results: one round trip for all. PostgreSQL still runs each after the
// one before, with its own snapshot (READ COMMITTED), so a read queued
// after a lock sees what the lock's last holder committed; the first
// error ends the batch's transaction.
func pipeline(ctx context.Context, conn *sql.Conn, q *pgx.Batch) error {
	return conn.Raw(func(dc any) error {
		c, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("store: no pgx connection under %T", dc)
		}
		return c.Conn().SendBatch(ctx, q).Close()
	})
}
