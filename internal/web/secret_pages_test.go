package web_test

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"koinon/internal/store/sqlstore"
	"koinon/internal/store/storetest"
	"koinon/internal/trustee"
)

// TestSecretBallotPagesWithoutJavaScript: the ballot page of an open
// secret ballot offers no plaintext field and, for a browser without
// JavaScript, explains why and gives the exact koinon client vote command;
// a form posted without an encrypted ballot casts nothing (422). The
// trustee page and its steps are a trustee's only: another member gets
// 403, and a step out of turn or with bad content is refused with its
// reason as JSON, nothing written.
func TestSecretBallotPagesWithoutJavaScript(t *testing.T) {
	st := storetest.SQLite(t)
	bw := newBallotWorld(t, st)
	storetest.Logs(t, st, bw.TS.URL+"/logs/")
	ann := newDeviceTrustee(t, bw, "ann")
	m := bw.expect(t, "board", "POST", "/api/v1/communities/commons/ballots", map[string]any{"title": "Secret", "method": "majority",
		"secrecy": "secret", "trustees": []string{"ann"}, "trustee_threshold": 1, "closes_at": future()}, 201, "")
	id := fmt.Sprint(int64(m["id"].(float64)))

	// Out of turn (a deal before the box key) and bad content: refused as
	// JSON, in the page's words.
	for _, tc := range []struct{ step, content, want string }{
		{"deal", `{"commitment":{},"shares":[]}`, "waiting for"},
		{"key", `not json`, "content"},
		{"key", `{"box_key":"AAAA"}`, "box_key"},
	} {
		code, body, _ := bw.page(t, "ann", "POST", "/ballots/"+id+"/trustee/"+tc.step, url.Values{"content": {tc.content}})
		if code != 422 || !strings.Contains(body, `"error"`) || !strings.Contains(body, tc.want) {
			t.Errorf("step %s %s: %d %s, want 422 naming %q", tc.step, tc.content, code, body, tc.want)
		}
	}
	if code, _, _ := bw.page(t, "bob", "GET", "/ballots/"+id+"/trustee", nil); code != 404 {
		t.Errorf("a member who is no trustee sees the draft's trustee page: %d, want 404 (the draft is hidden)", code)
	}
	for range 3 { // key, deal, check
		ann.step(t, bw, id)
	}
	bw.expect(t, "board", "POST", "/api/v1/ballots/"+id+"/open", nil, 200, "")
	if code, _, _ := bw.page(t, "bob", "GET", "/ballots/"+id+"/trustee", nil); code != 403 {
		t.Errorf("a member who is no trustee gets the trustee page: %d, want 403", code)
	}
	bw.mustPage(t, "ann", "/ballots/"+id+"/trustee", "trustee-device", "koinon trustee")

	body := bw.mustPage(t, "dan", "/ballots/"+id, "secret-noscript", "secret-vote")
	cmd := `koinon client vote --server ` + bw.TS.URL + ` --token TOKEN --key my-key.json --ballot ` + id + ` --choice '"yes"'`
	if !strings.Contains(strings.Join(strings.Fields(visibleText(body)), " "), cmd) {
		t.Errorf("the page does not give the command %q", cmd)
	}
	if strings.Contains(body, `name="choice"`) || strings.Contains(body, `name="rank_`) {
		t.Error("the secret ballot's page has a plaintext choice field")
	}
	custodialStepKept(t, bw, st)

	code, page, _ := bw.page(t, "dan", "POST", "/ballots/"+id+"/vote", url.Values{"choice": {"yes"}})
	if code != 422 || !strings.Contains(page, "must be encrypted on your device") {
		t.Errorf("a plaintext form: %d, want 422 saying why", code)
	}
	if st, _ := bw.api(t, "dan", "GET", "/api/v1/ballots/"+id+"/vote", nil); st != 404 {
		t.Errorf("a plaintext form stored a vote: GET vote %d", st)
	}
}

// custodialStepKept: a trustee step taken on the trustee page without a
// device key (the content posted, the server signing with the custodial
// key) keeps its logged statement with the step, so that the sealed
// proof lists it as it lists a device's.
func custodialStepKept(t *testing.T, bw *ballotWorld, st *sqlstore.Store) {
	t.Helper()
	m := bw.expect(t, "board", "POST", "/api/v1/communities/commons/ballots", map[string]any{"title": "Secret custodial", "method": "majority",
		"secrecy": "secret", "trustees": []string{"cat"}, "trustee_threshold": 1, "closes_at": future()}, 201, "")
	id := int64(m["id"].(float64))
	sid := strconv.FormatInt(id, 10)
	code, _, body := get(t, bw.TS.URL+"/api/v1/ballots/"+sid+"/secret", bw.tok(t, "cat"))
	var tr trustee.Transcript
	if code != 200 || json.Unmarshal([]byte(body), &tr) != nil {
		t.Fatalf("transcript: %d %s", code, body)
	}
	seed := make([]byte, trustee.SeedSize)
	rand.Read(seed)
	content, err := trustee.Device{Seed: seed, Community: "commons"}.Step(rand.Reader, &tr)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(content)
	if code, page, _ := bw.page(t, "cat", "POST", "/ballots/"+sid+"/trustee/key", url.Values{"content": {string(raw)}}); code != 200 {
		t.Fatalf("custodial key step: %d %s", code, page)
	}
	ss, err := st.SecretState(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	var env struct {
		Custodial bool `json:"custodial"`
		Statement struct {
			Kind string `json:"kind"`
		} `json:"statement"`
	}
	if len(ss.Steps) != 1 || json.Unmarshal([]byte(ss.Steps[0].Statement), &env) != nil || !env.Custodial || env.Statement.Kind != "trustee_key" {
		t.Errorf("the custodial key step keeps %+v, want its custodial trustee_key statement", ss.Steps)
	}
}
