package keyring

import (
	"crypto/ed25519"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"koinon/internal/proof"
)

func fixedClock(t0 time.Time) func() time.Time {
	n := 0
	return func() time.Time { n++; return t0.Add(time.Duration(n) * time.Hour) }
}

func TestOpenCreatesPrivateKey(t *testing.T) {
	dir := t.TempDir()
	k, err := OpenWithClock(dir, fixedClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)))
	if err != nil {
		t.Fatal(err)
	}
	cur := k.Current()
	if cur.ID != proof.KeyID(cur.Public) || !cur.Until.IsZero() {
		t.Errorf("current key %+v: want matching id and no end", cur)
	}
	fi, err := os.Stat(filepath.Join(dir, "keys", cur.ID+".json"))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("key file mode %v, want 0600", fi.Mode().Perm())
	}
	if !ed25519.PublicKey(cur.Public).Equal(k.Signer().Public()) {
		t.Error("signer does not match the current public key")
	}

	again, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if again.Current().ID != cur.ID || len(again.Keys()) != 1 {
		t.Errorf("reopen: got %d keys, current %s; want the same single key %s", len(again.Keys()), again.Current().ID, cur.ID)
	}
}

func TestRotateKeepsOldKeys(t *testing.T) {
	dir := t.TempDir()
	k, err := OpenWithClock(dir, fixedClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)))
	if err != nil {
		t.Fatal(err)
	}
	first := k.Current()
	second, err := k.Rotate()
	if err != nil {
		t.Fatal(err)
	}
	if second.ID == first.ID || k.Current().ID != second.ID {
		t.Fatalf("rotate: current %s, want a new key %s", k.Current().ID, second.ID)
	}
	reopened, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	keys := reopened.Keys()
	if len(keys) != 2 || keys[0].ID != first.ID || keys[1].ID != second.ID {
		t.Fatalf("reopen after rotate: got %v, want [%s %s]", keys, first.ID, second.ID)
	}
	if !keys[0].Until.Equal(keys[1].From) || !keys[1].Until.IsZero() {
		t.Errorf("validity: first until %v, second from %v until %v", keys[0].Until, keys[1].From, keys[1].Until)
	}
	pk := reopened.PublicKeys()
	if pk.KeyID != second.ID || len(pk.Previous) != 1 || pk.Previous[0].KeyID != first.ID {
		t.Errorf("PublicKeys = %+v", pk)
	}
	if pk.Previous[0].Until != "2026-01-01T02:00:00Z" {
		t.Errorf("previous until %q, want 2026-01-01T02:00:00Z", pk.Previous[0].Until)
	}
	b, _ := json.Marshal(pk)
	if strings.Contains(string(b), "seed") {
		t.Errorf("public keys leak a private field: %s", b)
	}
	got, err := ParsePublicKey(string(b))
	if err != nil || !ed25519.PublicKey(got).Equal(second.Public) {
		t.Errorf("ParsePublicKey(well-known JSON) = %x, %v", got, err)
	}
}

func TestOpenRejectsTamperedFile(t *testing.T) {
	dir := t.TempDir()
	k, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	other, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	name := filepath.Join(dir, "keys", k.Current().ID+".json")
	b, _ := os.ReadFile(name)
	var kf keyFile
	_ = json.Unmarshal(b, &kf)
	kf.PublicKey = other.PublicKeys().PublicKey
	b, _ = json.Marshal(kf)
	if err := os.WriteFile(name, b, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(dir); err == nil {
		t.Error("Open accepted a key file whose public key does not match its seed")
	}
}
