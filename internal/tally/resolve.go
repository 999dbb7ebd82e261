package tally

import "fmt"

// State is where an electorate entry's weight ends up (tally.md §3).
type State uint8

// The four states of an electorate entry.
const (
	StateAbsent    State = iota // no vote, empty delegate list
	StateCast                   // voted; its own list is ignored
	StateDelegated              // weight flows to a casting voter
	StateLost                   // no vote, list leads to no casting voter
)

var stateNames = [...]string{"absent", "cast", "delegated", "lost"}

// String returns the state's name as results write it.
func (s State) String() string {
	if int(s) < len(stateNames) {
		return stateNames[s]
	}
	return fmt.Sprintf("State(%d)", uint8(s))
}

// MarshalText writes the state's name.
func (s State) MarshalText() ([]byte, error) {
	if int(s) >= len(stateNames) {
		return nil, fmt.Errorf("tally: unknown state %d", uint8(s))
	}
	return []byte(stateNames[s]), nil
}

// UnmarshalText reads a state's name.
func (s *State) UnmarshalText(b []byte) error {
	for i, n := range stateNames {
		if n == string(b) {
			*s = State(i)
			return nil
		}
	}
	return fmt.Errorf("tally: unknown state %q", b)
}

// Resolved is one electorate entry after resolution.
type Resolved struct {
	Voter  string
	State  State
	Via    string // delegated: the carrier, the delegate the weight goes through
	To     string // delegated: the root, the casting voter whose choice counts
	Hops   int    // delegated: distance to the root
	Weight int64  // cast: W(c), its own weight plus that of everyone rooted at it
}

// Resolution is the delegation forest of one ballot. It keeps indexes, not
// rows, so that a million voters cost a few bytes each; Row builds a row.
type Resolution struct {
	Weights    Weights
	electorate []Entry
	index      voterIndex
	state      []State
	dist       []int32 // hops; 0 for casting voters, -1 when not carried
	via, root  []int32
	weight     []int64 // W(c) at casting voters, else 0
}

// Len returns the number of electorate entries.
func (r Resolution) Len() int { return len(r.electorate) }

// Row returns electorate entry i (in electorate order) after resolution.
func (r Resolution) Row(i int) Resolved {
	row := Resolved{Voter: r.electorate[i].Voter, State: r.state[i], Weight: r.weight[i]}
	if row.State == StateDelegated {
		row.Via, row.To = r.electorate[r.via[i]].Voter, r.electorate[r.root[i]].Voter
		row.Hops = int(r.dist[i])
	}
	return row
}

// Lookup returns the row of voter.
func (r Resolution) Lookup(voter string) (Resolved, bool) {
	i, ok := r.index.get(voter)
	if !ok {
		return Resolved{}, false
	}
	return r.Row(int(i)), true
}

// Chain returns the path of voter's weight: voter, its carrier, the
// carrier's carrier, … up to the casting voter. It is just [voter] for a
// casting, lost or absent voter and nil for a voter outside the electorate.
func (r Resolution) Chain(voter string) []string {
	i, ok := r.index.get(voter)
	if !ok {
		return nil
	}
	chain := []string{voter}
	for r.state[i] == StateDelegated {
		i = r.via[i]
		chain = append(chain, r.electorate[i].Voter)
	}
	return chain
}

// Resolve runs ranked breadth-first delegation (tally.md §3) in O(N + E).
// Voters of votes outside the electorate, delegates outside it and a voter
// naming itself are ignored; the electorate is expected to hold each voter
// once (Validate checks that).
func Resolve(electorate []Entry, votes []Vote) Resolution {
	var p prepared
	p.index, p.delegates = newVoterIndex(electorate)
	p.votePos = make([]int32, len(votes))
	p.lookupVotes(votes)
	return resolve(electorate, votes, p, true)
}

// prepared is what resolution needs besides the inputs: the voter index
// and the electorate position of every vote's voter. Validate builds it
// while it checks the input, so that Count looks every id up once.
type prepared struct {
	index     voterIndex
	votePos   []int32 // -1: the voter is not in the electorate
	delegates int     // delegate ids listed in the electorate
}

// lookupVotes fills p.votePos.
func (p *prepared) lookupVotes(votes []Vote) {
	var keys [batch]string
	for lo := 0; lo < len(votes); lo += batch {
		vs := votes[lo:min(lo+batch, len(votes))]
		for k := range vs {
			keys[k] = vs[k].Voter
		}
		p.index.getAll(keys[:len(vs)], p.votePos[lo:])
	}
}

// edges appends to out the electorate position j of every delegate that is
// in the electorate and not the entry i itself, in list order, and counts
// it in outStart[i+1] and revStart[j+2]. The ids are looked up a batch at a
// time (getAll), which is most of the work of a resolution.
func edges(electorate []Entry, index *voterIndex, outStart, revStart, out []int32) []int32 {
	var keys [batch]string
	var owner, pos [batch]int32
	m := 0
	flush := func() {
		index.getAll(keys[:m], pos[:m])
		for k, j := range pos[:m] {
			if i := owner[k]; j >= 0 && j != i {
				out = append(out, j)
				outStart[i+1]++
				revStart[j+2]++
			}
		}
		m = 0
	}
	for i := range electorate {
		for _, d := range electorate[i].Delegates {
			keys[m], owner[m] = d, int32(i)
			if m++; m == batch {
				flush()
			}
		}
	}
	flush()
	return out
}

// resolve is Resolve with every delegate list read as empty unless
// delegation is on (tally.md §2).
func resolve(electorate []Entry, votes []Vote, p prepared, delegation bool) Resolution {
	n := len(electorate)
	index := p.index

	// Forward edges in list order (out) and reversed edges (rev), both as
	// compressed adjacency arrays.
	var out, outStart, rev, revStart []int32
	if delegation {
		outStart = make([]int32, n+2)
		revStart = make([]int32, n+2)
		out = edges(electorate, &index, outStart, revStart, make([]int32, 0, p.delegates))
		for i := 1; i < len(outStart); i++ {
			outStart[i] += outStart[i-1]
		}
		outStart = outStart[:n+1]
		for i := 2; i < len(revStart); i++ {
			revStart[i] += revStart[i-1]
		}
		rev = make([]int32, len(out))
		for i := 0; i < n; i++ {
			for _, j := range out[outStart[i]:outStart[i+1]] {
				rev[revStart[j+1]] = int32(i)
				revStart[j+1]++
			}
		}
		revStart = revStart[:n+1]
	}

	dist := make([]int32, n)
	for i := range dist {
		dist[i] = -1
	}
	via := make([]int32, n)
	root := make([]int32, n)
	queue := make([]int32, 0, n)
	for _, i := range p.votePos[:len(votes)] {
		if i >= 0 && dist[i] < 0 {
			dist[i], via[i], root[i] = 0, -1, i
			queue = append(queue, i)
		}
	}

	// Level by level: first discover every voter at distance k+1, then pick
	// each one's carrier as the earliest delegate in its own list at
	// distance k. Discovery order alone would not give "earliest in list".
	if delegation {
		lo, hi := 0, len(queue)
		for k := int32(0); lo < hi; k++ {
			for _, u := range queue[lo:hi] {
				for _, v := range rev[revStart[u]:revStart[u+1]] {
					if dist[v] < 0 {
						dist[v] = k + 1
						queue = append(queue, v)
					}
				}
			}
			for _, v := range queue[hi:] {
				for _, d := range out[outStart[v]:outStart[v+1]] {
					if dist[d] == k {
						via[v], root[v] = d, root[d]
						break
					}
				}
			}
			lo, hi = hi, len(queue)
		}
	}

	res := Resolution{electorate: electorate, index: index, state: make([]State, n),
		dist: dist, via: via, root: root, weight: make([]int64, n)}
	w := &res.Weights
	for i := range electorate {
		e := &electorate[i]
		w.Eligible += e.Weight
		switch {
		case dist[i] == 0:
			res.state[i] = StateCast
			w.Direct += e.Weight
		case dist[i] > 0:
			res.state[i] = StateDelegated
			w.Delegated += e.Weight
		case delegation && len(e.Delegates) > 0:
			res.state[i] = StateLost
			w.Lost += e.Weight
		default:
			w.Absent += e.Weight
		}
		if dist[i] >= 0 {
			res.weight[root[i]] += e.Weight
		}
	}
	w.Participating = w.Direct + w.Delegated
	for _, i := range queue {
		if dist[i] == 0 {
			w.MaxWeight = max(w.MaxWeight, res.weight[i])
		}
	}
	return res
}
