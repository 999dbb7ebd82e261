package keyring

import (
	"crypto/hmac"
	"crypto/sha256"
	"fmt"
	"path/filepath"
	"sync"

	"golang.org/x/mod/sumdb/note"

	"koinon/internal/clog"
)

// LogKeys holds the keys that sign community log checkpoints
// (docs/spec/log.md). One random seed in DATA/keys/log.key (0600) gives
// each log its own Ed25519 key: the seed of the log with origin O is
// HMAC-SHA256(seed, "koinon/v1/log-key\n" ‖ O), and the key is named O.
// Every `koinon serve` sharing the keys dir signs with the same keys.
type LogKeys struct {
	seed []byte
	mu   sync.Mutex
	keys map[string]logKey // by origin
}

type logKey struct {
	signer note.Signer
	vkey   string
}

// OpenLogKeys loads DATA/keys/log.key, creating it when missing.
func OpenLogKeys(dataDir string) (*LogKeys, error) {
	seed, err := loadOrCreateSecret(filepath.Join(dataDir, "keys", "log.key"))
	if err != nil {
		return nil, err
	}
	return &LogKeys{seed: seed, keys: map[string]logKey{}}, nil
}

// LogSigner returns the note signer and the verifier key (vkey) of the
// log with the given origin.
func (k *LogKeys) LogSigner(origin string) (note.Signer, string, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if lk, ok := k.keys[origin]; ok {
		return lk.signer, lk.vkey, nil
	}
	mac := hmac.New(sha256.New, k.seed)
	mac.Write([]byte("koinon/v1/log-key\n" + origin))
	skey, vkey, err := clog.NoteKeys(origin, mac.Sum(nil))
	if err != nil {
		return nil, "", fmt.Errorf("keyring: log key of %s: %w", origin, err)
	}
	s, err := note.NewSigner(skey)
	if err != nil {
		return nil, "", fmt.Errorf("keyring: log key of %s: %w", origin, err)
	}
	k.keys[origin] = logKey{s, vkey}
	return s, vkey, nil
}
