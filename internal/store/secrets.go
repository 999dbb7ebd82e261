package store

import (
	"errors"
)

// ErrNoDataKey: the store was opened without a SecretBox.
var ErrNoDataKey = errors.New("store: no data key to seal or open ballot secrets")
