package web_test

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"testing"

	"koinon/internal/proof"
	"koinon/internal/statement"
	"koinon/internal/store"
	"koinon/internal/store/storetest"
)

// Matrix row for the signed-statements route: member1's device registers
// its key in alpha. Only member1 may (another member is ErrNotOwner, 422;
// a non-member 403).
func init() {
	matrixRoutes = append(matrixRoutes,
		matrixRoute{Name: "api submit a signed statement", Method: "POST", Path: "/api/v1/communities/{alpha}/statements",
			Setup: matrixLogs, Body: matrixKeyRegister, Want: [numRoles]int{401, 403, 200, 422, 422, 403}},
		// The same for the browser (device.js), with the session cookie.
		matrixRoute{Name: "page submit a signed statement", Method: "POST", Path: "/communities/{alpha}/device/statements", Page: true,
			Setup: matrixLogs, Body: matrixKeyRegister, Want: [numRoles]int{303, 403, 200, 422, 422, 403}},
		// The vote form read as a choice for the device to sign: the
		// ballot's voters (member1, board1) only; it writes nothing.
		matrixRoute{Name: "page vote choice", Method: "POST", Path: "/ballots/{ballot}/vote/choice", Page: true,
			Setup: func(t *testing.T, f *matrixFixture) { matrixLogs(t, f); matrixBallot(store.StateOpen)(t, f) },
			Body:  func(*matrixFixture) matrixBody { return formBody("choice", "yes") },
			Want:  [numRoles]int{303, 403, 200, 403, 200, 403}},
	)
}

// matrixLogs turns the community logs on.
func matrixLogs(t *testing.T, f *matrixFixture) { storetest.Logs(t, f.Store, "http://127.0.0.1/logs/") }

// matrixKeyRegister is member1's device registering its key in alpha.
func matrixKeyRegister(*matrixFixture) matrixBody {
	seed := sha256.Sum256([]byte("koinon matrix device key"))
	key := ed25519.NewKeyFromSeed(seed[:])
	pub := key.Public().(ed25519.PublicKey)
	raw, _ := statement.Content(statement.KeyContent{Citizen: "member1", PublicKey: base64.StdEncoding.EncodeToString(pub)})
	e, _ := statement.Sign(statement.Statement{Format: statement.Format, Kind: statement.KeyRegister, Community: "alpha",
		Scope: statement.ScopeCommunity, Content: raw, At: "2026-12-05T10:00:00Z", Key: proof.KeyID(pub)}, key, nil, false)
	return jsonBody(e)
}
