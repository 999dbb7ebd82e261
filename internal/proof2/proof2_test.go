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
