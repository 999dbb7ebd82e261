package keyring

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// DataKey encrypts secrets the database keeps but must not reveal on its
// own (a ballot's pseudonym secret): AES-256-GCM under a random key in
// DATA/keys/data.key (0600). A copy of the database without the keys dir
// cannot open them.
type DataKey struct{ aead cipher.AEAD }

// sealedPrefix marks a sealed value and its format version.
const sealedPrefix = "gcm1:"

// dataKeyAD binds sealed values to their use.
var dataKeyAD = []byte("koinon data key v1")

// OpenDataKey loads DATA/keys/data.key, creating it when missing.
func OpenDataKey(dataDir string) (*DataKey, error) {
	key, err := loadOrCreateSecret(filepath.Join(dataDir, "keys", "data.key"))
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("keyring: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("keyring: %w", err)
	}
	return &DataKey{aead: aead}, nil
}

// Secret loads the 32-byte key DATA/keys/NAME, creating it (0600, random)
// when missing (keys/notify.key signs unsubscribe links).
func Secret(dataDir, name string) ([]byte, error) {
	return loadOrCreateSecret(filepath.Join(dataDir, "keys", name))
}

// loadOrCreateSecret reads a 32-byte secret from name, creating it (0600,
// random) when missing.
func loadOrCreateSecret(name string) ([]byte, error) {
	key, err := os.ReadFile(name)
	if errors.Is(err, os.ErrNotExist) {
		if err := os.MkdirAll(filepath.Dir(name), 0o700); err != nil {
			return nil, fmt.Errorf("keyring: %w", err)
		}
		key = make([]byte, 32)
		if _, err := rand.Read(key); err != nil {
			return nil, fmt.Errorf("keyring: %w", err)
		}
		if err := writeNewFile(name, key); err != nil {
			return nil, err
		}
		// Another process may have created it first: use the one on disk.
		key, err = os.ReadFile(name)
	}
	if err != nil {
		return nil, fmt.Errorf("keyring: %s: %w", filepath.Base(name), err)
	}
	if len(key) != 32 {
		return nil, fmt.Errorf("keyring: %s has %d bytes, want 32", name, len(key))
	}
	return key, nil
}

// writeNewFile creates name (0600) with data unless it exists already.
func writeNewFile(name string, data []byte) error {
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("keyring: create data key: %w", err)
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(name)
		return fmt.Errorf("keyring: write data key: %w", err)
	}
	return nil
}

// Seal encrypts plain with a fresh random nonce.
func (k *DataKey) Seal(plain []byte) (string, error) {
	nonce := make([]byte, k.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", fmt.Errorf("keyring: %w", err)
	}
	return sealedPrefix + base64.StdEncoding.EncodeToString(k.aead.Seal(nonce, nonce, plain, dataKeyAD)), nil
}

// ErrNotSealed: the value was not sealed by a data key, or not by this one.
var ErrNotSealed = errors.New("keyring: not sealed with this data key")

// Open decrypts a value made by Seal with the same key.
func (k *DataKey) Open(sealed string) ([]byte, error) {
	raw, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(sealed, sealedPrefix))
	n := k.aead.NonceSize()
	if !strings.HasPrefix(sealed, sealedPrefix) || err != nil || len(raw) < n {
		return nil, ErrNotSealed
	}
	plain, err := k.aead.Open(nil, raw[:n], raw[n:], dataKeyAD)
	if err != nil {
		return nil, ErrNotSealed
	}
	return plain, nil
}
