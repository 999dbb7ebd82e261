package store

// CloseLog is the community log as a public ballot closes: its name and
// key, the size when the ballot closed (CloseSize), the signed checkpoint
// after the ballot's vote openings were appended, and every entry up to
// that checkpoint. A koinon-tally-proof/2 is built from it.
type CloseLog struct {
	Origin     string
	VKey       string
	Checkpoint []byte
	CloseSize  int64
	Entries    [][]byte
}
