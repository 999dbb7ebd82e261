package sqlstore

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"gorm.io/gorm"
)

// TestCheckpointsBetweenBatches: the writer's connection does not
// checkpoint inside its commits (wal_autocheckpoint is 0 there, and
// SQLite's 1,000 pages on the pool's other connections), and the
// writer's own checkpoints between batches still start the WAL over:
// 240 MB written in 1 MB transactions back to back leave a WAL file of at
// most half that (about 30–70 MB: what is written between two
// checkpoints, which depends on the disk), and once the writer is idle
// every page is in the database file.
func TestCheckpointsBetweenBatches(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "wal.db")
	s, err := Open(ctx, Options{SQLitePath: path})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.tx(ctx, func(tx *gorm.DB) error {
		var auto int
		if err := tx.Raw("PRAGMA wal_autocheckpoint").Scan(&auto).Error; err != nil {
			return err
		}
		if auto != 0 {
			t.Errorf("wal_autocheckpoint in a batch = %d, want 0", auto)
		}
		return tx.Exec("CREATE TABLE fill (b BLOB)").Error
	}); err != nil {
		t.Fatal(err)
	}
	var pooled int
	if err := s.db.Raw("PRAGMA wal_autocheckpoint").Scan(&pooled).Error; err != nil {
		t.Fatal(err)
	}
	if pooled != 1000 {
		t.Errorf("wal_autocheckpoint outside the writer = %d, want SQLite's 1000", pooled)
	}
	for range 240 {
		if err := s.tx(ctx, func(tx *gorm.DB) error {
			return tx.Exec("INSERT INTO fill VALUES (randomblob(1 << 20))").Error
		}); err != nil {
			t.Fatal(err)
		}
	}
	wal, err := os.Stat(path + "-wal")
	if err != nil {
		t.Fatal(err)
	}
	if max := int64(120 << 20); wal.Size() > max {
		t.Errorf("WAL file %d bytes after 240 MB of writes, want at most %d", wal.Size(), max)
	}
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(checkpointEvery) {
		db, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if db.Size() >= 240<<20 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("database file %d bytes 20 s after the writes, want the 240 MB checkpointed into it", db.Size())
		}
	}
}
