package closing

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"koinon/internal/store"
	"koinon/internal/tally"
)

// RemindDue sends the 24-hour reminders of every ballot that needs them
// (store.BallotsToRemind) and returns how many ballots it reminded.
func (c *Closer) RemindDue(ctx context.Context) (int, error) {
	bs, err := c.Store.BallotsToRemind(ctx)
	if err != nil {
		return 0, err
	}
	var errs []error
	for _, b := range bs {
		in, err := c.Store.LoadReminderInput(ctx, b)
		if err == nil {
			err = c.Store.Remind(ctx, b, Reminders(b, in))
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("remind ballot %d: %w", b.ID, err))
		}
	}
	return len(bs) - len(errs), errors.Join(errs...)
}

// Reminders groups the citizens on the roll whose vote is neither cast nor
// carried. On a public ballot that is what the delegation resolution says
// (the open ballot shows who voted directly anyway). On any other ballot a
// citizen may learn only whether her first delegate voted
// (docs/ballots.md), so she is reminded when she has not voted and either
// has no list or her first delegate has not voted: the text then says
// only that.
func Reminders(b store.Ballot, in store.ReminderInput) []store.Reminder {
	const (
		novote   = "notify.closing_soon_novote"
		delegate = "notify.closing_soon_delegate"
		lost     = "notify.closing_soon_lost"
	)
	onRoll := make(map[int64]bool, len(in.Roll))
	for _, r := range in.Roll {
		onRoll[r.CitizenID] = true
	}
	var state map[string]tally.State
	if b.Secrecy == "public" {
		el := make([]tally.Entry, 0, len(in.Roll))
		for _, r := range in.Roll {
			e := tally.Entry{Voter: strconv.FormatInt(r.CitizenID, 10), Weight: r.Weight}
			for _, d := range in.Lists[r.CitizenID] {
				e.Delegates = append(e.Delegates, strconv.FormatInt(d, 10))
			}
			el = append(el, e)
		}
		var votes []tally.Vote
		for id := range in.Voted {
			votes = append(votes, tally.Vote{Voter: strconv.FormatInt(id, 10)})
		}
		res := tally.Resolve(el, votes)
		state = make(map[string]tally.State, res.Len())
		for i := range res.Len() {
			row := res.Row(i)
			state[row.Voter] = row.State
		}
	}
	groups := map[[2]string]*store.Reminder{}
	var order [][2]string
	add := func(msg, who string, id int64) {
		k := [2]string{msg, who}
		g := groups[k]
		if g == nil {
			g = &store.Reminder{Message: msg, Delegate: who}
			groups[k] = g
			order = append(order, k)
		}
		g.Citizens = append(g.Citizens, id)
	}
	for _, r := range in.Roll {
		id := r.CitizenID
		if in.Voted[id] {
			continue
		}
		list := in.Lists[id]
		if len(list) == 0 {
			add(novote, "", id)
			continue
		}
		first := list[0]
		firstVoted := in.Voted[first] && onRoll[first]
		if state != nil {
			switch state[strconv.FormatInt(id, 10)] {
			case tally.StateLost, tally.StateAbsent:
				if onRoll[first] && !firstVoted {
					add(delegate, in.Handle[first], id)
				} else {
					add(lost, "", id)
				}
			}
			continue
		}
		if !firstVoted {
			add(delegate, in.Handle[first], id)
		}
	}
	out := make([]store.Reminder, 0, len(order))
	for _, k := range order {
		out = append(out, *groups[k])
	}
	return out
}
