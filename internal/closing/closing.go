// Package closing closes ballots: it freezes votes and effective
// delegation lists, counts them with the tally engine, seals the proof
// document with the platform key and stores result, proof and log head,
// all in one database transaction (store.CloseBallot). It also runs the
// scheduler that closes ballots whose closing time has passed. It imports
// store, proof and tally, never web.
package closing

import (
	"bytes"
	"cmp"
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"koinon/internal/domain"
	"koinon/internal/proof"
	"koinon/internal/store"
	"koinon/internal/tally"
)

// Signer supplies the current platform key.
type Signer interface {
	SigningKey() ed25519.PrivateKey
}

// Store is what closing needs of the database (sqlstore.Store).
type Store interface {
	CloseBallot(ctx context.Context, id int64, skipLocked bool, count store.CloseFunc) (b store.Ballot, closed bool, err error)
	DueBallots(ctx context.Context, now time.Time) ([]int64, error)
	BallotsToRemind(ctx context.Context) ([]store.Ballot, error)
	LoadReminderInput(ctx context.Context, b store.Ballot) (store.ReminderInput, error)
	Remind(ctx context.Context, b store.Ballot, groups []store.Reminder) error
	FanOut(ctx context.Context) (int, error)
	Now() time.Time
}

// Closer closes ballots.
type Closer struct {
	Store  Store
	Signer Signer
	Log    *slog.Logger
	// OnClosed, when set, is called after each close that sealed a
	// ballot (by Close or CloseDue, not for a ballot found closed already)
	// with how long the close took: freeze, tally, seal and store.
	OnClosed func(time.Duration)
	// WitnessClient submits close checkpoints to the community's
	// witnesses (http.DefaultClient when nil); WitnessWait bounds how long
	// a close waits for them (cosigning.DefaultWait when zero).
	WitnessClient *http.Client
	WitnessWait   time.Duration
}

// New returns a Closer.
func New(st Store, signer Signer, log *slog.Logger) *Closer {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Closer{Store: st, Signer: signer, Log: log}
}

// Close closes an open ballot now and returns it closed. Closing a closed
// ballot returns it unchanged; closing a draft is a state error. If
// anything fails before the proof is sealed and stored, the transaction
// rolls back and the ballot stays open, ready to be closed again.
func (c *Closer) Close(ctx context.Context, ballotID int64) (store.Ballot, error) {
	start := time.Now()
	b, closed, err := c.Store.CloseBallot(ctx, ballotID, false, c.count)
	if err == nil && closed {
		c.closed(time.Since(start))
	}
	return b, err
}

func (c *Closer) closed(d time.Duration) {
	if c.OnClosed != nil {
		c.OnClosed(d)
	}
}

// closeIfFree is Close for the scheduler: a ballot that another instance
// is closing at this moment is skipped (PostgreSQL SKIP LOCKED).
func (c *Closer) closeIfFree(ctx context.Context, ballotID int64) (bool, error) {
	_, closed, err := c.Store.CloseBallot(ctx, ballotID, true, c.count)
	return closed, err
}

// CloseDue closes every open ballot whose closes_at has passed and returns
// how many this call closed.
func (c *Closer) CloseDue(ctx context.Context) (int, error) {
	ids, err := c.Store.DueBallots(ctx, c.Store.Now())
	if err != nil {
		return 0, err
	}
	n := 0
	var errs []error
	for _, id := range ids {
		start := time.Now()
		closed, err := c.closeIfFree(ctx, id)
		if err != nil {
			c.Log.Error("close ballot", "ballot_id", id, "err", err)
			errs = append(errs, fmt.Errorf("ballot %d: %w", id, err))
			continue
		}
		if closed {
			n++
			d := time.Since(start)
			c.closed(d)
			c.Log.Info("ballot closed", "ballot_id", id, "duration_ms", d.Milliseconds())
		}
	}
	return n, errors.Join(errs...)
}

// Run closes due ballots, sends their voters the "result sealed" notices
// (store FanOut: the close only queues them) and the day-before reminders
// (RemindDue) at start and then every interval until ctx ends.
func (c *Closer) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if _, err := c.CloseDue(ctx); err != nil && ctx.Err() == nil {
			c.Log.Error("scheduler", "err", err)
		}
		c.fanOut(ctx)
		if _, err := c.RemindDue(ctx); err != nil && ctx.Err() == nil {
			c.Log.Error("scheduler: reminders", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// fanOut sends the pending notices of sealed ballots.
func (c *Closer) fanOut(ctx context.Context) {
	if _, err := c.Store.FanOut(ctx); err != nil && ctx.Err() == nil {
		c.Log.Error("scheduler: result notices", "err", err)
	}
}

// count builds the proof document from the frozen inputs, tallies and
// seals it.
func (c *Closer) count(in *store.CloseInput) (store.CloseOutput, error) {
	if in.Ballot.Secrecy == domain.SecrecySecret {
		return aggregate(in)
	}
	if c.Signer == nil || c.Signer.SigningKey() == nil {
		return store.CloseOutput{}, errors.New("closing: no platform signing key")
	}
	doc, err := Document(in)
	if err != nil {
		return store.CloseOutput{}, err
	}
	// doc holds what the count needs; free the inputs' rows (a million
	// voters' worth) before the tally and the proof are built.
	in.Electorate, in.Votes = nil, nil
	// The first signing pass starts while the tally counts.
	seal, err := proof.CountToSeal(doc, c.Signer.SigningKey(), in.ClosedAt)
	if err != nil {
		return store.CloseOutput{}, fmt.Errorf("closing: tally ballot %d: %w", in.Ballot.ID, err)
	}
	if in.Log != nil {
		var sealed bytes.Buffer
		if err := seal.SealTo(&sealed); err != nil {
			return store.CloseOutput{}, fmt.Errorf("closing: seal ballot %d: %w", in.Ballot.ID, err)
		}
		return c.seal2(in, doc, sealed.Bytes())
	}
	// The store writes the proof (a million voters' is 140 MB) as it is
	// sealed.
	return store.CloseOutput{
		ResultJSON: doc.Result,
		WriteProof: func(w io.Writer) error {
			if err := seal.SealTo(w); err != nil {
				return fmt.Errorf("closing: seal ballot %d: %w", in.Ballot.ID, err)
			}
			return nil
		},
		VotesRoot: doc.VotesRoot,
	}, nil
}

// Document builds the unsealed proof document (ballot, electorate, votes)
// of a ballot from its frozen inputs, sorted as proof.md requires. The
// electorate and the votes are built and sorted on two goroutines.
func Document(in *store.CloseInput) (*proof.Document, error) {
	doc := &proof.Document{Format: proof.Format, Ballot: proofBallot(in)}
	var wg sync.WaitGroup
	wg.Go(func() { doc.Electorate = electorate(in) })
	votes, err := documentVotes(in)
	wg.Wait()
	if err != nil {
		return nil, err
	}
	doc.Votes = votes
	return doc, nil
}

// documentVotes is the votes of a proof document: canonical, decoded and
// sorted by voter. Each half is decoded on a goroutine of its own.
func documentVotes(in *store.CloseInput) ([]proof.Vote, error) {
	votes := make([]proof.Vote, len(in.Votes))
	half := len(votes) / 2
	var (
		wg    sync.WaitGroup
		first error
	)
	wg.Go(func() { first = decodeVotes(in, votes, 0, half) })
	err := decodeVotes(in, votes, half, len(votes))
	wg.Wait()
	if err := cmp.Or(first, err); err != nil {
		return nil, err
	}
	slices.SortFunc(votes, func(a, b proof.Vote) int { return strings.Compare(a.Voter, b.Voter) })
	return votes, nil
}

// decodeVotes sets votes[from:to] from the same input votes, canonical
// and decoded.
func decodeVotes(in *store.CloseInput, votes []proof.Vote, from, to int) error {
	for i := from; i < to; i++ {
		v := in.Votes[i]
		canon, err := proof.Canonicalize([]byte(v.Choice))
		if err != nil {
			return fmt.Errorf("closing: vote of %s: %w", v.Voter, err)
		}
		dec, err := tally.DecodeChoice(in.Ballot.Method, canon)
		if err != nil {
			return fmt.Errorf("closing: vote of %s: %w", v.Voter, err)
		}
		votes[i] = proof.Vote{Voter: v.Voter, Choice: canon, Decoded: dec}
	}
	return nil
}

// proofBallot is the ballot definition of a proof document.
func proofBallot(in *store.CloseInput) proof.Ballot {
	b := in.Ballot
	pb := proof.Ballot{
		ID:         strconv.FormatInt(b.ID, 10),
		Title:      b.Title,
		Community:  in.Community.Slug,
		Method:     b.Method,
		Seats:      max(b.Seats, 1),
		Threshold:  cmp.Or(b.Threshold, "1/2"),
		Strict:     b.Strict,
		Quorum:     cmp.Or(b.Quorum, "0/1"),
		Delegation: b.Delegation,
		Secrecy:    cmp.Or(b.Secrecy, "public"),
		ClosesAt:   stamp(b.ClosesAt),
	}
	if in.Topic != nil {
		slug := in.Topic.Slug
		pb.Topic = &slug
	}
	if b.Method == "stv" {
		pb.STVRule = cmp.Or(b.STVRule, "meek")
	}
	if b.Method == "budget" {
		pb.Budget, pb.Currency, pb.BudgetRule = b.Budget, b.Currency, cmp.Or(b.BudgetRule, "mes")
		if pb.BudgetRule == "mes" {
			pb.Completion, pb.ExhaustiveStop, pb.CompareWithGreedy = cmp.Or(b.Completion, "add1"), b.ExhaustiveStop, b.CompareWithGreedy
		}
	}
	if b.OpensAt != nil {
		pb.OpensAt = stamp(*b.OpensAt)
	}
	// A ballot closed early by the board ends when it was closed.
	if !in.ClosedAt.IsZero() && in.ClosedAt.Before(b.ClosesAt) {
		pb.ClosesAt = stamp(in.ClosedAt)
	}
	for _, o := range in.Options {
		pb.Options = append(pb.Options, tally.Option{Key: o.Key, Label: o.Label, Cost: o.Cost})
	}
	return pb
}

// electorate is the frozen roll as a proof document holds it, sorted by
// voter, with no delegate lists when the ballot takes no delegation.
func electorate(in *store.CloseInput) []tally.Entry {
	out := make([]tally.Entry, len(in.Electorate))
	for i, e := range in.Electorate {
		d := e.Delegates
		if !in.Ballot.Delegation || d == nil {
			d = []string{}
		}
		out[i] = tally.Entry{Voter: e.Voter, Weight: e.Weight, Delegates: d}
	}
	slices.SortFunc(out, func(a, b tally.Entry) int { return strings.Compare(a.Voter, b.Voter) })
	return out
}

func stamp(t time.Time) string { return t.UTC().Truncate(time.Second).Format(proof.TimeLayout) }
