package proof

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"koinon/internal/secret"
	"koinon/internal/tally"
)

// SecretKind is the Report.Kind of a secret-tally document.
const SecretKind = "secret-tally"

// VerifySecret checks a secret-tally document (secret-ballot.md §8): the
// ten numbered checks of internal/secret, listed up to the first failure.
// When all pass, Counts holds the decrypted totals.
func VerifySecret(data []byte) Report {
	r := Report{Kind: SecretKind}
	doc, err := secret.ParseDocument(data)
	if se := (*secret.ShapeError)(nil); errors.As(err, &se) {
		r.Error = err.Error()
		return r
	}
	r.Ballot = doc.Ballot.ID
	if err == nil {
		err = doc.Verify()
	}
	var ce *secret.CheckError
	failed := secret.Checks + 1
	if errors.As(err, &ce) {
		failed = ce.Check
	} else if err != nil { // not reached: Verify fails only with a *CheckError
		r.Error = err.Error()
		return r
	}
	for n := 1; n <= secret.Checks && n <= failed; n++ {
		c := Check{N: n, Name: secret.CheckName(n), OK: n != failed}
		if !c.OK {
			c.Reason = ce.Err.Error()
		}
		r.Checks = append(r.Checks, c)
	}
	var sealed struct {
		Result json.RawMessage `json:"result"`
	}
	if err == nil && json.Unmarshal(data, &sealed) == nil && len(sealed.Result) > 0 {
		// A sealed ballot proof (it has a result): check 11.
		if err = checkSecretResult(data); err != nil {
			r.Checks = append(r.Checks, Check{N: CheckResult, Name: "weights and result", Reason: err.Error()})
		} else {
			r.Checks = append(r.Checks, Check{N: CheckResult, Name: "weights and result", OK: true})
		}
	}
	if r.OK = err == nil; r.OK {
		totals, pairwise := doc.Totals()
		r.Counts, _ = json.Marshal(struct {
			Totals   map[string]int64 `json:"totals,omitempty"`
			Pairwise [][]int64        `json:"pairwise,omitempty"`
		}{totals, pairwise})
	}
	return r
}

// SecretBallotHash is an encrypted ballot's receipt (secret-ballot.md §4,
// "Benaloh challenge"): SHA-256 of its canonical JSON, as lowercase hex.
// The voter's device shows it before casting; the server returns it as the
// cast receipt, and the voter finds the ballot under it in the proof. It
// proves nothing about the choice.
func SecretBallotHash(b secret.Ballot) (string, error) {
	canon, err := Marshal(b)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(canon)
	return hex.EncodeToString(sum[:]), nil
}

// SecretTerms are the counting terms of a secret ballot (tally.md §1) as
// its sealed proof writes them, under "definition".
type SecretTerms struct {
	ID         string         `json:"id"`
	Title      string         `json:"title"`
	Community  string         `json:"community"`
	Topic      *string        `json:"topic"`
	Method     string         `json:"method"`
	Options    []tally.Option `json:"options"`
	Seats      int            `json:"seats"`
	Threshold  string         `json:"threshold"`
	Strict     bool           `json:"strict"`
	Quorum     string         `json:"quorum"`
	Delegation bool           `json:"delegation"`
	OpensAt    string         `json:"opens_at"`
	ClosesAt   string         `json:"closes_at"`
}

// SecretTerms returns b's counting terms.
func (b Ballot) SecretTerms() SecretTerms {
	return SecretTerms{ID: b.ID, Title: b.Title, Community: b.Community, Topic: b.Topic, Method: b.Method, Options: b.Options,
		Seats: b.Seats, Threshold: b.Threshold, Strict: b.Strict, Quorum: b.Quorum, Delegation: b.Delegation,
		OpensAt: b.OpensAt, ClosesAt: b.ClosesAt}
}

// TallyBallot is the engine's view of the terms.
func (t SecretTerms) TallyBallot() tally.Ballot {
	thr, _ := tally.ParseRational(t.Threshold)
	quo, _ := tally.ParseRational(t.Quorum)
	return tally.Ballot{Method: t.Method, Options: t.Options, Seats: t.Seats, Threshold: thr, Strict: t.Strict, Quorum: quo,
		Delegation: t.Delegation}
}

// SecretBallotProof is the sealed proof of a secret ballot
// (secret-ballot.md §11): a koinon-secret-tally/1 document (format,
// ballot, record) with what makes it a ballot's result: the counting
// terms, the electorate and its delegation graph, the tie-break order,
// the result, and every trustee's and voter's signed statement.
type SecretBallotProof struct {
	Format     string            `json:"format"`
	Ballot     secret.Definition `json:"ballot"`
	Record     secret.Record     `json:"record"`
	Definition SecretTerms       `json:"definition"`
	Electorate []tally.Entry     `json:"electorate"`
	Tiebreak   []string          `json:"tiebreak"`
	Result     json.RawMessage   `json:"result"`
	Statements []json.RawMessage `json:"statements"`
}

// CheckResult is the check a sealed secret ballot proof adds after the
// ten of the record: the weights and the result follow from the terms,
// the electorate and the counts.
const CheckResult = secret.Checks + 1

// SecretTiebreakSeed is the hex SHA-256 of the cast list's JSON as the
// record writes it: a secret ballot's tie-break order is
// tally.Tiebreak(seed, keys), as a public ballot's follows from its votes
// root.
func SecretTiebreakSeed(cast []secret.Cast) (string, error) {
	b, err := json.Marshal(cast)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), nil
}

// Recount counts the result from the decrypted counts (the record's), the
// terms and the electorate, with the cast ballots' voters as the votes
// (tally.CountAggregated).
func (p SecretBallotProof) Recount() (tally.Result, error) {
	votes := make([]tally.Vote, len(p.Record.Cast))
	for i, c := range p.Record.Cast {
		votes[i] = tally.Vote{Voter: c.Voter}
	}
	agg := tally.Aggregated{Totals: p.Record.Counts}
	if p.Ballot.Method == "schulze" {
		agg = tally.Aggregated{Pairwise: secretPairwise(p)}
	}
	return tally.CountAggregated(tally.Input{Ballot: p.Definition.TallyBallot(), Electorate: p.Electorate, Votes: votes, Tiebreak: p.Tiebreak}, agg)
}

func secretPairwise(p SecretBallotProof) [][]int64 {
	_, pw := secret.Document{Format: p.Format, Ballot: p.Ballot, Record: p.Record}.Totals()
	return pw
}

// checkSecretResult is check 11 of a sealed secret ballot proof: the
// definition and the terms agree; each cast ballot's weight is the weight
// the delegation resolution of the electorate gives its voter; the
// tie-break order follows from the cast list; the result is the recount.
func checkSecretResult(data []byte) error {
	var p SecretBallotProof
	if err := json.Unmarshal(data, &p); err != nil {
		return err
	}
	keys := make([]string, len(p.Ballot.Options))
	for i, o := range p.Ballot.Options {
		keys[i] = o.Key
	}
	if p.Definition.ID != p.Ballot.ID || p.Definition.Method != p.Ballot.Method || !slices.Equal(p.Definition.Options, p.Ballot.Options) {
		return errors.New("definition: id, method or options differ from the ballot's")
	}
	r, err := p.Recount()
	if err != nil {
		return fmt.Errorf("recount: %w", err)
	}
	if len(r.Carriers) != len(p.Record.Cast) {
		return fmt.Errorf("weights: %d casting voters in the resolution, %d cast ballots", len(r.Carriers), len(p.Record.Cast))
	}
	for i, c := range p.Record.Cast {
		if r.Carriers[i].Voter != c.Voter || r.Carriers[i].Weight != c.Weight {
			return fmt.Errorf("weights: cast %d (voter %q) has weight %d; the resolution gives %q weight %d", i, c.Voter, c.Weight,
				r.Carriers[i].Voter, r.Carriers[i].Weight)
		}
	}
	seed, err := SecretTiebreakSeed(p.Record.Cast)
	if err != nil {
		return err
	}
	if !slices.Equal(p.Tiebreak, tally.Tiebreak(seed, keys)) {
		return errors.New("tiebreak: not the order the cast list gives")
	}
	want, err := json.Marshal(r)
	if err != nil {
		return err
	}
	got, err := Canonicalize(p.Result)
	if err == nil {
		want, err = Canonicalize(want)
	}
	if err != nil {
		return fmt.Errorf("result: %w", err)
	}
	if !bytes.Equal(got, want) {
		return fmt.Errorf("result: not the recount of the counts (recount %s)", want)
	}
	return nil
}
