package store

// CloseLog is the community log as a public ballot closes: its name and
// key, the size when the ballot closed (CloseSize), the signed checkpoint
// after the ballot's vote openings were appended, and every entry up to
// that checkpoint. A koinon-tally-proof/2 is built from it.
type CloseLog struct {
	CommunityID int64
	Origin      string
	VKey        string
	Checkpoint  []byte
	CloseSize   int64
	Entries     [][]byte
	// Before is the signed checkpoint of size CloseSize (the log as every
	// earlier transaction left it). Witnesses is the community's witness
	// configuration: when its quorum is above zero, the close checkpoint
	// must be cosigned by that many witnesses before it is sealed
	// (internal/cosigning).
	Before    []byte
	Witnesses WitnessConfig
}
