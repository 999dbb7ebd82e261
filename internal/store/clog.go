package store

import (
	"golang.org/x/mod/sumdb/note"
)

// LogKeys signs community log checkpoints (keyring.LogKeys).
type LogKeys interface {
	// LogSigner returns the note signer and vkey of the log of origin.
	LogSigner(origin string) (note.Signer, string, error)
}

// LogConfig turns the community logs on (docs/spec/log.md): every vote,
// withdrawal, delegation change and key registration then becomes a signed
// statement appended to its community's log in the same transaction.
type LogConfig struct {
	// Base is the URL the logs are served under, ending in "/logs/";
	// a community's log is Base + slug + "/", its origin that without
	// the scheme (fixed at the log's first append).
	Base string
	Keys LogKeys
}

// CommunityLog is a community's log row.
type CommunityLog struct {
	CommunityID int64 `gorm:"primaryKey;autoIncrement:false"`
	Origin      string
	Size        int64
}

// Receipt is what a submission answers: the statement's log index, a
// signed checkpoint that includes it and the inclusion proof (hex hashes,
// leaf upward), and the statement's hash (the prev of the citizen's next).
type Receipt struct {
	Index      int64    `json:"index"`
	Hash       string   `json:"hash"`
	Checkpoint string   `json:"checkpoint"`
	Inclusion  []string `json:"inclusion"`
	Custodial  bool     `json:"custodial"`
}

// LogInfo names a community's log: origin, URL and verifier key.
type LogInfo struct {
	Origin string `json:"origin"`
	URL    string `json:"url"`
	VKey   string `json:"vkey"`
	Size   int64  `json:"-"`
}
