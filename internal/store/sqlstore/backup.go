package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"os"
)

// Backup writes a consistent copy of a SQLite database to path while the
// server keeps running (VACUUM INTO reads one snapshot), then checks the
// copy's integrity. PostgreSQL is backed up with pg_dump instead.
func (s *Store) Backup(ctx context.Context, path string) error {
	if s.dialect != "sqlite" {
		return errors.New("store: backup: use pg_dump for PostgreSQL")
	}
	if _, err := os.Stat(path); err == nil {
		return fmt.Errorf("store: backup: %s already exists", path)
	}
	if err := s.db.WithContext(ctx).Exec("VACUUM INTO ?", path).Error; err != nil {
		return fmt.Errorf("store: backup: %w", err)
	}
	return CheckSQLiteFile(ctx, path)
}

// CheckSQLiteFile opens a SQLite file read-only and runs integrity_check.
func CheckSQLiteFile(ctx context.Context, path string) error {
	if _, err := os.Stat(path); err != nil {
		return fmt.Errorf("store: check %s: %w", path, err)
	}
	s, err := Open(ctx, Options{SQLitePath: path, ReadOnly: true})
	if err != nil {
		return err
	}
	defer s.Close()
	var result string
	if err := s.db.WithContext(ctx).Raw("PRAGMA integrity_check").Scan(&result).Error; err != nil {
		return fmt.Errorf("store: check %s: %w", path, err)
	}
	if result != "ok" {
		return fmt.Errorf("store: check %s: integrity check says %q", path, result)
	}
	return nil
}
