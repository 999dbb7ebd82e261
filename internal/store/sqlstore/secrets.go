package sqlstore

import (
	"context"
	"encoding/hex"
	"fmt"

	"gorm.io/gorm"
)

// SecretBox seals the secrets the database keeps for the server only: a
// ballot's pseudonym secret (keyring.DataKey, whose key is in the keys
// dir). A copy of the database alone cannot unmask pseudonyms.
type SecretBox interface {
	Seal(plain []byte) (string, error)
	Open(sealed string) ([]byte, error)
}

// newBallotSecret returns a fresh pseudonym secret, sealed.
func (s *Store) newBallotSecret() (string, error) {
	if s.box == nil {
		return "", ErrNoDataKey
	}
	raw, err := hex.DecodeString(NewSecret())
	if err != nil {
		return "", err
	}
	return s.box.Seal(raw)
}

// isPlainSecret reports a secret stored before the data key (64 hex digits).
func isPlainSecret(v string) bool {
	_, err := hex.DecodeString(v)
	return len(v) == 64 && err == nil
}

// ballotSecret is the ballot's pseudonym secret in clear (hex). A secret
// still in plain text (a database SealSecrets has not run on) is used as
// it is.
func (s *Store) ballotSecret(b Ballot) (string, error) {
	if isPlainSecret(b.Secret) {
		return b.Secret, nil
	}
	if s.box == nil {
		return "", ErrNoDataKey
	}
	raw, err := s.box.Open(b.Secret)
	if err != nil {
		return "", fmt.Errorf("store: secret of ballot %d: %w", b.ID, err)
	}
	return hex.EncodeToString(raw), nil
}

// SealSecrets encrypts every ballot secret still in plain text (databases
// from before the data key) and returns how many it sealed; koinon serve
// runs it at every start.
func (s *Store) SealSecrets(ctx context.Context) (int, error) {
	if s.box == nil {
		return 0, ErrNoDataKey
	}
	n := 0
	err := s.tx(ctx, func(tx *gorm.DB) error {
		var bs []Ballot
		if err := tx.Select("id", "secret").Find(&bs).Error; err != nil {
			return err
		}
		for _, b := range bs {
			if !isPlainSecret(b.Secret) {
				continue
			}
			raw, _ := hex.DecodeString(b.Secret)
			sealed, err := s.box.Seal(raw)
			if err != nil {
				return err
			}
			if err := tx.Model(&Ballot{}).Where("id = ?", b.ID).Update("secret", sealed).Error; err != nil {
				return err
			}
			n++
		}
		return nil
	})
	return n, wrap(err, "seal ballot secrets")
}
