package sqlstore_test

import (
	"context"
	"path/filepath"
	"testing"

	"koinon/internal/store"
	"koinon/internal/store/sqlstore"
	"koinon/internal/store/storetest"
)

func TestBackupCopiesAConsistentSnapshot(t *testing.T) {
	ctx := context.Background()
	s := storetest.SQLite(t)
	if err := sqlstore.GormDB(s).Create(&store.Citizen{Handle: "ann", CreatedAt: s.Now(), TokenVersion: 1}).Error; err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "backup.db")
	if err := s.Backup(ctx, path); err != nil {
		t.Fatal(err)
	}
	if err := s.Backup(ctx, path); err == nil {
		t.Error("a second backup to the same file overwrote it")
	}
	copyStore, err := sqlstore.Open(ctx, sqlstore.Options{SQLitePath: path})
	if err != nil {
		t.Fatal(err)
	}
	defer copyStore.Close()
	if c, err := copyStore.CitizenByHandle(ctx, "ann"); err != nil || c.Handle != "ann" {
		t.Fatalf("backup lacks the citizen: %v", err)
	}
}
