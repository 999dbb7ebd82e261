package sqlstore

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"strconv"

	"gorm.io/gorm"
)

// SQLite checkpoints its write-ahead log (copies the pages into the
// database file and syncs both) inside the COMMIT that takes the log past
// wal_autocheckpoint pages, before the writer can answer. After a close,
// whose result and proof leave hundreds of MB in the log, that was most of
// a second of the close's time. checkpointLater moves it after the answer.
// Durability does not change: a commit is durable once its frames are in
// the log (WAL with synchronous=NORMAL), and a checkpoint only moves them.

// checkpointLater keeps the commit of tx's batch from checkpointing the
// SQLite write-ahead log: the log is checkpointed after the batch's jobs
// have their answers (release). No-op on PostgreSQL.
func checkpointLater(tx *gorm.DB) error {
	b := batchOf(tx)
	if b == nil || b.conn == nil || b.autocheckpoint != nil {
		return nil
	}
	var n int
	if err := tx.Raw("PRAGMA wal_autocheckpoint").Scan(&n).Error; err != nil {
		return wrap(err, "read wal_autocheckpoint")
	}
	if err := tx.Exec("PRAGMA wal_autocheckpoint = 0").Error; err != nil {
		return wrap(err, "turn off wal_autocheckpoint")
	}
	b.autocheckpoint = &n
	return nil
}

// conn takes a connection from the pool for a SQLite batch.
func (s *Store) conn(ctx context.Context) (*sql.Conn, error) {
	sqlDB, err := s.db.DB()
	if err != nil {
		return nil, err
	}
	conn, err := sqlDB.Conn(ctx)
	return conn, wrap(err, "connection")
}

// release returns a SQLite batch's connection to the pool. When a job
// turned the connection's autocheckpoint off, it is restored first (or the
// connection closed, if it cannot be) and the log is checkpointed on
// another connection, PASSIVE: it neither waits for nor blocks the next
// batches. A checkpoint that fails is left to the next commit's
// autocheckpoint.
func (s *Store) release(b *batch) {
	if b.autocheckpoint != nil {
		q := "PRAGMA wal_autocheckpoint = " + strconv.Itoa(*b.autocheckpoint)
		if _, err := b.conn.ExecContext(context.Background(), q); err != nil {
			b.conn.Raw(func(any) error { return driver.ErrBadConn })
		}
		s.w.checkpoints.Add(1)
		go func() {
			defer s.w.checkpoints.Done()
			s.db.Exec("PRAGMA wal_checkpoint(PASSIVE)")
		}()
	}
	b.conn.Close()
}
