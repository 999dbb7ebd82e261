package store

// LogWitness is a witness a community's board configured for its log: it
// speaks C2SP tlog-witness at URL and cosigns with VKey, whose name is
// Name. Cosigned is the size of the latest checkpoint it cosigned for the
// server (0 if none; read, not stored). LastError is the latest refusal or
// failure the server met submitting to it, empty after a cosignature.
type LogWitness struct {
	CommunityID int64  `json:"-"`
	Name        string `json:"name"`
	VKey        string `json:"vkey" gorm:"column:vkey"`
	URL         string `json:"url" gorm:"column:url"`
	Position    int    `json:"-"`
	LastError   string `json:"last_error"`
	Cosigned    int64  `json:"cosigned_size" gorm:"-"`
}

// TableName is the table of LogWitness.
func (LogWitness) TableName() string { return "log_witnesses" }

// WitnessConfig is a community's witnesses and how many of them must
// cosign a close checkpoint before a seal is issued.
type WitnessConfig struct {
	Quorum    int          `json:"quorum"`
	Witnesses []LogWitness `json:"witnesses"`
}

// Cosignature is a witness's cosignature of the community log's checkpoint
// of Size with Root (hex): Line is its signed-note signature line.
type Cosignature struct {
	CommunityID int64
	Witness     string
	Size        int64
	Root        string
	Line        string
}

// TableName is the table of Cosignature.
func (Cosignature) TableName() string { return "log_cosignatures" }
