package sqlstore

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"gorm.io/gorm"
)

// TestInsertRows: insertRows writes every row, across several INSERTs,
// in tx; execRaw reports the rows it changed and a duplicate as gorm's
// ErrDuplicatedKey, as gorm's own statements do.
func TestInsertRows(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, Options{SQLitePath: filepath.Join(t.TempDir(), "insert.db")})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	const n = 2*insertChunk + 7
	err = s.tx(ctx, func(tx *gorm.DB) error {
		if err := tx.Exec("CREATE TABLE pairs (a INTEGER PRIMARY KEY, b TEXT NOT NULL)").Error; err != nil {
			return err
		}
		return insertRows(tx, "pairs", []string{"a", "b"}, n, func(i int, args []any) []any {
			return append(args, i, string(rune('a'+i%26)))
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	var count, sum int64
	if err := s.db.Raw("SELECT COUNT(*), SUM(a) FROM pairs WHERE b = substr('abcdefghijklmnopqrstuvwxyz', a % 26 + 1, 1)").Row().Scan(&count, &sum); err != nil {
		t.Fatal(err)
	}
	if count != n || sum != n*(n-1)/2 {
		t.Errorf("rows = %d (ids summing to %d), want %d (%d)", count, sum, n, n*(n-1)/2)
	}
	err = s.tx(ctx, func(tx *gorm.DB) error {
		changed, err := execRaw(tx, "UPDATE pairs SET b = ? WHERE a < ?", "z", 10)
		if err != nil || changed != 10 {
			t.Errorf("execRaw UPDATE = %d, %v; want 10 rows", changed, err)
		}
		_, err = execRaw(tx, "INSERT INTO pairs (a, b) VALUES (?, ?)", 3, "again")
		return err
	})
	if !errors.Is(err, gorm.ErrDuplicatedKey) {
		t.Errorf("duplicate insert: %v, want gorm.ErrDuplicatedKey", err)
	}
}
