package keyring

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// The data key file is private and sealed values open only with it.
func TestDataKey(t *testing.T) {
	dir := t.TempDir()
	k, err := OpenDataKey(dir)
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(filepath.Join(dir, "keys", "data.key")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("data.key: %v, %v; want mode 600", fi, err)
	}
	sealed, err := k.Seal([]byte("secret"))
	if err != nil {
		t.Fatal(err)
	}
	again, err := OpenDataKey(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := again.Open(sealed); err != nil || string(got) != "secret" {
		t.Errorf("reopened key: %q, %v", got, err)
	}
	other, err := OpenDataKey(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := other.Open(sealed); !errors.Is(err, ErrNotSealed) {
		t.Errorf("another key opened it: %v", err)
	}
	if _, err := k.Open(sealed[:len(sealed)-4] + "AAAA"); err == nil {
		t.Error("a changed value opened")
	}
}
