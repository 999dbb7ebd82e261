package statement

import "errors"

// Verification failures. Each matches with errors.Is; the wrapped message
// adds the detail (which field, which key, which hash).
var (
	ErrMalformed         = errors.New("statement: malformed")
	ErrFormat            = errors.New("statement: unknown format")
	ErrKind              = errors.New("statement: unknown kind")
	ErrScope             = errors.New("statement: scope does not fit the kind")
	ErrContent           = errors.New("statement: content does not fit the kind")
	ErrKeyMismatch       = errors.New("statement: key id does not match the public key")
	ErrBadSignature      = errors.New("statement: bad signature")
	ErrOldKeySignature   = errors.New("statement: missing or bad signature of the replaced key")
	ErrUnknownKey        = errors.New("statement: unknown key")
	ErrRevokedKey        = errors.New("statement: revoked key")
	ErrKeyInUse          = errors.New("statement: key already registered")
	ErrNotOwner          = errors.New("statement: key belongs to another citizen")
	ErrCustodialMismatch = errors.New("statement: custodial flag differs from the key's registration")
	ErrOtherCommunity    = errors.New("statement: statement for another community")
	ErrNotBoard          = errors.New("statement: board statement signed by a non-board key")
	ErrReplay            = errors.New("statement: replayed statement")
	ErrStalePrev         = errors.New("statement: prev is an earlier statement, not the citizen's latest")
	ErrBrokenChain       = errors.New("statement: prev does not link to the citizen's previous statement")
	ErrTimeOrder         = errors.New("statement: at is earlier than the previous statement's")
	ErrBadNonce          = errors.New("statement: vote nonce is not 32 bytes")
	ErrCommitment        = errors.New("statement: opening does not match the commitment")
)
