package web

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"

	"koinon/internal/proof"
	"koinon/internal/store"
	"koinon/internal/tally"
)

// resultsStore is what the results handlers need of the store.
type resultsStore interface {
	BallotProof(ctx context.Context, id int64) ([]byte, error)
	ProofSize(ctx context.Context, id int64) (int64, error)
	CopyProof(ctx context.Context, id int64, w io.Writer) error
	BallotResult(ctx context.Context, id int64) ([]byte, error)
}

// Result pages read the stored ResultJSON of a closed ballot and never
// recount. Parsing the result of a large ballot (a million resolution rows)
// takes a second or more, so the parsed result and everything the page
// derives from it (top carriers, chain-length histogram, tables) is kept in
// memory per ballot, keyed by the proof hash: a sealed proof never changes,
// and a different hash means a different result.

// topCarriers is how many of the largest carriers the page lists.
const topCarriers = 20

// resultCaches hold what the result pages derive from sealed proofs, each
// keyed by proof hash (web/cache.go).
type resultCaches struct {
	data      *cache[*resultData]     // parsed results, the costliest to build
	docs      *cache[[]byte]          // stored result documents, by kind and hash
	summaries *cache[ballotSummary]   // the history page's figures
	audits    *cache[auditInfo]       // proofs' seal fields
	receipts  *cache[*proof.Receipts] // receipt issuers (about 100 bytes per vote each)
	greedy    *cache[budgetCompare]   // a budget ballot's greedy outcome and who each rule serves better
}

func newResultCaches() resultCaches {
	return resultCaches{
		data:      newCache[*resultData](16, nil),
		docs:      newCache(256<<20, func(d []byte) int { return len(d) }),
		summaries: newCache[ballotSummary](4096, nil),
		audits:    newCache[auditInfo](4096, nil),
		receipts:  newCache[*proof.Receipts](8, nil),
		greedy:    newCache[budgetCompare](4096, nil),
	}
}

// resultData is a closed ballot's parsed result with the figures the pages
// derive from it; it does not depend on the language.
type resultData struct {
	Method  string
	Options []tally.Option
	label   map[string]string
	Result  tally.Result
	// Largest carriers, by weight, then voter.
	Top []tally.Carrier
	// CarriersForHalf is how many of the largest carriers hold at least
	// half of the participating weight.
	CarriersForHalf int
	// Hops[i] counts delegated voters whose chain has i+1 hops; the last
	// bin counts that many or more.
	Hops []int64
	// Voter counts by state (the weights are in Result.Weights).
	CastVoters, DelegatedVoters, LostVoters int64
}

// ballotResult loads and parses the ballot's result through the cache.
func (s *Server) ballotResult(ctx context.Context, b *store.Ballot) (*resultData, error) {
	return s.results.data.get(ctx, b.ProofHash, func(ctx context.Context) (*resultData, error) {
		raw, err := s.resultJSON(ctx, b)
		if err != nil {
			return nil, err
		}
		opts, err := s.store.BallotOptions(ctx, b.ID)
		if err != nil {
			return nil, err
		}
		return newResultData(b.Method, opts, raw)
	})
}

// resultJSON is the stored result of a closed ballot (the result object
// of proof.md, per-voter resolution included), kept in memory by proof
// hash: the result API serves these bytes as they are.
func (s *Server) resultJSON(ctx context.Context, b *store.Ballot) ([]byte, error) {
	if b.ResultJSON != nil {
		return []byte(*b.ResultJSON), nil
	}
	return s.results.docs.get(ctx, "result:"+b.ProofHash, func(ctx context.Context) ([]byte, error) {
		return s.store.BallotResult(ctx, b.ID)
	})
}

// resultSummaryJSON is the stored result without its per-voter lists
// (resolution and carriers), which grow with the electorate: what
// GET /api/v1/ballots/{id} and the ballot page show. Cached by proof hash.
// fullResultInBallot: GET /api/v1/ballots/{id} embeds the whole result
// (api.md: "when closed, its result") up to this size; a larger result (a
// ballot of tens of thousands of voters) is summarised there without the
// per-voter resolution and carriers, which …/result always serves.
const fullResultInBallot = 1 << 20

func (s *Server) resultSummaryJSON(ctx context.Context, b *store.Ballot) ([]byte, error) {
	return s.results.docs.get(ctx, "summary:"+b.ProofHash, func(ctx context.Context) ([]byte, error) {
		raw, err := s.resultJSON(ctx, b)
		if err != nil {
			return nil, err
		}
		if len(raw) <= fullResultInBallot {
			return raw, nil
		}
		var fields map[string]json.RawMessage
		if err := json.Unmarshal(raw, &fields); err != nil {
			return nil, fmt.Errorf("results: parse stored result of ballot %d: %w", b.ID, err)
		}
		delete(fields, "resolution")
		delete(fields, "carriers")
		return json.Marshal(fields) // keys stay sorted, as canonical JSON has them
	})
}

// proofJSON is a closed ballot's sealed proof, read from the database on
// each call (it is the largest document; downloads carry an ETag).
func (s *Server) proofJSON(ctx context.Context, b *store.Ballot) ([]byte, error) {
	if b.ProofJSON != nil {
		return []byte(*b.ProofJSON), nil
	}
	return s.store.BallotProof(ctx, b.ID)
}

func newResultData(method string, opts []store.BallotOption, raw []byte) (*resultData, error) {
	d := &resultData{Method: method, label: map[string]string{}}
	if err := json.Unmarshal(raw, &d.Result); err != nil {
		return nil, fmt.Errorf("results: parse stored result: %w", err)
	}
	for _, o := range opts {
		d.Options = append(d.Options, tally.Option{Key: o.Key, Label: o.Label, Cost: o.Cost})
		d.label[o.Key] = o.Label
	}
	r := &d.Result
	d.Top = slices.Clone(r.Carriers)
	slices.SortFunc(d.Top, func(a, b tally.Carrier) int {
		return cmp.Or(cmp.Compare(b.Weight, a.Weight), strings.Compare(a.Voter, b.Voter))
	})
	var sum int64
	for i, c := range d.Top {
		sum += c.Weight
		if 2*sum >= r.Weights.Participating {
			d.CarriersForHalf = i + 1
			break
		}
	}
	if len(d.Top) > topCarriers {
		d.Top = slices.Clip(d.Top[:topCarriers])
	}
	const maxHops = 8
	d.Hops = make([]int64, maxHops)
	for _, row := range r.Resolution {
		switch row.State {
		case tally.StateCast:
			d.CastVoters++
		case tally.StateDelegated:
			d.DelegatedVoters++
			h := min(max(row.Hops, 1), maxHops)
			d.Hops[h-1]++
		case tally.StateLost:
			d.LostVoters++
		}
	}
	// Drop empty bins at the end, but keep at least the first three.
	n := len(d.Hops)
	for n > 3 && d.Hops[n-1] == 0 {
		n--
	}
	d.Hops = d.Hops[:n]
	return d, nil
}

// Label is the option's label, or its key when unknown.
func (d *resultData) Label(key string) string {
	if l, ok := d.label[key]; ok && l != "" {
		return l
	}
	return key
}

// row finds a voter's resolution row (rows are sorted by voter).
func (d *resultData) row(voter string) (tally.ResolutionRow, bool) {
	rows := d.Result.Resolution
	i, ok := slices.BinarySearchFunc(rows, voter, func(r tally.ResolutionRow, v string) int { return strings.Compare(r.Voter, v) })
	if !ok {
		return tally.ResolutionRow{}, false
	}
	return rows[i], true
}

// carrierWeight is W(c) of a casting voter.
func (d *resultData) carrierWeight(voter string) int64 {
	cs := d.Result.Carriers
	i, ok := slices.BinarySearchFunc(cs, voter, func(c tally.Carrier, v string) int { return strings.Compare(c.Voter, v) })
	if !ok {
		return 0
	}
	return cs[i].Weight
}
