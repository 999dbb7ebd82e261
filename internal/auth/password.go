// Package auth owns credentials: argon2id password hashes and the
// short-lived JWTs that the browser (in a cookie) and API clients (as a
// bearer token) present. It must not import the store, web or any HTTP
// framework: callers look the citizen up themselves.
package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Argon2id parameters (RFC 9106's second recommendation scaled to a small
// server, and OWASP's minimum): 19 MiB, 2 passes, 1 lane, 16-byte salt,
// 32-byte key. About 25 ms per hash on the 2-core reference machine.
const (
	argonMemory  = 19 * 1024
	argonTime    = 2
	argonThreads = 1
	argonKeyLen  = 32
	saltLen      = 16
)

// HashPassword returns a PHC-style argon2id string.
func HashPassword(pw string) (string, error) {
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("auth: salt: %w", err)
	}
	key := argon2.IDKey([]byte(pw), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, argonMemory, argonTime, argonThreads, b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// dummyHash is compared against when a handle does not exist, so that a
// login takes the same time whether or not the account exists.
const dummyHash = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$Z8Jx3cL8v4W3m6yq3Jrj1mWm3yD2g0oK5o6dS8k4ZbQ"

// CheckPassword reports whether pw matches encoded, in constant time. An
// empty encoded hash (an invited citizen without a password) never matches
// but costs the same time.
func CheckPassword(encoded, pw string) bool {
	if encoded == "" {
		encoded = dummyHash
		checkPassword(encoded, pw)
		return false
	}
	ok, err := checkPassword(encoded, pw)
	return err == nil && ok
}

func checkPassword(encoded, pw string) (bool, error) {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false, errors.New("auth: not an argon2id hash")
	}
	var m, t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil {
		return false, fmt.Errorf("auth: parameters: %w", err)
	}
	b64 := base64.RawStdEncoding
	salt, err := b64.DecodeString(parts[4])
	if err != nil {
		return false, err
	}
	want, err := b64.DecodeString(parts[5])
	if err != nil {
		return false, err
	}
	got := argon2.IDKey([]byte(pw), salt, t, m, p, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}
