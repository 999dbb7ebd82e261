package proof2

import (
	"encoding/json"
	"fmt"

	"koinon/internal/clog"
	"koinon/internal/proof"
	"koinon/internal/statement"
	"koinon/internal/tally"
)

// replay runs entries (log indexes index, in order) through the checks of
// statements.md and returns the citizen each entry is by, and the
// positions of commitments without an opening. Board authority is not
// checked: the board's roll is not part of a proof.
func replay(community string, index []int64, entries []clog.Entry) (citizens []string, unopened []int, err error) {
	st := statement.NewState(community, func(string) bool { return true })
	if unopened, err = clog.CheckStatementsAt(entries, index, st); err != nil {
		return nil, nil, err
	}
	citizens = make([]string, len(entries))
	for i, e := range entries {
		key := e.Key
		if e.Envelope != nil {
			key = e.Envelope.Parsed().Key
		}
		if k, ok := st.Key(key); ok {
			citizens[i] = k.Citizen
		}
	}
	return citizens, unopened, nil
}

// signed is a statement that counts and the log index where it took
// effect (for an opened vote, its commitment's).
type signed struct {
	index int64
	env   *statement.Envelope
}

func (s signed) custodial() bool { return s.env != nil && s.env.Custodial }

// evidence is what the statements say, at the close: each citizen's latest
// delegation list per scope and latest vote on the ballot.
type evidence struct {
	ballot *proof.Ballot
	lists  map[string]map[string]signed // citizen → scope → latest delegate
	votes  map[string]signed            // citizen → latest vote (withdrawn: absent)
}

// collect reads the statements of entries (replayed, see replay) that took
// effect before closeSize. A commitment on the ballot without its opening
// is an error: the vote behind it cannot be counted or left out.
func collect(b *proof.Ballot, closeSize int64, index []int64, entries []clog.Entry, citizens []string, unopened []int) (*evidence, error) {
	ev := &evidence{ballot: b, lists: map[string]map[string]signed{}, votes: map[string]signed{}}
	openings := map[string]*statement.Envelope{}
	for _, e := range entries {
		if e.Type == clog.TypeOpening {
			openings[e.Commitment] = e.Envelope
		}
	}
	scope := statement.BallotScope(b.ID)
	hidden := set(unopened)
	for i, e := range entries {
		if index[i] >= closeSize {
			break
		}
		c := citizens[i]
		switch e.Type {
		case clog.TypeCommitment:
			if e.Ballot != b.ID {
				continue
			}
			if hidden[i] {
				return nil, fmt.Errorf("entry %d: %s's vote commitment on ballot %s has no opening", index[i], c, b.ID)
			}
			ev.votes[c] = signed{index[i], openings[e.Commitment]}
		case clog.TypeStatement:
			s := e.Envelope.Parsed()
			switch {
			case s.Kind == statement.Delegate:
				var dc statement.DelegateContent
				_ = json.Unmarshal(s.Content, &dc) // shape checked by ParseEntry
				if ev.lists[c] == nil {
					ev.lists[c] = map[string]signed{}
				}
				if dc.Remove {
					delete(ev.lists[c], s.Scope)
				} else {
					ev.lists[c][s.Scope] = signed{index[i], e.Envelope}
				}
			case s.Kind == statement.Vote && s.Scope == scope:
				ev.votes[c] = signed{index[i], e.Envelope}
			case s.Kind == statement.VoteWithdraw && s.Scope == scope:
				delete(ev.votes, c)
			}
		}
	}
	return ev, nil
}

// effective returns voter's effective delegation list (tally.md §2: the
// narrowest scope that has an entry — ballot, topic, community — else
// empty; empty when the ballot takes no delegation) and the statement it
// comes from (zero when none).
func (ev *evidence) effective(voter string) ([]string, signed) {
	if !ev.ballot.Delegation {
		return []string{}, signed{}
	}
	scopes := []string{statement.BallotScope(ev.ballot.ID)}
	if ev.ballot.Topic != nil {
		scopes = append(scopes, statement.TopicScope(*ev.ballot.Topic))
	}
	scopes = append(scopes, statement.ScopeCommunity)
	for _, sc := range scopes {
		if s, ok := ev.lists[voter][sc]; ok {
			var dc statement.DelegateContent
			_ = json.Unmarshal(s.env.Parsed().Content, &dc)
			return dc.Delegates, s
		}
	}
	return []string{}, signed{}
}

// choice returns the canonical choice of a vote statement.
func choice(s signed) (json.RawMessage, error) {
	var vc statement.VoteContent
	if err := json.Unmarshal(s.env.Parsed().Content, &vc); err != nil {
		return nil, err
	}
	return proof.Canonicalize(vc.Choice)
}

// countDoc returns the count document (proof/1 members ballot, electorate,
// votes) that the evidence gives for the roll (voters and weights).
func (ev *evidence) countDoc(ballot json.RawMessage, roll []tally.Entry) (*proof.Document, error) {
	type vote struct {
		Choice json.RawMessage `json:"choice"`
		Voter  string          `json:"voter"`
	}
	electorate := make([]tally.Entry, len(roll))
	votes := []vote{}
	for i, r := range roll {
		electorate[i] = tally.Entry{Voter: r.Voter, Weight: r.Weight}
		electorate[i].Delegates, _ = ev.effective(r.Voter)
		if s, ok := ev.votes[r.Voter]; ok {
			c, err := choice(s)
			if err != nil {
				return nil, fmt.Errorf("entry %d: %s's choice: %w", s.index, r.Voter, err)
			}
			votes = append(votes, vote{c, r.Voter})
		}
	}
	e, err := proof.Marshal(electorate)
	if err != nil {
		return nil, err
	}
	v, err := proof.Marshal(votes)
	if err != nil {
		return nil, err
	}
	return count1(ballot, e, v)
}

// custodialWeight is the counted weight that relied on a custodial key:
// a casting voter's weight when their vote was made with one; a delegating
// voter's weight when their effective list, or the vote of the voter it
// reached, was.
func (ev *evidence) custodialWeight(roll []tally.Entry, result json.RawMessage) (int64, error) {
	var r struct {
		Resolution []tally.ResolutionRow `json:"resolution"`
	}
	if err := json.Unmarshal(result, &r); err != nil {
		return 0, err
	}
	weight := map[string]int64{}
	for _, e := range roll {
		weight[e.Voter] = e.Weight
	}
	var w int64
	for _, row := range r.Resolution {
		var rely bool
		switch row.State {
		case tally.StateCast:
			rely = ev.votes[row.Voter].custodial()
		case tally.StateDelegated:
			_, list := ev.effective(row.Voter)
			rely = list.custodial() || ev.votes[row.To].custodial()
		}
		if rely {
			w += weight[row.Voter]
		}
	}
	return w, nil
}

func set(xs []int) map[int]bool {
	m := make(map[int]bool, len(xs))
	for _, x := range xs {
		m[x] = true
	}
	return m
}
