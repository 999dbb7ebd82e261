// Package keyring keeps the platform's Ed25519 signing keys in the data
// directory (DATA/keys/, one 0600 file per key). The newest key signs; older
// keys stay listed with their validity so that old proofs still verify.
// Private keys never leave this package except as the current signer.
// It imports the standard library only: never the store or web.
package keyring

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"koinon/internal/proof"
)

// Key is a public signing key and its validity: it signed from From until
// Until (zero for the current key).
type Key struct {
	ID     string
	Public ed25519.PublicKey
	From   time.Time
	Until  time.Time
}

// Keyring holds the platform keys of one data directory.
type Keyring struct {
	dir string
	now func() time.Time

	mu      sync.RWMutex
	keys    []Key // oldest first; the last is current
	current ed25519.PrivateKey
}

// keyFile is the stored form of one key.
type keyFile struct {
	KeyID     string    `json:"key_id"`
	PublicKey string    `json:"public_key"`
	Seed      string    `json:"seed"` // the 32-byte private seed, base64
	Created   time.Time `json:"created"`
}

// Open loads the keys in dataDir/keys, creating the directory and a first
// key when there is none.
func Open(dataDir string) (*Keyring, error) { return OpenWithClock(dataDir, time.Now) }

// OpenWithClock is Open with the clock used to date new keys.
func OpenWithClock(dataDir string, now func() time.Time) (*Keyring, error) {
	k := &Keyring{dir: filepath.Join(dataDir, "keys"), now: now}
	if err := os.MkdirAll(k.dir, 0o700); err != nil {
		return nil, fmt.Errorf("keyring: %w", err)
	}
	names, err := filepath.Glob(filepath.Join(k.dir, "*.json"))
	if err != nil {
		return nil, fmt.Errorf("keyring: %w", err)
	}
	type loaded struct {
		Key
		priv ed25519.PrivateKey
	}
	var all []loaded
	for _, name := range names {
		kf, priv, err := readKey(name)
		if err != nil {
			return nil, err
		}
		all = append(all, loaded{Key{ID: kf.KeyID, Public: priv.Public().(ed25519.PublicKey), From: kf.Created}, priv})
	}
	if len(all) == 0 {
		if _, err := k.Rotate(); err != nil {
			return nil, err
		}
		return k, nil
	}
	slices.SortFunc(all, func(a, b loaded) int { return a.From.Compare(b.From) })
	for i := range all {
		if i+1 < len(all) {
			all[i].Until = all[i+1].From
		}
		k.keys = append(k.keys, all[i].Key)
	}
	k.current = all[len(all)-1].priv
	return k, nil
}

func readKey(name string) (keyFile, ed25519.PrivateKey, error) {
	var kf keyFile
	b, err := os.ReadFile(name)
	if err != nil {
		return kf, nil, fmt.Errorf("keyring: %w", err)
	}
	if err := json.Unmarshal(b, &kf); err != nil {
		return kf, nil, fmt.Errorf("keyring: read %s: %w", filepath.Base(name), err)
	}
	seed, err := base64.StdEncoding.DecodeString(kf.Seed)
	if err != nil || len(seed) != ed25519.SeedSize {
		return kf, nil, fmt.Errorf("keyring: read %s: bad seed", filepath.Base(name))
	}
	priv := ed25519.NewKeyFromSeed(seed)
	pub := priv.Public().(ed25519.PublicKey)
	if proof.KeyID(pub) != kf.KeyID || base64.StdEncoding.EncodeToString(pub) != kf.PublicKey {
		return kf, nil, fmt.Errorf("keyring: read %s: key_id or public_key does not match the seed", filepath.Base(name))
	}
	return kf, priv, nil
}

// Signer returns the current private key.
func (k *Keyring) Signer() ed25519.PrivateKey {
	k.mu.RLock()
	defer k.mu.RUnlock()
	return k.current
}

// Current returns the current public key.
func (k *Keyring) Current() Key {
	k.mu.RLock()
	defer k.mu.RUnlock()
	return k.keys[len(k.keys)-1]
}

// Keys returns every key, oldest first; the last is current.
func (k *Keyring) Keys() []Key {
	k.mu.RLock()
	defer k.mu.RUnlock()
	return slices.Clone(k.keys)
}

// Lookup returns the key with the given id.
func (k *Keyring) Lookup(id string) (Key, bool) {
	k.mu.RLock()
	defer k.mu.RUnlock()
	i := slices.IndexFunc(k.keys, func(key Key) bool { return key.ID == id })
	if i < 0 {
		return Key{}, false
	}
	return k.keys[i], true
}

// Rotate makes a new current key. The old ones stay listed, valid until now.
func (k *Keyring) Rotate() (Key, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return Key{}, fmt.Errorf("keyring: generate: %w", err)
	}
	from := k.now().UTC()
	if n := len(k.keys); n > 0 && !from.After(k.keys[n-1].From) {
		from = k.keys[n-1].From.Add(time.Nanosecond) // keep the order strict
	}
	key := Key{ID: proof.KeyID(pub), Public: pub, From: from}
	kf := keyFile{
		KeyID:     key.ID,
		PublicKey: base64.StdEncoding.EncodeToString(pub),
		Seed:      base64.StdEncoding.EncodeToString(priv.Seed()),
		Created:   from,
	}
	b, err := json.MarshalIndent(kf, "", "  ")
	if err != nil {
		return Key{}, fmt.Errorf("keyring: %w", err)
	}
	if err := WriteFile(filepath.Join(k.dir, key.ID+".json"), append(b, '\n')); err != nil {
		return Key{}, err
	}
	if n := len(k.keys); n > 0 {
		k.keys[n-1].Until = from
	}
	k.keys = append(k.keys, key)
	k.current = priv
	return key, nil
}

// WriteFile writes a private file atomically: a 0600 temporary file in the
// same directory, synced, then renamed into place.
func WriteFile(name string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(name), ".key-*")
	if err != nil {
		return fmt.Errorf("keyring: %w", err)
	}
	tmp := f.Name()
	err = f.Chmod(0o600)
	if err == nil {
		_, err = f.Write(data)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, name)
	}
	if err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("keyring: write %s: %w", filepath.Base(name), err)
	}
	return nil
}

// PublicKeys is the body of GET /.well-known/koinon-key: the current key,
// and older keys with the period in which they signed.
type PublicKeys struct {
	KeyID     string        `json:"key_id"`
	PublicKey string        `json:"public_key"`
	From      string        `json:"from"`
	Previous  []PreviousKey `json:"previous"`
}

// PreviousKey is a retired key and its validity.
type PreviousKey struct {
	KeyID     string `json:"key_id"`
	PublicKey string `json:"public_key"`
	From      string `json:"from"`
	Until     string `json:"until"`
}

// PublicKeys lists the public keys, newest previous key first.
func (k *Keyring) PublicKeys() PublicKeys {
	keys := k.Keys()
	cur := keys[len(keys)-1]
	pk := PublicKeys{
		KeyID:     cur.ID,
		PublicKey: base64.StdEncoding.EncodeToString(cur.Public),
		From:      stamp(cur.From),
		Previous:  []PreviousKey{},
	}
	for i := len(keys) - 2; i >= 0; i-- {
		pk.Previous = append(pk.Previous, PreviousKey{
			KeyID:     keys[i].ID,
			PublicKey: base64.StdEncoding.EncodeToString(keys[i].Public),
			From:      stamp(keys[i].From),
			Until:     stamp(keys[i].Until),
		})
	}
	return pk
}

func stamp(t time.Time) string { return t.UTC().Truncate(time.Second).Format(proof.TimeLayout) }

// ParsePublicKey reads a trusted key as an auditor may hold it: the base64
// of the 32 raw bytes, or the JSON of GET /.well-known/koinon-key (its
// current key).
func ParsePublicKey(text string) (ed25519.PublicKey, error) {
	text = strings.TrimSpace(text)
	if strings.HasPrefix(text, "{") {
		var pk PublicKeys
		if err := json.Unmarshal([]byte(text), &pk); err != nil {
			return nil, fmt.Errorf("public key: %w", err)
		}
		text = pk.PublicKey
	}
	raw, err := base64.StdEncoding.DecodeString(text)
	if err != nil {
		return nil, fmt.Errorf("public key: not base64: %w", err)
	}
	if len(raw) != ed25519.PublicKeySize {
		return nil, errors.New("public key: want 32 bytes")
	}
	return raw, nil
}
