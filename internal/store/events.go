package store

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// GenesisHash is the prev_hash of a ballot's first log entry.
const GenesisHash = "0000000000000000000000000000000000000000000000000000000000000000"

// Event kinds of a ballot's log.
const (
	EventOpened            = "opened"
	EventVoteCast          = "vote_cast"
	EventVoteReplaced      = "vote_replaced"
	EventVoteWithdrawn     = "vote_withdrawn"
	EventDelegationChanged = "delegation_changed"
	EventClosed            = "closed"
	EventSealed            = "sealed"
)

// EventHash is the hash of a log entry: the lowercase hex SHA-256 of
//
//	prev_hash "\n" ballot "\n" seq "\n" kind "\n" at "\n" payload
//
// with numbers in decimal, at in RFC 3339 UTC whole seconds and payload
// the stored JSON text. Anyone holding the log can recompute the chain.
func EventHash(prev string, ballotID, seq int64, kind string, at time.Time, payload string) string {
	h := sha256.New()
	h.Write([]byte(prev + "\n" + strconv.FormatInt(ballotID, 10) + "\n" + strconv.FormatInt(seq, 10) + "\n" +
		kind + "\n" + at.UTC().Format(time.RFC3339) + "\n" + payload))
	return hex.EncodeToString(h.Sum(nil))
}

// CheckLog recomputes the chain of events and returns the head, or an
// error naming the first entry that does not fit.
func CheckLog(ballotID int64, events []BallotEvent) (string, error) {
	prev := GenesisHash
	for i, e := range events {
		if e.Seq != int64(i+1) {
			return "", fmt.Errorf("log entry %d: seq %d, want %d", i, e.Seq, i+1)
		}
		if e.PrevHash != prev {
			return "", fmt.Errorf("log entry %d: prev_hash %s, want %s", e.Seq, e.PrevHash, prev)
		}
		if h := EventHash(prev, ballotID, e.Seq, e.Kind, e.At, e.Payload); !strings.EqualFold(h, e.Hash) {
			return "", fmt.Errorf("log entry %d: hash %s, want %s", e.Seq, e.Hash, h)
		}
		prev = e.Hash
	}
	return prev, nil
}
