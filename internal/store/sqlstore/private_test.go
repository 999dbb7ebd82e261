package sqlstore_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"koinon/internal/store/sqlstore"
)

// TestSQLiteFileIsPrivate: a new database file is readable by its owner
// only, whatever the umask.
func TestSQLiteFileIsPrivate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "private.db")
	s, err := sqlstore.Open(context.Background(), sqlstore.Options{SQLitePath: path})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Ping(context.Background()); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if mode := fi.Mode().Perm(); mode != 0o600 {
		t.Errorf("database file mode %o, want 600", mode)
	}
}
