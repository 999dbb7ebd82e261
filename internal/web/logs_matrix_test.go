package web_test

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"testing"

	"koinon/internal/proof"
	"koinon/internal/statement"
	"koinon/internal/store/storetest"
)

// Matrix row for the signed-statements route: member1's device registers
// its key in alpha. Only member1 may (another member is ErrNotOwner, 422;
// a non-member 403).
func init() {
	seed := sha256.Sum256([]byte("koinon matrix device key"))
	key := ed25519.NewKeyFromSeed(seed[:])
	pub := key.Public().(ed25519.PublicKey)
	matrixRoutes = append(matrixRoutes,
		matrixRoute{Name: "api submit a signed statement", Method: "POST", Path: "/api/v1/communities/{alpha}/statements",
			Setup: func(t *testing.T, f *matrixFixture) { storetest.Logs(t, f.Store, "http://127.0.0.1/logs/") },
			Body: func(*matrixFixture) matrixBody {
				raw, _ := statement.Content(statement.KeyContent{Citizen: "member1", PublicKey: base64.StdEncoding.EncodeToString(pub)})
				e, _ := statement.Sign(statement.Statement{Format: statement.Format, Kind: statement.KeyRegister, Community: "alpha",
					Scope: statement.ScopeCommunity, Content: raw, At: "2026-12-05T10:00:00Z", Key: proof.KeyID(pub)}, key, nil, false)
				return jsonBody(e)
			},
			Want: [numRoles]int{401, 403, 200, 422, 422, 403}},
	)
}
