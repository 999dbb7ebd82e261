// Package sqlstore owns persistence: it opens SQLite or PostgreSQL through
// gorm, applies the embedded SQL migrations, holds every SQL statement of
// Koinon and maps database errors to store.ErrNotFound and
// store.ErrConflict. Its records, errors and helpers are those of package
// store (aliases.go names them here, so the queries read unqualified).
// Callers depend on narrow interfaces that *Store implements (web.Store,
// closing.Store, notify.MailStore). It imports store, domain, proof and
// clog, and must not import web, closing, notify or any HTTP package.
package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/pressly/goose/v3"
	"gorm.io/driver/postgres"
	"gorm.io/driver/sqlite"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// Store is the database handle shared by the server and the tools.
type Store struct {
	db      *gorm.DB
	dialect string // "sqlite" or "postgres"
	now     func() time.Time
	// readOnly stores skip the checkpoint on Close.
	readOnly bool
	// w is the group-commit writer that runs every write transaction
	// (tx, writer.go). A pointer, so that WithClock copies share it.
	w *writer
	// homes caches ballots' community and secrecy (ballotHome), names
	// communities' names (scopeName).
	homes, names *sync.Map
	// states caches citizens' replayed statements (citizenState).
	states *stateCache
	// hashCache keeps committed log hashes (hashcache.go).
	hashCache *hashCache
	// keys keeps unsealed custodial keys (storedCustodialKey).
	keys *keyCache
	// box seals ballot secrets (nil: ballots cannot be created).
	box SecretBox
	// mail: notifications are also queued for mail (Options.Mail).
	mail bool
	// logs, when set, keeps the community logs (clog.go, EnableLogs).
	logs *LogConfig
}

// Options configure Open.
type Options struct {
	// URL is a postgres:// URL, or empty for SQLite at SQLitePath.
	URL        string
	SQLitePath string
	// ReadOnly opens a SQLite file without changing it (no WAL switch).
	ReadOnly bool
	Now      func() time.Time
	// Secrets seals ballots' pseudonym secrets (keyring.DataKey); without
	// it ballots can be read but not created, nor pseudonyms computed.
	Secrets SecretBox
	// Mail queues notifications in the outbox for mail (an SMTP server
	// is configured); without it they are in-app only.
	Mail bool
}

// Open connects to the database and checks that it answers.
func Open(ctx context.Context, o Options) (*Store, error) {
	now := o.Now
	if now == nil {
		now = func() time.Time { return time.Now().UTC() }
	}
	cfg := &gorm.Config{
		TranslateError: true,
		Logger:         logger.Discard,
		NowFunc:        func() time.Time { return now().UTC().Truncate(time.Microsecond) },
	}
	var (
		dialector gorm.Dialector
		dialect   string
	)
	if strings.HasPrefix(o.URL, "postgres://") || strings.HasPrefix(o.URL, "postgresql://") {
		dialector, dialect = postgres.Open(o.URL), "postgres"
	} else {
		path := o.SQLitePath
		if path == "" {
			return nil, errors.New("store: no database given")
		}
		if path != ":memory:" && !strings.HasPrefix(path, "file:") {
			if _, err := os.Stat(filepath.Dir(path)); err != nil {
				return nil, fmt.Errorf("store: sqlite directory: %w", err)
			}
			if !o.ReadOnly {
				if err := createPrivate(path); err != nil {
					return nil, fmt.Errorf("store: sqlite file: %w", err)
				}
			}
		}
		dsn := sqliteDSN(path)
		if o.ReadOnly {
			dsn = "file:" + path + "?mode=ro&_busy_timeout=10000"
		}
		dialector, dialect = sqlite.Open(dsn), "sqlite"
	}
	db, err := gorm.Open(dialector, cfg)
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", dialect, err)
	}
	s := &Store{db: db, dialect: dialect, now: now, readOnly: o.ReadOnly, box: o.Secrets, mail: o.Mail}
	sqlDB, err := db.DB()
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	if dialect == "postgres" {
		sqlDB.SetMaxOpenConns(20)
		sqlDB.SetMaxIdleConns(20)
	} else {
		// WAL lets readers run beside the one writer; writes begin
		// IMMEDIATE (see sqliteDSN) so they queue on the busy timeout
		// instead of failing with "database is locked" on upgrade.
		sqlDB.SetMaxOpenConns(8)
		sqlDB.SetMaxIdleConns(8)
	}
	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := sqlDB.PingContext(pctx); err != nil {
		sqlDB.Close()
		return nil, fmt.Errorf("store: %s does not answer: %w", dialect, err)
	}
	if err := registerSavepoints(db); err != nil {
		sqlDB.Close()
		return nil, err
	}
	if s.w, err = newWriter(s); err != nil {
		sqlDB.Close()
		return nil, err
	}
	s.homes, s.names = new(sync.Map), new(sync.Map)
	s.states = new(stateCache)
	s.hashCache = new(hashCache)
	s.keys = new(keyCache)
	return s, nil
}

// sqliteDSN sets the pragmas Koinon relies on: WAL journal, a busy timeout,
// foreign keys, synchronous=NORMAL (in WAL mode a commit survives a process
// crash; only an OS crash or power cut can lose the last transactions) and
// BEGIN IMMEDIATE for every transaction, and a prepared-statement cache.
func sqliteDSN(path string) string {
	q := url.Values{}
	q.Set("_journal_mode", "WAL")
	q.Set("_busy_timeout", "10000")
	q.Set("_foreign_keys", "on")
	q.Set("_synchronous", "NORMAL")
	q.Set("_txlock", "immediate")
	// Each pooled connection keeps its last prepared statements and
	// reuses them (the driver resets a statement when it is closed):
	// compiling SQL was about 15 % of a vote's CPU.
	q.Set("_stmt_cache_size", "128")
	if strings.HasPrefix(path, "file:") {
		sep := "?"
		if strings.Contains(path, "?") {
			sep = "&"
		}
		return path + sep + q.Encode()
	}
	return "file:" + path + "?" + q.Encode()
}

// Dialect names the database: "sqlite" or "postgres".
func (s *Store) Dialect() string { return s.dialect }

// Now is the store's clock.
func (s *Store) Now() time.Time { return s.now().UTC().Truncate(time.Second) }

// Ping reports whether the database answers.
func (s *Store) Ping(ctx context.Context) error {
	sqlDB, err := s.db.DB()
	if err != nil {
		return err
	}
	return sqlDB.PingContext(ctx)
}

// Close closes the database; a SQLite database is checkpointed first.
func (s *Store) Close() error {
	sqlDB, err := s.db.DB()
	if err != nil {
		return err
	}
	if s.w != nil {
		s.w.stop()
	}
	if s.dialect == "sqlite" && !s.readOnly {
		s.db.Exec("PRAGMA wal_checkpoint(TRUNCATE)")
	}
	return sqlDB.Close()
}

// Migrate applies the migrations for this dialect from fsys (the folder
// holding sqlite/ and postgres/). A database whose schema is newer than
// the binary is refused.
func (s *Store) Migrate(ctx context.Context, fsys fs.FS, log *slog.Logger) error {
	sub, err := fs.Sub(fsys, s.dialect)
	if err != nil {
		return fmt.Errorf("store: migrations: %w", err)
	}
	sqlDB, err := s.db.DB()
	if err != nil {
		return err
	}
	dialect := goose.DialectSQLite3
	if s.dialect == "postgres" {
		dialect = goose.DialectPostgres
	}
	p, err := goose.NewProvider(dialect, sqlDB, sub)
	if err != nil {
		return fmt.Errorf("store: migrations: %w", err)
	}
	current, err := p.GetDBVersion(ctx)
	if err != nil {
		return fmt.Errorf("store: read schema version: %w", err)
	}
	sources := p.ListSources()
	if n := len(sources); n > 0 && current > sources[n-1].Version {
		return fmt.Errorf("store: the database schema (version %d) is newer than this binary (version %d): upgrade koinon", current, sources[n-1].Version)
	}
	results, err := p.Up(ctx)
	if err != nil {
		return fmt.Errorf("store: migrate: %w", err)
	}
	for _, r := range results {
		if log != nil {
			log.Info("migration applied", "version", r.Source.Version, "duration_ms", r.Duration.Milliseconds())
		}
	}
	if s.dialect == "sqlite" && len(results) > 0 {
		return reloadSchema(ctx, sqlDB)
	}
	return nil
}

// SQLDB returns the database/sql handle (for backups and tests).
func (s *Store) SQLDB() (*sql.DB, error) { return s.db.DB() }

// tx runs fn in a transaction and returns once it committed.
//
// Every write transaction of this process goes through one writer
// goroutine (group commit, writer.go): fn runs in a savepoint of a batch
// transaction shared with the writes queued beside it, and its error is
// its own. On SQLite this also keeps this process's pooled connections
// from competing for the write lock through the busy handler, which sleeps
// 1, 2, 5, 10 … ms between retries (≈ 1,100 votes/s with p99 ≈ 160 ms
// before a write mutex, see docs/benchmarks.md). Other processes (koinon
// admin, a backup) still meet the busy timeout. fn must not call s.tx
// again (it would deadlock): store methods pass tx down instead.
func (s *Store) tx(ctx context.Context, fn func(tx *gorm.DB) error) error {
	return s.txVote(ctx, voteKey{}, fn)
}

// txVote is tx for a vote or a withdrawal (v): fn runs in a batch of
// votes, which reads every vote's ballot at its start (openVotes) and, on
// PostgreSQL, runs beside other processes' batches (writer.go). fn takes no lock
// but the ballot row's FOR SHARE and the rows it writes, and appends
// only through the batch; a job that asks for more runs again in a batch
// of its own kind (errExclusive).
func (s *Store) txVote(ctx context.Context, v voteKey, fn func(tx *gorm.DB) error) error {
	s.prepare(ctx) // a signed statement's replay, before the write lock
	if err := s.write(ctx, v, fn); err != nil {
		return err
	}
	return s.finishReceipt(ctx) // after the commit, outside the write lock
}

// wrap maps gorm errors to the store's errors, with context.
func wrap(err error, format string, args ...any) error {
	if err == nil {
		return nil
	}
	msg := fmt.Sprintf(format, args...)
	switch {
	case errors.Is(err, gorm.ErrRecordNotFound):
		return fmt.Errorf("store: %s: %w", msg, ErrNotFound)
	case errors.Is(err, gorm.ErrDuplicatedKey):
		return fmt.Errorf("store: %s: %w", msg, ErrConflict)
	}
	return fmt.Errorf("store: %s: %w", msg, err)
}

// WithClock returns a handle on the same database whose clock is now (for
// tests that need fixed times).
func WithClock(s *Store, now func() time.Time) *Store {
	c := *s
	c.now = now
	c.db = s.db.Session(&gorm.Session{NowFunc: func() time.Time { return now().UTC().Truncate(time.Microsecond) }})
	return &c
}

// createPrivate creates a new SQLite file readable by its owner only
// (0600); SQLite gives its -wal and -shm files the same mode. An existing
// file is left as it is.
func createPrivate(path string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return nil
	}
	if err != nil {
		return err
	}
	return f.Close()
}
