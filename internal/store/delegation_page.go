package store

import (
	"time"
)

// DelegateStatus is whether a delegate is still a member of the community
// and when they last voted there (nil: never).
type DelegateStatus struct {
	Member   bool
	LastVote *time.Time
}

// DelegationPage is what the delegation page shows of one citizen in one
// community, read by one store call.
type DelegationPage struct {
	Members    []string                 // handles of the other current members
	Lists      []DelegationList         // the citizen's lists (DelegationsOf)
	Topics     []Topic                  // the community's topics, by name
	Open       []Ballot                 // open ballots, closing first
	Live       map[int64]LiveInput      // per open ballot (LiveInputs)
	Delegators []Delegator              // who names the citizen (DelegatorsOf)
	Notices    []DelegationNotice       // the latest ten start/stop events
	Delegates  map[int64]DelegateStatus // per delegate in Lists
	HasClosed  bool                     // the community has closed a ballot
}
