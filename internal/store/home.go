package store

// HomeBallot is a ballot on a citizen's home page, with its community.
type HomeBallot struct {
	Ballot
	CommunitySlug string
	CommunityName string
}

// GoneDelegate is a delegate on one of a citizen's lists who is no longer
// a member of the list's community: that entry of the list is skipped.
type GoneDelegate struct {
	CommunitySlug string
	CommunityName string
	ScopeKey      string
	ScopeName     string // the topic's name or the ballot's title; "" for the community
	Handle        string
}

// LiveInput is what resolving an open ballot's delegations as they stand
// needs: its frozen roll (by handle), every citizen's effective delegate
// list (EffectiveLists) and the citizens who have voted.
type LiveInput struct {
	Roll   []RollEntry
	Lists  map[int64][]int64
	Voters []int64
}
