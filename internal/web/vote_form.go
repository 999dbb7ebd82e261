package web

import (
	"encoding/json"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"

	"koinon/internal/store"
)

// abstainAllowed reports whether a method's choice can be empty (tally.md
// §4): approval, budget, irv, stv and schulze. A majority ballot has its own
// "abstain" option; a plurality choice is always one option.
func abstainAllowed(method string) bool {
	switch method {
	case "approval", "budget", "irv", "stv", "schulze":
		return true
	}
	return false
}

// readVoteForm turns the page's vote form into a choice as the API takes
// it. Nothing the voter sent is dropped silently: a value that is not one
// of the ballot's options, a rank that is not a whole number from 1 to the
// number of options, or a form with nothing chosen is an error on its
// field ("choice" or "rank_KEY"), with a translated message. An empty
// ballot is made only when the voter pressed the abstain button.
func readVoteForm(method string, opts []store.BallotOption, form url.Values, tr func(string, ...any) string) (json.RawMessage, fieldErrors) {
	errs := fieldErrors{}
	known := map[string]bool{}
	for _, o := range opts {
		known[o.Key] = true
	}
	abstain := form.Get("abstain") == "1" && abstainAllowed(method)
	var choice any
	switch method {
	case "majority", "plurality":
		picked := form["choice"]
		switch {
		case len(picked) != 1 || picked[0] == "":
			errs["choice"] = tr("vote.error.pick_one")
		case !known[picked[0]]:
			errs["choice"] = tr("vote.error.unknown")
		default:
			choice = picked[0]
		}
	case "approval", "budget", "irv", "stv":
		name := "choice"
		if method == "irv" || method == "stv" {
			name = "rank"
		}
		keys := slices.Clone(form[name])
		switch {
		case abstain:
			keys = []string{}
		case !knownDistinct(keys, known):
			errs["choice"] = tr("vote.error.unknown")
		case len(keys) == 0:
			errs["choice"] = tr("vote.error.empty." + method)
		}
		choice = keys
	case "schulze":
		groups := [][]string{}
		if !abstain {
			groups = rankGroups(opts, form, known, errs, tr)
		}
		if len(groups) == 0 && len(errs) == 0 && !abstain {
			errs["choice"] = tr("vote.error.empty.schulze")
		}
		choice = groups
	}
	if len(errs) > 0 {
		return nil, errs
	}
	raw, _ := json.Marshal(choice)
	return raw, nil
}

// knownDistinct reports whether every key is a known option, listed once.
func knownDistinct(keys []string, known map[string]bool) bool {
	seen := map[string]bool{}
	for _, k := range keys {
		if !known[k] || seen[k] {
			return false
		}
		seen[k] = true
	}
	return true
}

// rankGroups turns the schulze form's rank numbers (rank_KEY: equal
// numbers are ties, blank is unranked) into groups, best first. A rank
// that is not a whole number from 1 to len(opts) is an error on its field;
// a rank_ field of no option is an error on "choice".
func rankGroups(opts []store.BallotOption, form url.Values, known map[string]bool, errs fieldErrors, tr func(string, ...any) string) [][]string {
	for name := range form {
		if k, ok := strings.CutPrefix(name, "rank_"); ok && !known[k] {
			errs["choice"] = tr("vote.error.unknown")
		}
	}
	byRank := map[int][]string{}
	for _, o := range opts {
		v := strings.TrimSpace(form.Get("rank_" + o.Key))
		if v == "" {
			continue
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > len(opts) {
			errs["rank_"+o.Key] = tr("vote.error.rank", len(opts))
			continue
		}
		byRank[n] = append(byRank[n], o.Key)
	}
	ranks := make([]int, 0, len(byRank))
	for r := range byRank {
		ranks = append(ranks, r)
	}
	sort.Ints(ranks)
	out := [][]string{}
	for _, r := range ranks {
		out = append(out, byRank[r])
	}
	return out
}

// keepTyped shows the form as the voter sent it, with errs beside the
// fields, instead of the stored vote.
func keepTyped(f *voteFormView, form url.Values, errs fieldErrors) {
	for i := range f.Rows {
		r := &f.Rows[i]
		r.Checked = slices.Contains(form["choice"], r.Key)
		r.Rank = form.Get("rank_" + r.Key)
		r.Error = errs["rank_"+r.Key]
	}
}
