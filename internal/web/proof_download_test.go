package web_test

import (
	"bytes"
	"strconv"
	"testing"
	"time"

	"koinon/internal/store"
	"koinon/internal/store/storetest"
	"koinon/internal/web/resultstest"
)

// A proof stored in several chunks downloads whole, in order, with its
// length, ETag and file name, streamed from the chunks.
func TestProofDownloadStreamsChunks(t *testing.T) {
	st := storetest.SQLite(t)
	c := resultstest.NewCommunity(t, st, "big", true, []string{"ann"}, nil)
	now := time.Now().UTC()
	b := store.Ballot{CommunityID: c.Community.ID, Title: "Big proof", Method: "majority", Seats: 1, Threshold: "1/2", Strict: true,
		Quorum: "0/1", Delegation: true, Secrecy: "public", State: store.StateClosed, CreatedBy: c.W.ID("ann"), CreatedAt: now,
		ClosesAt: now, ClosedAt: &now, ProofHash: "cafe"}
	db := storetest.DB(t, st)
	if err := db.Create(&b).Error; err != nil {
		t.Fatal(err)
	}
	var want []byte
	for seq, size := range []int{1 << 20, 1 << 20, 12345} {
		chunk := bytes.Repeat([]byte{'a' + byte(seq)}, size)
		if err := db.Exec("INSERT INTO ballot_proof_chunks (ballot_id, seq, data) VALUES (?, ?, ?)", b.ID, seq, chunk).Error; err != nil {
			t.Fatal(err)
		}
		want = append(want, chunk...)
	}
	ts, token := resultsServer(t, st)
	status, h, body := get(t, ts.URL+"/api/v1/ballots/"+strconv.FormatInt(b.ID, 10)+"/proof", token(c.W.Citizens["ann"]))
	if status != 200 || body != string(want) {
		t.Fatalf("status %d, %d bytes, want 200 and the %d bytes of the chunks in order", status, len(body), len(want))
	}
	if h.Get("Content-Length") != strconv.Itoa(len(want)) || h.Get("ETag") != `"cafe"` ||
		h.Get("Content-Type") != "application/json" || h.Get("Content-Disposition") != `attachment; filename="koinon-ballot-`+strconv.FormatInt(b.ID, 10)+`-big-proof.proof.json"` {
		t.Errorf("headers %v", h)
	}
}
