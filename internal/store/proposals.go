package store

// ProposalSummary is a proposal with its author's handle, topic and
// support count, for lists and pages.
type ProposalSummary struct {
	Proposal
	AuthorHandle string
	TopicSlug    string
	TopicName    string
	Supporters   int64
	// BallotState is the state of the proposal's ballot ("" without one).
	BallotState string
}
