package store

import (
	"time"
)

// BaselineRow is a row of the load test's baseline table: the shape of a
// vote, without its checks, log entry or HTTP.
type BaselineRow struct {
	ID        int64
	BallotID  int64
	CitizenID int64
	Choice    string
	Receipt   string
	CastAt    time.Time
}

// TableName is the baseline's scratch table.
func (BaselineRow) TableName() string { return "loadtest_baseline" }
