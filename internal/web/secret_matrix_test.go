package web_test

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"strconv"
	"testing"
	"time"

	"koinon/internal/domain"
	"koinon/internal/proof"
	"koinon/internal/secret"
	"koinon/internal/statement"
	"koinon/internal/store"
	"koinon/internal/store/storetest"
)

// Matrix row for a trustee's step: member1, the one trustee of a secret
// draft ballot of alpha, publishes its box key, signed with its
// registered device key. The draft is hidden from everyone else but the
// board (404), which is no trustee (403).
func init() {
	seed := sha256.Sum256([]byte("koinon matrix trustee key"))
	key := ed25519.NewKeyFromSeed(seed[:])
	pub := key.Public().(ed25519.PublicKey)
	var reg *statement.Envelope
	matrixRoutes = append(matrixRoutes,
		matrixRoute{Name: "api trustee step", Method: "POST", Path: "/api/v1/ballots/{secret}/trustee/{step}",
			Setup: func(t *testing.T, f *matrixFixture) {
				ctx := context.Background()
				storetest.Logs(t, f.Store, "http://127.0.0.1/logs/")
				b := store.Ballot{CommunityID: f.Alpha.ID, Title: "Secret", Method: "majority", Seats: 1, Threshold: "1/2", Strict: true,
					Quorum: "0/1", Delegation: true, Secrecy: domain.SecrecySecret, CreatedBy: f.Citizens["board1"].ID,
					ClosesAt: time.Now().Add(time.Hour), TrusteeThreshold: 1, TrusteeIDs: []int64{f.Citizens["member1"].ID}}
				opts := []store.BallotOption{{Key: "yes", Label: "Yes"}, {Key: "no", Label: "No"}, {Key: "abstain", Label: "Abstain"}}
				if err := f.Store.CreateBallot(ctx, &b, opts, nil); err != nil {
					t.Fatal(err)
				}
				f.Vars["secret"], f.Vars["step"] = strconv.FormatInt(b.ID, 10), "key"
				raw, _ := statement.Content(statement.KeyContent{Citizen: "member1", PublicKey: base64.StdEncoding.EncodeToString(pub)})
				var err error
				reg, err = statement.Sign(statement.Statement{Format: statement.Format, Kind: statement.KeyRegister, Community: "alpha",
					Scope: statement.ScopeCommunity, Content: raw, At: "2026-12-05T10:00:00Z", Key: proof.KeyID(pub)}, key, nil, false)
				if err != nil {
					t.Fatal(err)
				}
				if err := f.Store.RecordStatement(store.WithSubmission(ctx, &store.Submission{Envelope: reg}), f.Alpha.ID, f.Citizens["member1"].ID); err != nil {
					t.Fatal(err)
				}
			},
			Body: func(f *matrixFixture) matrixBody {
				raw, _ := statement.Content(secret.KeyStep{BoxKey: make([]byte, 32)})
				e, _ := statement.Sign(statement.Statement{Format: statement.Format, Kind: statement.TrusteeKey, Community: "alpha",
					Scope: statement.BallotScope(f.Vars["secret"]), Content: raw, Prev: reg.Hash().String(), At: "2026-12-05T10:01:00Z",
					Key: proof.KeyID(pub)}, key, nil, false)
				return jsonBody(e)
			},
			Want: [numRoles]int{401, 404, 200, 404, 403, 404}},
	)
}
