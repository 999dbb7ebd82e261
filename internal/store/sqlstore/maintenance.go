package sqlstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
)

// Settle prepares the database for the next measured phase after a bulk
// load: SQLite truncates its write-ahead log, PostgreSQL refreshes the
// planner's statistics (ANALYZE).
func (s *Store) Settle(ctx context.Context) error {
	q := "ANALYZE"
	if s.dialect == "sqlite" {
		q = "PRAGMA wal_checkpoint(TRUNCATE)"
	}
	return wrap(s.db.WithContext(ctx).Exec(q).Error, "settle")
}

// ScratchSchema creates an empty schema, named prefix and a random suffix,
// on the PostgreSQL server at dsn, and returns a URL whose connections use
// it and a function that drops it.
func ScratchSchema(ctx context.Context, dsn, prefix string) (string, func(), error) {
	admin, err := Open(ctx, Options{URL: dsn})
	if err != nil {
		return "", nil, err
	}
	defer admin.Close()
	b := make([]byte, 6)
	rand.Read(b)
	schema := prefix + hex.EncodeToString(b)
	if err := admin.db.WithContext(ctx).Exec("CREATE SCHEMA " + schema).Error; err != nil {
		return "", nil, fmt.Errorf("store: create schema: %w", err)
	}
	u, err := url.Parse(dsn)
	if err != nil {
		return "", nil, err
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	drop := func() {
		if a, err := Open(context.Background(), Options{URL: dsn}); err == nil {
			a.db.Exec("DROP SCHEMA " + schema + " CASCADE")
			a.Close()
		}
	}
	return u.String(), drop, nil
}

// BaselineTable creates an empty scratch table for the load test's
// plain-insert baseline and returns its single-row insert (in gorm's
// default transaction, as the store's writes are) and a function that
// drops it.
func (s *Store) BaselineTable(ctx context.Context) (insert func(context.Context, *BaselineRow) error, drop func(), err error) {
	table := BaselineRow{}.TableName()
	ddl := `CREATE TABLE ` + table + ` (id INTEGER PRIMARY KEY AUTOINCREMENT, ballot_id INTEGER NOT NULL,
		citizen_id INTEGER NOT NULL, choice TEXT NOT NULL, receipt TEXT NOT NULL, cast_at DATETIME NOT NULL)`
	if s.dialect == "postgres" {
		ddl = `CREATE TABLE ` + table + ` (id BIGSERIAL PRIMARY KEY, ballot_id BIGINT NOT NULL,
		citizen_id BIGINT NOT NULL, choice TEXT NOT NULL, receipt TEXT NOT NULL, cast_at TIMESTAMPTZ NOT NULL)`
	}
	db := s.db.WithContext(ctx)
	db.Exec("DROP TABLE IF EXISTS " + table)
	if err := db.Exec(ddl).Error; err != nil {
		return nil, nil, wrap(err, "baseline table")
	}
	insert = func(ctx context.Context, r *BaselineRow) error {
		return s.db.WithContext(ctx).Create(r).Error
	}
	drop = func() { s.db.Exec("DROP TABLE IF EXISTS " + table) }
	return insert, drop, nil
}
