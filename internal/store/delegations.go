package store

import (
	"fmt"
	"strconv"
	"strings"
)

// Scope names what a delegation list applies to: the whole community, one
// topic or one ballot (tally.md §2). TopicID and BallotID are 0 when unset;
// at most one is set.
type Scope struct {
	CommunityID int64
	TopicID     int64
	BallotID    int64
}

// Key is the scope's ScopeKey: "c", "t:ID" or "b:ID".
func (sc Scope) Key() string {
	switch {
	case sc.BallotID > 0:
		return "b:" + strconv.FormatInt(sc.BallotID, 10)
	case sc.TopicID > 0:
		return "t:" + strconv.FormatInt(sc.TopicID, 10)
	}
	return "c"
}

// ParseScopeKey reads a ScopeKey back.
func ParseScopeKey(communityID int64, key string) (Scope, error) {
	sc := Scope{CommunityID: communityID}
	if key == "c" {
		return sc, nil
	}
	kind, id, ok := strings.Cut(key, ":")
	n, err := strconv.ParseInt(id, 10, 64)
	if !ok || err != nil || n <= 0 {
		return sc, fmt.Errorf("store: bad scope key %q", key)
	}
	switch kind {
	case "t":
		sc.TopicID = n
	case "b":
		sc.BallotID = n
	default:
		return sc, fmt.Errorf("store: bad scope key %q", key)
	}
	return sc, nil
}

// DelegationList is one of a citizen's lists with its delegates in
// priority order (empty for an explicit "I vote myself here").
type DelegationList struct {
	Delegation
	Delegates []Citizen
}

// ScopeKind names the kind of scope a ScopeKey stands for: "community",
// "topic" or "ballot".
func ScopeKind(key string) string {
	switch key[0] {
	case 't':
		return "topic"
	case 'b':
		return "ballot"
	}
	return "community"
}

// ScopeKeys are the keys of the scopes whose lists apply to ballot b, the
// most specific first (tally.md §2): the ballot's own, its topic's, the
// community's. Of a citizen's lists, the first of these decides.
func ScopeKeys(b Ballot) []string {
	keys := []string{"b:" + strconv.FormatInt(b.ID, 10)}
	if b.TopicID != nil {
		keys = append(keys, "t:"+strconv.FormatInt(*b.TopicID, 10))
	}
	return append(keys, "c")
}

// ScopeRank is the precedence of a list under key among those that apply
// to a ballot (ScopeKeys): 3 for the ballot's own, 2 for its topic's, 1 for
// the community's, and 0 for "" (no list).
func ScopeRank(key string) int {
	switch {
	case key == "":
		return 0
	case key == "c":
		return 1
	case key[0] == 't':
		return 2
	}
	return 3
}

// Delegator is someone who lists a delegate, with the scope and the
// position (0: first choice) of the delegate in the list.
type Delegator struct {
	Citizen  Citizen
	ScopeKey string
	Position int
	Weight   int64 // current membership weight (0 when no longer a member)
}

// DelegationNotice is a start or stop event about the delegate, with the
// delegator's handle.
type DelegationNotice struct {
	DelegationEvent
	Handle string
}
