package secret

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"koinon/internal/tally"
)

func opts(n int) []tally.Option {
	o := make([]tally.Option, n)
	for i := range o {
		o[i] = tally.Option{Key: string(rune('a' + i))}
	}
	return o
}

func TestDefinitionForm(t *testing.T) {
	for _, tc := range []struct {
		def   Definition
		form  Form
		wants string // error
	}{
		{Definition{ID: "b", Method: "majority", Options: opts(3)}, MajorityForm(3), ""},
		{Definition{ID: "b", Method: "plurality", Options: opts(4)}, MajorityForm(4), ""},
		{Definition{ID: "b", Method: "approval", Options: opts(4), MaxApprovals: 2}, ApprovalForm(4, 2), ""},
		{Definition{ID: "b", Method: "approval", Options: opts(4)}, ApprovalForm(4, 4), ""},
		{Definition{ID: "b", Method: "schulze", Options: opts(3)}, SchulzeForm(3), ""},
		{Definition{ID: "b", Method: "irv", Options: opts(3)}, Form{}, "verifiable shuffle"},
		{Definition{ID: "b", Method: "stv", Options: opts(3)}, Form{}, "use schulze"},
		{Definition{ID: "b", Method: "budget", Options: opts(3)}, Form{}, "not majority"},
		{Definition{ID: "b", Method: "majority", Options: opts(1)}, Form{}, "at least 2"},
		{Definition{Method: "majority", Options: opts(3)}, Form{}, "no id"},
		{Definition{ID: "b", Method: "majority", Options: opts(3), MaxApprovals: 1}, Form{}, "for approval"},
		{Definition{ID: "b", Method: "approval", Options: opts(3), MaxApprovals: 4}, Form{}, "outside 0..3"},
		{Definition{ID: "b", Method: "schulze", Options: opts(33)}, Form{}, "at most 32"},
	} {
		f, err := tc.def.Form()
		if (err == nil) != (tc.wants == "") || err != nil && !strings.Contains(err.Error(), tc.wants) || err == nil && !formEqual(f, tc.form) {
			t.Errorf("%+v: Form = %v, %v; want %v, %q", tc.def, f, err, tc.form, tc.wants)
		}
	}
}

func TestDefinitionVector(t *testing.T) {
	one, nine := 1, 9
	maj := Definition{ID: "b", Method: "majority", Options: opts(3)}
	appr := Definition{ID: "b", Method: "approval", Options: opts(3), MaxApprovals: 2}
	sch := Definition{ID: "b", Method: "schulze", Options: opts(3)}
	for _, tc := range []struct {
		def  Definition
		c    Choice
		want string // the vector, or the error's text
	}{
		{maj, Choice{Option: &one}, "[0 1 0]"},
		{maj, Choice{Option: &nine}, "option, an index 0..2"},
		{maj, Choice{Approve: []int{1}}, "option, an index"},
		{appr, Choice{Approve: []int{2, 0}}, "[1 0 1]"},
		{appr, Choice{}, "[0 0 0]"},
		{appr, Choice{Approve: []int{0, 1, 2}}, "sum 0 is 3, want 0..2"},
		{appr, Choice{Approve: []int{1, 1}}, "appears twice"},
		{appr, Choice{Option: &one}, "give approve"},
		{sch, Choice{Ranks: []int{2, 1, 0}}, "[0 1 1 1 0 0]"},
		{sch, Choice{Ranks: []int{1, 2}}, "3 ranks"},
		{sch, Choice{Ranks: []int{1, -1, 2}}, "3 ranks ≥ 0"},
	} {
		v, err := tc.def.Vector(tc.c)
		got := fmt.Sprint(v)
		if err != nil {
			got = err.Error()
		}
		if !strings.Contains(got, tc.want) {
			t.Errorf("%s %+v: Vector = %s, want %s", tc.def.Method, tc.c, got, tc.want)
		}
	}
}

func TestVotingPrepareAuditVerify(t *testing.T) {
	rnd := seeded(30)
	_, key := mustKey(t, rnd)
	v := Voting{Ballot: Definition{ID: "b", Method: "approval", Options: opts(3)}, Key: key, Voter: "ann"}
	c := Choice{Approve: []int{1}}
	b, o, err := v.Prepare(rnd, c)
	if err != nil {
		t.Fatal(err)
	}
	if err := v.Verify(b); err != nil {
		t.Fatal(err)
	}
	if err := v.Audit(b, o, c); err != nil {
		t.Fatal(err)
	}
	if err := v.Audit(b, o, Choice{Approve: []int{2}}); err == nil || !strings.Contains(err.Error(), "another choice") {
		t.Errorf("audit against another choice: %v", err)
	}
	for name, bad := range map[string]Voting{
		"no voter":     {Ballot: v.Ballot, Key: key},
		"no key":       {Ballot: v.Ballot, Voter: "ann"},
		"identity key": {Ballot: v.Ballot, Voter: "ann", Key: Identity()},
		"other voter":  {Ballot: v.Ballot, Voter: "bob", Key: key},
	} {
		if _, _, err := bad.Prepare(rnd, c); err == nil && name != "other voter" {
			t.Errorf("%s: Prepare accepted", name)
		}
		if err := bad.Verify(b); err == nil {
			t.Errorf("%s: Verify accepted", name)
		}
	}
}

func TestParseDocumentShape(t *testing.T) {
	for doc, wants := range map[string]string{
		`[]`: "not a koinon-secret-tally/1 document",
		`{"format":"koinon-tally-proof/1","record":{}}`:    "format is",
		`{"format":"koinon-secret-tally/1"}`:               "record: want an object",
		`{"format":"koinon-secret-tally/1","record":null}`: "record: want an object",
	} {
		_, err := ParseDocument([]byte(doc))
		var se *ShapeError
		if !errors.As(err, &se) || !strings.Contains(err.Error(), wants) {
			t.Errorf("%s: %v, want a shape error containing %q", doc, err, wants)
		}
	}
	_, err := ParseDocument([]byte(`{"format":"koinon-secret-tally/1","record":{"aggregate":[{"a":"00"}]}}`))
	var ce *CheckError
	if !errors.As(err, &ce) || ce.Check != CheckEncoding {
		t.Errorf("bad point: %v, want check 1", err)
	}
}
