package main

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"koinon"
	"koinon/internal/auth"
	"koinon/internal/closing"
	"koinon/internal/domain"
	"koinon/internal/proof"
	"koinon/internal/statement"
	"koinon/internal/store"
	"koinon/internal/store/sqlstore"
	"koinon/internal/store/storetest"
	"koinon/internal/web"
	"koinon/internal/web/resultstest"
)

// clientWorld is a real server with community logs on, a community
// "commons" with topic "infra", citizens ann, bob, cat, dan, eve, a board,
// an open public ballot in infra, and a device key file per citizen.
type clientWorld struct {
	st     *sqlstore.Store
	ts     *httptest.Server
	w      *storetest.World
	c      store.Community
	ballot store.Ballot
	signer resultstest.Signer
	tokens *auth.Tokens
	dir    string
	logs   lockedBuffer // the server's log
}

func newClientWorld(t *testing.T, st *sqlstore.Store) *clientWorld {
	t.Helper()
	cw := &clientWorld{st: st, signer: resultstest.NewSigner("client"), dir: t.TempDir(),
		tokens: auth.NewTokens([]byte("0123456789abcdef0123456789abcdef"), nil)}
	cw.ts = httptest.NewUnstartedServer(nil)
	storetest.Logs(t, st, "http://"+cw.ts.Listener.Addr().String()+"/logs/")
	srv, err := web.New(web.Deps{Store: st, Tokens: cw.tokens, Assets: koinon.Assets, Signer: cw.signer, Log: slog.New(slog.NewTextHandler(&cw.logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	cw.ts.Config.Handler = srv
	cw.ts.Start()
	t.Cleanup(cw.ts.Close)
	cw.w = storetest.NewWorld(t, st)
	cw.c = cw.w.Community("commons")
	tp := cw.w.Topic(cw.c.ID, "infra")
	cw.w.Member(cw.c.ID, domain.RoleBoard, 1, "board")
	cw.w.Member(cw.c.ID, domain.RoleMember, 1, "ann", "bob", "cat", "dan", "eve")
	b := store.Ballot{CommunityID: cw.c.ID, TopicID: &tp.ID, Title: "Paint", Method: "majority", Seats: 1, Threshold: "1/2",
		Strict: true, Quorum: "0/1", Delegation: true, Secrecy: "public", CreatedBy: cw.w.ID("board"), ClosesAt: time.Now().UTC().Add(time.Hour)}
	opts := []store.BallotOption{{Key: "yes", Label: "Yes"}, {Key: "no", Label: "No"}, {Key: "abstain", Label: "Abstain"}}
	if err := st.CreateBallot(context.Background(), &b, opts, nil); err != nil {
		t.Fatal(err)
	}
	if cw.ballot, err = st.OpenBallot(context.Background(), b.ID); err != nil {
		t.Fatal(err)
	}
	for _, h := range []string{"ann", "bob", "cat", "dan", "eve"} {
		if code, out, errs := runCmd(t, "", nil, "client", "keygen", "--out", cw.keyFile(h)); code != 0 {
			t.Fatalf("keygen %s: %d %s %s", h, code, out, errs)
		}
	}
	return cw
}

func (cw *clientWorld) keyFile(handle string) string { return filepath.Join(cw.dir, handle+".key") }

// client runs `koinon client CMD` as handle with its key file.
func (cw *clientWorld) client(t *testing.T, handle, cmd string, args ...string) (int, string) {
	t.Helper()
	c := cw.w.Citizen(handle)
	tok, _, err := cw.tokens.Issue(c.ID, c.Handle, c.TokenVersion)
	if err != nil {
		t.Fatal(err)
	}
	code, out, errs := runCmd(t, "", nil, append([]string{"client", cmd, "--server", cw.ts.URL, "--token", tok, "--key", cw.keyFile(handle)}, args...)...)
	return code, out + errs
}

func (cw *clientWorld) must(t *testing.T, handle, cmd string, args ...string) {
	t.Helper()
	if code, out := cw.client(t, handle, cmd, args...); code != 0 {
		t.Fatalf("%s: client %s %v: %d %s", handle, cmd, args, code, out)
	}
}

// play is the citizens' story, all through the HTTP API with device keys:
// ann delegates to bob, then to cat on infra (her latest); bob votes yes,
// cat no, eve yes; dan does nothing.
func (cw *clientWorld) play(t *testing.T) {
	id := strconv.FormatInt(cw.ballot.ID, 10)
	cw.must(t, "ann", "delegate", "--community", "commons", "--delegates", "bob")
	cw.must(t, "ann", "delegate", "--community", "commons", "--topic", "infra", "--delegates", "cat")
	cw.must(t, "bob", "vote", "--ballot", id, "--choice", `"yes"`)
	cw.must(t, "cat", "vote", "--ballot", id, "--choice", `"no"`)
	cw.must(t, "eve", "vote", "--ballot", id, "--choice", `"abstain"`)
	cw.must(t, "eve", "vote", "--ballot", id, "--choice", `"yes"`)
}

// closeAndVerify closes the ballot and runs koinon verify on its proof
// (with the log replayed from the server when withLog).
func (cw *clientWorld) closeAndVerify(t *testing.T, withLog bool) (int, string) {
	t.Helper()
	if _, err := cw.close(); err != nil {
		t.Fatal(err)
	}
	return cw.verify(t, withLog)
}

// close closes the ballot and writes its proof beside the key files.
func (cw *clientWorld) close() (store.Ballot, error) {
	b, err := closing.New(cw.st, cw.signer, nil).Close(context.Background(), cw.ballot.ID)
	if err != nil {
		return b, err
	}
	return b, os.WriteFile(filepath.Join(cw.dir, "proof.json"), []byte(*b.ProofJSON), 0o644)
}

// verify runs koinon verify on the proof close wrote (with the log
// replayed from the server when withLog).
func (cw *clientWorld) verify(t *testing.T, withLog bool) (int, string) {
	t.Helper()
	args := []string{"verify", filepath.Join(cw.dir, "proof.json"), "--key", base64.StdEncoding.EncodeToString([]byte(cw.signer.Key.Public().(ed25519.PublicKey)))}
	if withLog {
		args = append(args, "--log", cw.ts.URL+"/logs/commons/")
	}
	code, out, errs := runCmd(t, "", nil, args...)
	return code, out + errs
}

// The operator-compromise test (issue 16): citizens vote and delegate with
// device keys through the real HTTP API; an operator with direct database
// access then tampers, and each tampering is caught by `koinon verify`,
// the affected citizen's `koinon client check`, `koinon verify --log`, or
// a `koinon witness` process watching the log. Without tampering
// everything verifies.
func TestOperatorCompromise(t *testing.T) {
	rewrite := func(t *testing.T, cw *clientWorld) {
		cw.exec(t, "UPDATE log_entries SET data = ? WHERE community_id = ? AND idx = 1", []byte(`{"type":"statement"}`), cw.c.ID)
	}
	for dialect, open := range map[string]func(testing.TB) *sqlstore.Store{"sqlite": storetest.SQLite, "postgres": storetest.Postgres} {
		for _, tc := range []struct {
			name   string
			tamper func(t *testing.T, cw *clientWorld)
			// what must catch it: verify alone (naming want), verify
			// --log, the client check of citizen (naming check; "*":
			// every citizen's), and a witness (witness: it refuses).
			verify, verifyLog string
			citizen, check    string
			witness           bool
			// afterClose tampers once the proof is sealed; closeFails:
			// tampered before, the close itself refuses to seal.
			afterClose, closeFails bool
		}{
			{name: "none", witness: true},
			{name: "a: a vote's choice changed", verify: "6 FAIL votes", citizen: "bob", check: "does not verify",
				tamper: func(t *testing.T, cw *clientWorld) {
					cw.exec(t, "UPDATE votes SET choice = ? WHERE ballot_id = ? AND citizen_id = ?", `"no"`, cw.ballot.ID, cw.w.ID("bob"))
				}},
			{name: "b: a vote added", verify: "6 FAIL votes", citizen: "bob", check: "does not verify",
				tamper: func(t *testing.T, cw *clientWorld) {
					cw.exec(t, "INSERT INTO votes (ballot_id, citizen_id, choice, receipt, receipt_nonce, cast_at) VALUES (?, ?, ?, '', '', ?)",
						cw.ballot.ID, cw.w.ID("dan"), `"no"`, time.Now().UTC())
				}},
			{name: "c: the latest delegation removed", verify: "5 FAIL delegations", citizen: "ann", check: "does not verify",
				tamper: func(t *testing.T, cw *clientWorld) {
					cw.exec(t, "DELETE FROM delegation_delegates WHERE delegation_id IN (SELECT id FROM delegations WHERE citizen_id = ? AND topic_id IS NOT NULL)", cw.w.ID("ann"))
					cw.exec(t, "DELETE FROM delegations WHERE citizen_id = ? AND topic_id IS NOT NULL", cw.w.ID("ann"))
				}},
			{name: "d: a key registered for a citizen signs a vote", citizen: "dan", check: "registers key",
				verifyLog: "12 FAIL log_keys: entry 12 (vote_commitment on ballot 1) of dan is signed with key",
				tamper:    func(t *testing.T, cw *clientWorld) { cw.forgeVote(t, "dan") }},
			{name: "e1: a log entry rewritten after the close", verifyLog: "9 FAIL log_root", citizen: "*", check: "do not give its checkpoint's root",
				afterClose: true, tamper: rewrite},
			{name: "e2: a log entry and the tree rewritten after the close (a fork)", verifyLog: "9 FAIL log_root", citizen: "*",
				check: "does not extend the one kept", afterClose: true, witness: true,
				tamper: func(t *testing.T, cw *clientWorld) { cw.rewriteLog(t, 1) }},
			{name: "e3: a log entry rewritten before the close", citizen: "*", check: "do not give its checkpoint's root", closeFails: true, tamper: rewrite},
			{name: "e4: a log entry and the tree rewritten before the close (a fork)", citizen: "*", check: "same size with different roots",
				closeFails: true, witness: true, tamper: func(t *testing.T, cw *clientWorld) { cw.rewriteLog(t, 1) }},
		} {
			t.Run(dialect+"/"+strings.TrimSuffix(strings.Fields(tc.name)[0], ":"), func(t *testing.T) {
				cw := newClientWorld(t, open(t))
				cw.play(t)
				// dan registers his key (no vote) so that (d) has someone to forge for.
				cw.must(t, "dan", "register-key", "--community", "commons")
				for _, h := range []string{"ann", "bob", "cat", "dan", "eve"} {
					cw.must(t, h, "check")
				}
				var w *witnessProc
				info, err := cw.st.Log(context.Background(), cw.c.ID)
				if err != nil {
					t.Fatal(err)
				}
				if tc.witness {
					w = startWitness(t, "w.example", cw.ts.URL+"/logs/commons/", info.VKey, 100*time.Millisecond)
					waitFor(t, w.out, fmt.Sprintf("cosigned %s size %d\n", info.Origin, info.Size))
				}
				if tc.tamper != nil && !tc.afterClose {
					tc.tamper(t, cw)
				}
				_, err = cw.close()
				if tc.closeFails {
					if err == nil {
						t.Fatal("the close sealed a tampered log")
					}
					if b, _ := cw.st.BallotByID(context.Background(), cw.ballot.ID); b.State != store.StateOpen {
						t.Errorf("a refused close left the ballot %s", b.State)
					}
				} else if err != nil {
					t.Fatal(err)
				}
				if w != nil && tc.afterClose {
					waitFor(t, w.out, fmt.Sprintf("cosigned %s size %d\n", info.Origin, cw.logSize(t)))
				}
				if tc.afterClose {
					tc.tamper(t, cw)
				}
				if w != nil && tc.tamper != nil {
					waitFor(t, w.out, "REFUSED "+info.Origin)
					if !strings.Contains(w.out.String(), "same size with different roots") {
						t.Errorf("the witness refused for another reason:\n%s", w.out)
					}
				}
				if w != nil && tc.tamper == nil && strings.Contains(w.out.String(), "REFUSED") {
					t.Errorf("the witness refused an honest log:\n%s", w.out)
				}
				if !tc.closeFails {
					code, out := cw.verify(t, false)
					if tc.verify == "" && code != 0 || tc.verify != "" && (code != 1 || !strings.Contains(out, tc.verify)) {
						t.Errorf("verify: %d\n%s\nwant %q", code, out, tc.verify)
					}
					code, out = cw.verify(t, true)
					want := cmpOr(tc.verifyLog, tc.verify)
					if want == "" && code != 0 || want != "" && (code != 1 || !strings.Contains(out, want)) {
						t.Errorf("verify --log: %d\n%s\nwant %q", code, out, want)
					}
				}
				for _, h := range []string{"ann", "bob", "cat", "dan", "eve"} {
					code, out := cw.client(t, h, "check")
					bad := h == tc.citizen || tc.citizen == "*"
					if !bad && code != 0 && tc.tamper == nil || bad && (code != 1 || !strings.Contains(out, tc.check)) {
						t.Errorf("%s's check: %d %s (want problem %v: %q)", h, code, out, bad, tc.check)
					}
				}
			})
		}
	}
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func (cw *clientWorld) exec(t *testing.T, q string, args ...any) {
	t.Helper()
	if err := storetest.DB(t, cw.st).Exec(q, args...).Error; err != nil {
		t.Fatal(err)
	}
	cw.st.ForgetCaches() // and restarts the server on the changed database
}

// forgeVote plays an operator who registers a key of their own for a
// citizen and votes with it, through the server's own code.
func (cw *clientWorld) forgeVote(t *testing.T, handle string) {
	t.Helper()
	ctx := context.Background()
	id := cw.w.ID(handle)
	stmts, err := cw.st.StatementsOf(ctx, cw.c.ID, id)
	if err != nil || len(stmts) == 0 {
		t.Fatalf("statements of %s: %v", handle, err)
	}
	head := stmts[len(stmts)-1].Hash
	forged := forgeKey(t)
	reg := forged.sign(t, statement.KeyRegister, statement.ScopeCommunity, head, statement.KeyContent{Citizen: handle, PublicKey: forged.pub()})
	sub := &store.Submission{Envelope: reg}
	if err := cw.st.RecordStatement(store.WithSubmission(ctx, sub), cw.c.ID, id); err != nil {
		t.Fatal(err)
	}
	vote := forged.sign(t, statement.Vote, statement.BallotScope(cw.ballot.IDString()), sub.Receipt.Hash, statement.VoteContent{Choice: []byte(`"no"`)})
	_, err = cw.st.CastVote(store.WithSubmission(ctx, &store.Submission{Envelope: vote}), store.CastRequest{BallotID: cw.ballot.ID, CitizenID: id, Choice: `"no"`,
		Receipt: func(string, time.Time, string) (string, error) { return "", nil }})
	if err != nil {
		t.Fatal(err)
	}
}

// deviceSigner is a key an operator makes up.
type deviceSigner struct{ key ed25519.PrivateKey }

func forgeKey(t *testing.T) deviceSigner {
	_, key, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	return deviceSigner{key}
}

func (d deviceSigner) pub() string {
	return base64.StdEncoding.EncodeToString(d.key.Public().(ed25519.PublicKey))
}

func (d deviceSigner) sign(t *testing.T, kind statement.Kind, scope, prev string, content any) *statement.Envelope {
	t.Helper()
	raw, err := statement.Content(content)
	if err != nil {
		t.Fatal(err)
	}
	e, err := statement.Sign(statement.Statement{Format: statement.Format, Kind: kind, Community: "commons", Scope: scope, Content: raw,
		Prev: prev, At: time.Now().UTC().Format(statement.TimeLayout), Key: proof.KeyID(d.key.Public().(ed25519.PublicKey))}, d.key, nil, false)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// koinon client exits 2 on bad usage and 1 when the server refuses,
// printing the server's reason; --json prints one JSON line.
func TestClientExitStatus(t *testing.T) {
	cw := newClientWorld(t, storetest.SQLite(t))
	if code, _ := cw.client(t, "ann", "vote", "--choice", `"yes"`); code != 2 {
		t.Errorf("vote without --ballot: %d, want 2", code)
	}
	if code, out := cw.client(t, "ann", "vote", "--ballot", "999", "--choice", `"yes"`); code != 1 || !strings.Contains(out, "404") {
		t.Errorf("vote on no ballot: %d %s, want 1 with the server's reason", code, out)
	}
	id := strconv.FormatInt(cw.ballot.ID, 10)
	if code, out := cw.client(t, "ann", "vote", "--ballot", id, "--choice", `"maybe"`); code != 1 || !strings.Contains(out, "choice") {
		t.Errorf("a choice the ballot does not have: %d %s", code, out)
	}
	if code, out := cw.client(t, "ann", "vote", "--ballot", id, "--choice", `"yes"`, "--json"); code != 0 || !strings.HasPrefix(out, `{"ok":true`) {
		t.Errorf("--json: %d %s", code, out)
	}
}
