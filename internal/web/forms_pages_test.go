package web_test

import (
	"fmt"
	"strings"
	"testing"

	"koinon/internal/store/storetest"
)

// createDraft makes a ballot as board and leaves it a draft.
func (bw *ballotWorld) createDraft(t *testing.T, req map[string]any) string {
	t.Helper()
	req["closes_at"] = future()
	m := bw.expect(t, "board", "POST", "/api/v1/communities/commons/ballots", req, 201, "")
	return fmt.Sprint(int64(m["id"].(float64)))
}

func TestDraftsAreTheBoardsOnly(t *testing.T) {
	bw := newBallotWorld(t, storetest.SQLite(t))
	id := bw.createDraft(t, map[string]any{"title": "Secret draft", "method": "plurality", "options": []string{"Quince", "Rowan"}})
	for _, who := range []string{"", "ann", "aud", "out"} {
		for _, path := range []string{"/ballots/" + id, "/ballots/" + id + "/results", "/ballots/" + id + "/audit"} {
			if st, body, _ := bw.page(t, who, "GET", path, nil); st != 404 || strings.Contains(body, "Quince") {
				t.Errorf("GET %s as %q = %d, want 404 without the options", path, who, st)
			}
		}
		for _, path := range []string{"/api/v1/ballots/" + id, "/api/v1/ballots/" + id + "/result", "/api/v1/ballots/" + id + "/log", "/api/v1/ballots/" + id + "/proof"} {
			if st, m := bw.api(t, who, "GET", path, nil); st != 404 {
				t.Errorf("GET %s as %q = %d %v, want 404", path, who, st, m)
			}
		}
		if _, body, _ := bw.page(t, who, "GET", "/communities/commons/ballots", nil); strings.Contains(body, "Secret draft") {
			t.Errorf("ballot list shows the draft to %q", who)
		}
		if _, m := bw.api(t, who, "GET", "/api/v1/communities/commons/ballots", nil); strings.Contains(fmt.Sprint(m), "Secret draft") {
			t.Errorf("API list shows the draft to %q", who)
		}
	}
	bw.mustPage(t, "board", "/ballots/"+id, "Quince")
	bw.mustPage(t, "board", "/communities/commons/ballots", "Secret draft")
	bw.expect(t, "board", "GET", "/api/v1/ballots/"+id, nil, 200, "")
	if _, m := bw.api(t, "board", "GET", "/api/v1/communities/commons/ballots?state=draft", nil); !strings.Contains(fmt.Sprint(m), "Secret draft") {
		t.Errorf("API list hides the draft from the board: %v", m)
	}
}
