package web_test

import (
	"fmt"
	"strings"
	"testing"

	"koinon/internal/store/storetest"
)

// TestOptionKeysFromAnyScript: a ballot's options may be labelled in any
// script; generated keys are valid, unique and shown only on the audit
// page (and in the proof and exports), never on the voter's ballot page.
func TestOptionKeysFromAnyScript(t *testing.T) {
	bw := newBallotWorld(t, storetest.SQLite(t))
	labels := []string{"日本語", "Dara Ó Briain", "Ann Marie", "Ann-Marie"}
	var opts []map[string]any
	for _, l := range labels {
		opts = append(opts, map[string]any{"label": l})
	}
	m := bw.expect(t, "board", "POST", "/api/v1/communities/commons/ballots",
		map[string]any{"title": "Chair", "method": "plurality", "options": opts, "closes_at": future()}, 201, "")
	var keys []string
	for _, o := range m["options"].([]any) {
		keys = append(keys, o.(map[string]any)["key"].(string))
	}
	if len(keys) != 4 || !strings.HasPrefix(keys[0], "o-") || keys[1] != "dara-o-briain" || keys[2] != "ann-marie" || keys[3] != "ann-marie-2" {
		t.Fatalf("keys %v", keys)
	}
	id := fmt.Sprint(int64(m["id"].(float64)))
	bw.expect(t, "board", "POST", "/api/v1/ballots/"+id+"/open", nil, 200, "")
	bw.expect(t, "ann", "PUT", "/api/v1/ballots/"+id+"/vote", map[string]any{"choice": keys[0]}, 200, "")
	body := bw.mustPage(t, "ann", "/ballots/"+id, "日本語", "Dara Ó Briain")
	for _, k := range keys {
		if strings.Contains(body, ">"+k+"<") {
			t.Errorf("ballot page shows key %q to the voter", k)
		}
	}
	bw.expect(t, "board", "POST", "/api/v1/ballots/"+id+"/close", nil, 200, "")
	audit := bw.mustPage(t, "ann", "/ballots/"+id+"/audit")
	for i, k := range keys {
		if !strings.Contains(audit, "<td>"+labels[i]+"</td><td><code>"+k+"</code></td>") {
			t.Errorf("audit page lacks the row %s → %s", labels[i], k)
		}
	}
}
