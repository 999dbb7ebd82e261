package proof2

import (
	"crypto/ed25519"
	"strconv"
	"strings"
	"testing"
)

func checkLines(r Report) string {
	var b strings.Builder
	for _, c := range r.Checks {
		if c.OK {
			b.WriteString(strconv.Itoa(c.N) + " ok " + c.Name + "\n")
		} else {
			b.WriteString(strconv.Itoa(c.N) + " FAIL " + c.Name + ": " + c.Reason + "\n")
		}
	}
	return b.String()
}

func TestBuildVerifies(t *testing.T) {
	f := standard(t)
	doc := f.build()
	_, wvkey := f.witness()
	r := Verify(doc, Options{PlatformKey: []byte(platform.Public().(ed25519.PublicKey)), LogKey: f.vkey, Witnesses: []string{wvkey}, Quorum: 1, Log: f.entries})
	t.Log(checkLines(r))
	if !r.OK {
		t.Fatalf("Verify failed: %s\n%s", r.Error, checkLines(r))
	}
	t.Logf("%s", r.Result)
	t.Logf("custodial %d of %d, cosignatures %d", *r.CustodialWeight, *r.CountedWeight, r.Cosignatures)
}

// TestParseRefusesForm: Parse names a missing member, and refuses a
// member in another form than the one it encodes (the entries' fast
// encoding included).
func TestParseRefusesForm(t *testing.T) {
	good := string(standard(t).build())
	for _, tc := range []struct{ name, from, to, want string }{
		{"missing member", `,"votes_root":"`, `,"votes_rootx":"`, "votes_root: missing"},
		{"entry index missing", `,"index":0}`, `}`, "wrong type or form"},
		{"inclusion null", `"inclusion":[`, `"inclusion":null,"x":[`, ""},
		{"unknown member", `,"votes_root":"`, `,"votes_extra":1,"votes_root":"`, `unknown field "votes_extra"`},
		{"unknown entry member", `"inclusion":[`, `"extra":1,"inclusion":[`, `unknown field "extra"`},
		{"not an object", `{`, `[{`, ""},
	} {
		bad := strings.Replace(good, tc.from, tc.to, 1)
		if bad == good {
			t.Fatalf("%s: %q not found", tc.name, tc.from)
		}
		if _, err := Parse([]byte(bad)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
	}
	i := strings.LastIndex(good, `"signature":"`) // the document's, after every entry's
	if _, err := Parse([]byte(good[:i] + `"signaturex":"` + good[i+len(`"signature":"`):])); err == nil || !strings.Contains(err.Error(), "signature: missing") {
		t.Errorf("missing signature: %v", err)
	}
	// Uppercase hex in an inclusion takes the general encoder: it parses,
	// and check 3 refuses it.
	doc, err := Parse([]byte(good))
	if err != nil {
		t.Fatal(err)
	}
	h := doc.Entries[0].Inclusion[0]
	upper := strings.Replace(good, `"inclusion":["`+h, `"inclusion":["`+strings.ToUpper(h), 1)
	if _, err := Parse([]byte(upper)); err != nil {
		t.Fatalf("uppercase hash: %v", err)
	}
	if r := Verify([]byte(upper), Options{}); r.OK || !strings.Contains(checkLines(r), "3 FAIL inclusion: entries[0].inclusion[0]: not a lowercase hex") {
		t.Errorf("uppercase hash: %s", checkLines(r))
	}
}
