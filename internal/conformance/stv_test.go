package conformance

import (
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"koinon/internal/tally/stv"
)

// Scottish STV (SSI 2007/42) must reproduce the official count sheets of
// three 2017 wards stage by stage, to the 5th decimal.
func TestSTVScottishOfficialCounts(t *testing.T) {
	root := filepath.Join(stvConformanceDir(t), "stv", "scottish")
	for _, ward := range []string{
		"aberdeen-2017-ward01-dyce-bucksburn-danestone",
		"renfrewshire-2017-ward03-paisley-northeast-ralston",
		"edinburgh-2017-ward01-almond",
	} {
		t.Run(ward, func(t *testing.T) {
			dir := filepath.Join(root, ward)
			e, _ := stvLoad(t, filepath.Join(dir, "ballots.blt"))
			var want struct {
				Quota   int64
				Elected []struct {
					Candidate string
					Stage     int `json:"elected_at_stage"`
				}
				Excluded []struct {
					Candidate string
					Stage     int `json:"excluded_at_stage"`
				}
				Stages []struct {
					Stage  int
					Totals map[string]string
				}
			}
			stvReadJSON(t, filepath.Join(dir, "expected.json"), &want)
			got, err := stv.Scottish(e)
			if err != nil {
				t.Fatal(err)
			}
			if len(got.Rounds) != len(want.Stages) {
				t.Errorf("stages: want %d, got %d", len(want.Stages), len(got.Rounds))
			}
			for i, st := range want.Stages {
				if i >= len(got.Rounds) {
					break
				}
				r := got.Rounds[i]
				if q := strconv.FormatInt(want.Quota, 10) + ".00000"; r.Quota != q {
					t.Errorf("stage %d quota: want %s, got %s", st.Stage, q, r.Quota)
				}
				for c := range e.Candidates {
					w, err := stvUnits(st.Totals[strconv.Itoa(c+1)], 5)
					if err != nil {
						t.Fatal(err)
					}
					g, err := stvUnits(r.Votes[c], 5)
					if err != nil {
						t.Fatal(err)
					}
					if w != g {
						t.Errorf("stage %d candidate %d: want %s, got %s", st.Stage, c+1, st.Totals[strconv.Itoa(c+1)], r.Votes[c])
					}
				}
			}
			// Official stage of election = the stage listing the candidate
			// in Elected; an exclusion recorded at the end of stage s moves
			// the papers in stage s+1.
			for _, el := range want.Elected {
				if s := stvStageOf(got.Rounds, el.Candidate, func(r stv.Round) []int { return r.Elected }); s != el.Stage {
					t.Errorf("candidate %s elected at stage %d, want %d", el.Candidate, s, el.Stage)
				}
			}
			for _, ex := range want.Excluded {
				if s := stvStageOf(got.Rounds, ex.Candidate, func(r stv.Round) []int { return r.Defeated }); s != ex.Stage+1 {
					t.Errorf("candidate %s excluded in stage %d, want %d", ex.Candidate, s, ex.Stage+1)
				}
			}
			if len(got.Winners) != len(want.Elected) {
				t.Errorf("winners: want %d, got %v", len(want.Elected), stvNumbers(got.Winners))
			}
		})
	}
}

func stvStageOf(rounds []stv.Round, cand string, list func(stv.Round) []int) int {
	for i, r := range rounds {
		if slices.Contains(stvNumbers(list(r)), cand) {
			return i + 1
		}
	}
	return 0
}

// stvDroopAction is one action of Droop's JSON report.
type stvDroopAction struct {
	Round    int
	Tag, Msg string
	Quota    string
	Surplus  string
	Residual string
	Cstate   map[string]struct {
		State, Vote string
		KF          string `json:"kf"`
	}
}

// Meek (PR Foundation reference rule) must match Droop's meek-prf reference
// output round by round to 9 decimals, with the tie order of tally.md §5
// (the first-listed candidate loses every tie).
func TestSTVMeekPRFReference(t *testing.T) {
	root := filepath.Join(stvConformanceDir(t), "stv", "meek-prf-droop")
	for _, name := range []string{
		"castor-pollux-helen-42",
		"castor-pollux-helen-513",
		"voting-matters-12-precision",
		"gpus-steering-committee-2005",
		"erbs-validation-m135",
	} {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join(root, name)
			e, _ := stvLoad(t, filepath.Join(dir, "ballots.blt"))
			var ref struct{ Actions []stvDroopAction }
			stvReadJSON(t, filepath.Join(dir, "droop_meek-prf.json"), &ref)
			got, err := stv.Meek(e)
			if err != nil {
				t.Fatal(err)
			}
			want := stvDroopRounds(ref.Actions)
			if len(got.Rounds) != len(want) {
				t.Errorf("rounds: want %d, got %d", len(want), len(got.Rounds))
			}
			var winners []string
			for i, w := range want {
				winners = append(winners, w.elected...)
				if i >= len(got.Rounds) {
					continue
				}
				g := got.Rounds[i]
				a := w.decisive
				if g.Quota != a.Quota || g.Exhausted != a.Residual {
					t.Errorf("round %d quota/exhausted: want %s/%s, got %s/%s", i+1, a.Quota, a.Residual, g.Quota, g.Exhausted)
				}
				// Droop logs an election before it recomputes the surplus.
				if a.Tag == "defeat" && g.Surplus != a.Surplus {
					t.Errorf("round %d surplus: want %s, got %s", i+1, a.Surplus, g.Surplus)
				}
				for c := range e.Candidates {
					cs := a.Cstate[strconv.Itoa(c+1)]
					if g.Votes[c] != cs.Vote || g.Keep[c] != cs.KF {
						t.Errorf("round %d candidate %d vote/kf: want %s/%s, got %s/%s", i+1, c+1, cs.Vote, cs.KF, g.Votes[c], g.Keep[c])
					}
					if s := w.final.Cstate[strconv.Itoa(c+1)].State; g.States[c] != s {
						t.Errorf("round %d candidate %d state: want %s, got %s", i+1, c+1, s, g.States[c])
					}
				}
				if d := stvNumbers(g.Defeated); !slices.Equal(stvSorted(d), stvSorted(w.defeated)) {
					t.Errorf("round %d defeated: want %v, got %v", i+1, w.defeated, d)
				}
				if el := stvNumbers(g.Elected); !slices.Equal(stvSorted(el), stvSorted(w.elected)) {
					t.Errorf("round %d elected: want %v, got %v", i+1, w.elected, el)
				}
			}
			if g := stvNumbers(got.Winners); !slices.Equal(stvSorted(g), stvSorted(winners)) {
				t.Errorf("winners: want %v, got %v", winners, g)
			}
		})
	}
}

type stvDroopRound struct {
	decisive          stvDroopAction // last elect or defeat before "… remaining"
	final             stvDroopAction // last elect or defeat of the round
	elected, defeated []string
}

// stvDroopRounds groups Droop's actions by round (round 0 is the initial
// count, which Koinon reports as part of round 1).
func stvDroopRounds(actions []stvDroopAction) []stvDroopRound {
	var out []stvDroopRound
	for _, a := range actions {
		if a.Round == 0 || (a.Tag != "elect" && a.Tag != "defeat") {
			continue
		}
		for len(out) < a.Round {
			out = append(out, stvDroopRound{})
		}
		r := &out[a.Round-1]
		if !strings.Contains(a.Msg, "remaining") {
			r.decisive = a
		}
		r.final = a
	}
	// Elected and defeated per round: the state changes between the final
	// actions of consecutive rounds.
	prev := map[string]string{}
	for i := range out {
		for c, cs := range out[i].final.Cstate {
			if cs.State != prev[c] && (cs.State == "elected" || cs.State == "defeated") {
				if cs.State == "elected" {
					out[i].elected = append(out[i].elected, c)
				} else {
					out[i].defeated = append(out[i].defeated, c)
				}
			}
		}
		prev = map[string]string{}
		for c, cs := range out[i].final.Cstate {
			prev[c] = cs.State
		}
	}
	return out
}

// stvWinnerCase is one election whose expected outcome is its winners.
type stvWinnerCase struct {
	name, blt string
	want      []string // BLT candidate numbers
}

func stvOpenSTVCases(t *testing.T) []stvWinnerCase {
	root := filepath.Join(stvConformanceDir(t), "stv", "meek-openstv")
	var cases []stvWinnerCase
	for _, name := range []string{
		"so2020-6c4s-8847900506",
		"so2020-6c4s-8762231573",
		"so2011-12c4s-3696666083-18rounds",
		"so2011-12c4s-7300984617-tiebreak",
		"so2011-12c4s-9851303027-tiebreak",
		"uniform-20c4s-430600893-multi-tiebreak",
		"binomial-20c4s-6252980140-17rounds",
	} {
		var exp struct{ Winners []string }
		stvReadJSON(t, filepath.Join(root, name, "expected.json"), &exp)
		text, err := os.ReadFile(filepath.Join(root, name, "openstv_meek_results.txt"))
		if err != nil {
			t.Fatal(err)
		}
		stvCheckOpenSTVText(t, name, string(text), exp.Winners)
		cases = append(cases, stvWinnerCase{name, filepath.Join(root, name, "ballots.blt"), exp.Winners})
	}
	batch := filepath.Join(root, "m_so2010-batch-100")
	var index struct {
		Cases map[string]struct{ Winners []string }
	}
	stvReadJSON(t, filepath.Join(batch, "expected_index.json"), &index)
	if len(index.Cases) != 100 {
		t.Fatalf("batch: %d cases, want 100", len(index.Cases))
	}
	for _, file := range slices.Sorted(maps.Keys(index.Cases)) {
		want := index.Cases[file].Winners
		text, err := os.ReadFile(filepath.Join(batch, strings.TrimSuffix(file, ".blt")+".openstv.txt"))
		if err != nil {
			t.Fatal(err)
		}
		stvCheckOpenSTVText(t, file, string(text), want)
		cases = append(cases, stvWinnerCase{"batch/" + file, filepath.Join(batch, file), want})
	}
	return cases
}

// stvCheckOpenSTVText checks the index against OpenSTV's own closing line
// ("Winners are 1, 2, and 4.").
func stvCheckOpenSTVText(t *testing.T, name, text string, want []string) {
	i := strings.LastIndex(text, "Winners are ")
	if i < 0 {
		t.Fatalf("%s: no winners line in OpenSTV output", name)
	}
	line, _, _ := strings.Cut(text[i+len("Winners are "):], ".")
	line = strings.ReplaceAll(strings.ReplaceAll(line, " and ", " "), ",", " ")
	if got := strings.Fields(line); !slices.Equal(stvSorted(got), stvSorted(want)) {
		t.Fatalf("%s: OpenSTV output says %v, expected file %v", name, got, want)
	}
}

func stvSecurePollCases(t *testing.T) []stvWinnerCase {
	root := filepath.Join(stvConformanceDir(t), "stv", "meek-securepoll")
	var cases []stvWinnerCase
	for _, name := range []string{"math-stackexchange-2011", "datascience-stackexchange-2019", "stackoverflow-2020"} {
		var exp struct {
			Elected []string `json:"elected_in_order"`
		}
		stvReadJSON(t, filepath.Join(root, name, "expected.json"), &exp)
		cases = append(cases, stvWinnerCase{name, filepath.Join(root, name, "ballots.blt"), exp.Elected})
	}
	return cases
}

// Meek elects the same candidates as OpenSTV 1.6.1's MeekSTV (6 decimals,
// one keep-factor update per round, batch defeats, backward tie-breaking)
// on its 107 reference elections.
func TestSTVMeekOpenSTVWinners(t *testing.T) {
	stvRunWinners(t, stvOpenSTVCases(t), false)
}

// Meek elects the same candidates as Wikimedia SecurePoll's STVTallier on
// real Stack Exchange ballots.
func TestSTVMeekSecurePollWinners(t *testing.T) {
	stvRunWinners(t, stvSecurePollCases(t), true)
}

// stvRunWinners counts each case with Meek and compares the winners, in
// order of election when ordered is set, else as sets.
func stvRunWinners(t *testing.T, cases []stvWinnerCase, ordered bool) {
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e, _ := stvLoad(t, tc.blt)
			res, err := stv.Meek(e)
			if err != nil {
				t.Fatal(err)
			}
			got, want := stvNumbers(res.Winners), tc.want
			if !ordered {
				got, want = stvSorted(got), stvSorted(want)
			}
			if !slices.Equal(got, want) {
				t.Errorf("winners: want %v, got %v", tc.want, stvNumbers(res.Winners))
			}
		})
	}
}

func BenchmarkSTVScottishEdinburgh(b *testing.B) {
	e, _ := stvLoad(b, filepath.Join(stvConformanceDir(b), "stv", "scottish", "edinburgh-2017-ward01-almond", "ballots.blt"))
	for b.Loop() {
		if _, err := stv.Scottish(e); err != nil {
			b.Fatal(err)
		}
	}
}
