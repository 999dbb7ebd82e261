package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"koinon/internal/clog"
	"koinon/internal/keyring"
	"koinon/internal/proof"
	"koinon/internal/proof2"
	"koinon/internal/statement"
)

// deviceKey is the stored form of a citizen's device key (0600 file).
type deviceKey struct {
	Seed      string `json:"seed"` // 32 bytes, base64
	PublicKey string `json:"public_key"`
	KeyID     string `json:"key_id"`
}

func (k *deviceKey) seed() string { return k.Seed }

// readSeedFile reads a JSON key file (a device's or a witness's) into k
// and returns its 32-byte Ed25519 seed.
func readSeedFile(name string, k interface{ seed() string }) ([]byte, error) {
	b, err := os.ReadFile(name)
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(b, k); err != nil {
		return nil, fmt.Errorf("%s: not a key file: %w", name, err)
	}
	seed, err := base64.StdEncoding.DecodeString(k.seed())
	if err != nil || len(seed) != ed25519.SeedSize {
		return nil, fmt.Errorf("%s: the seed is not 32 bytes of base64", name)
	}
	return seed, nil
}

// clientState is what the client keeps beside the key file (KEY.state):
// per community, the log it trusts (first seen), the latest checkpoint it
// checked, and a receipt for every statement it made.
type clientState struct {
	Communities map[string]*communityState `json:"communities"`
}

type communityState struct {
	Origin     string          `json:"origin"`
	URL        string          `json:"url"`
	VKey       string          `json:"vkey"`
	Checkpoint string          `json:"checkpoint"`
	Receipts   []clientReceipt `json:"receipts"`
}

// clientReceipt is a submission's receipt with the entry bytes it proves.
type clientReceipt struct {
	Kind  string `json:"kind"`
	Scope string `json:"scope"`
	Index int64  `json:"index"`
	Hash  string `json:"hash"`
	Entry []byte `json:"entry"`
}

// refusedError is the server's refusal of a request (exit status 1).
type refusedError struct {
	Status  int
	Message string
}

func (e *refusedError) Error() string { return fmt.Sprintf("refused (%d): %s", e.Status, e.Message) }

// koinonClient talks to one server with one device key.
type koinonClient struct {
	server, token string
	http          *http.Client
	keyFile       string
	key           ed25519.PrivateKey
	keyID         string
	state         clientState
	now           func() time.Time
}

func cmdClient(ctx context.Context, e env) int {
	if len(e.args) == 0 {
		fmt.Fprintln(e.stderr, "usage: koinon client keygen|register-key|delegate|vote|check [flags] (koinon client CMD -h)")
		return 2
	}
	sub, args := e.args[0], e.args[1:]
	fs := flag.NewFlagSet("client "+sub, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	server := fs.String("server", e.getenv("KOINON_SERVER"), "the server's URL (KOINON_SERVER)")
	token := fs.String("token", e.getenv("KOINON_TOKEN"), "an API token (KOINON_TOKEN)")
	keyFile := fs.String("key", "", "the device key file (koinon client keygen)")
	asJSON := fs.Bool("json", false, "print the outcome as JSON")
	var out, community, topic, delegates, choice string
	var ballot int64
	var remove, withdraw bool
	switch sub {
	case "keygen":
		fs.StringVar(&out, "out", "", "where to write the new key (0600)")
	case "register-key":
		fs.StringVar(&community, "community", "", "the community's slug")
	case "delegate":
		fs.StringVar(&community, "community", "", "the community's slug")
		fs.StringVar(&topic, "topic", "", "delegate for this topic only")
		fs.Int64Var(&ballot, "ballot", 0, "delegate for this ballot only")
		fs.StringVar(&delegates, "delegates", "", "handles in priority order, comma-separated (empty: I vote myself here)")
		fs.BoolVar(&remove, "remove", false, "remove the scope's entry instead")
	case "vote":
		fs.Int64Var(&ballot, "ballot", 0, "the ballot's id")
		fs.StringVar(&choice, "choice", "", "the choice as JSON, e.g. '\"yes\"' or '[\"a\",\"b\"]'")
		fs.BoolVar(&withdraw, "withdraw", false, "withdraw the vote instead")
	case "check":
	default:
		fmt.Fprintf(e.stderr, "koinon client: unknown command %q\n", sub)
		return 2
	}
	if rest, err := parseArgs(fs, args); err != nil || len(rest) > 0 {
		return 2
	}
	if sub == "keygen" {
		if out == "" {
			fs.Usage()
			return 2
		}
		id, err := clientKeygen(out)
		return report(e, *asJSON, "keygen", map[string]any{"key_id": id, "file": out}, fmt.Sprintf("key %s written to %s", id, out), err)
	}
	usageErr := *server == "" || *token == "" || *keyFile == ""
	switch sub {
	case "register-key":
		usageErr = usageErr || community == ""
	case "delegate":
		usageErr = usageErr || community == "" || (topic != "" && ballot != 0) || (remove && delegates != "")
	case "vote":
		usageErr = usageErr || ballot <= 0 || (choice == "") == !withdraw
	}
	if usageErr {
		fs.Usage()
		return 2
	}
	cl, err := openClient(*server, *token, *keyFile)
	if err != nil {
		fmt.Fprintf(e.stderr, "koinon client: %v\n", err)
		return 2
	}
	var (
		r    *clientReceipt
		line string
	)
	switch sub {
	case "register-key":
		r, err = cl.registerKey(ctx, community)
		line = "key registered"
	case "delegate":
		var list []string
		if delegates != "" {
			list = strings.Split(delegates, ",")
		}
		r, err = cl.delegate(ctx, community, topic, ballot, list, remove)
		line = "delegation recorded"
	case "vote":
		r, err = cl.vote(ctx, ballot, choice, withdraw)
		line = "vote recorded"
	case "check":
		var problems []string
		var n int
		n, problems, err = cl.check(ctx)
		if err == nil && len(problems) > 0 {
			err = &refusedError{Message: strings.Join(problems, "; ")}
		}
		return report(e, *asJSON, sub, map[string]any{"statements": n, "problems": problems},
			fmt.Sprintf("your %d statements are in the log and were counted as you made them", n), err)
	}
	if r != nil {
		line = fmt.Sprintf("%s: log index %d, statement %s", line, r.Index, r.Hash)
	}
	return report(e, *asJSON, sub, r, line, err)
}

// report prints the outcome as one line (or JSON) and returns the exit
// status: 0 done, 1 refused by the server or a failed check, 2 otherwise.
func report(e env, asJSON bool, cmd string, v any, line string, err error) int {
	var refused *refusedError
	code := 0
	switch {
	case errors.As(err, &refused):
		code = 1
	case err != nil:
		code = 2
	}
	if asJSON {
		out := map[string]any{"ok": err == nil, "result": v}
		if err != nil {
			out["error"] = err.Error()
		}
		b, _ := json.Marshal(out)
		fmt.Fprintln(e.stdout, string(b))
		return code
	}
	if err != nil {
		fmt.Fprintf(e.stderr, "koinon client %s: %v\n", cmd, err)
		return code
	}
	fmt.Fprintln(e.stdout, line)
	return 0
}

// clientKeygen writes a new device key to name (never over an existing
// file) and returns its key id.
func clientKeygen(name string) (string, error) {
	if _, err := os.Stat(name); err == nil {
		return "", fmt.Errorf("%s exists: choose another file", name)
	}
	pub, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return "", err
	}
	dk := deviceKey{Seed: base64.StdEncoding.EncodeToString(key.Seed()), PublicKey: base64.StdEncoding.EncodeToString(pub), KeyID: proof.KeyID(pub)}
	b, _ := json.MarshalIndent(dk, "", "  ")
	return dk.KeyID, keyring.WriteFile(name, append(b, '\n'))
}

// openClient loads the key file and the state kept beside it.
func openClient(server, token, keyFile string) (*koinonClient, error) {
	var dk deviceKey
	seed, err := readSeedFile(keyFile, &dk)
	if err != nil {
		return nil, err
	}
	key := ed25519.NewKeyFromSeed(seed)
	cl := &koinonClient{server: strings.TrimSuffix(server, "/"), token: token, http: &http.Client{Timeout: 30 * time.Second},
		keyFile: keyFile, key: key, keyID: proof.KeyID(key.Public().(ed25519.PublicKey)), now: time.Now,
		state: clientState{Communities: map[string]*communityState{}}}
	if b, err := os.ReadFile(cl.stateFile()); err == nil {
		if err := json.Unmarshal(b, &cl.state); err != nil {
			return nil, fmt.Errorf("%s: %w", cl.stateFile(), err)
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	return cl, nil
}

func (cl *koinonClient) stateFile() string { return cl.keyFile + ".state" }

func (cl *koinonClient) save() error {
	b, err := json.MarshalIndent(cl.state, "", "  ")
	if err != nil {
		return err
	}
	return keyring.WriteFile(cl.stateFile(), append(b, '\n'))
}

// do sends a request and decodes a 2xx JSON answer into out; any other
// answer is a *refusedError with the server's message.
func (cl *koinonClient) do(ctx context.Context, method, path string, body, out any) error {
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, cl.server+path, r)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+cl.token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := cl.http.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	data, err := io.ReadAll(io.LimitReader(res.Body, 256<<20))
	if err != nil {
		return err
	}
	if res.StatusCode/100 != 2 {
		var e struct {
			Error struct{ Message string } `json:"error"`
		}
		msg := strings.TrimSpace(string(data))
		if json.Unmarshal(data, &e) == nil && e.Error.Message != "" {
			msg = e.Error.Message
		}
		return &refusedError{Status: res.StatusCode, Message: msg}
	}
	if out == nil {
		return nil
	}
	if b, ok := out.(*[]byte); ok {
		*b = data
		return nil
	}
	return json.Unmarshal(data, out)
}

// community returns the state of a community, learning its log on first
// contact (the key is then trusted: a later change is refused).
func (cl *koinonClient) community(ctx context.Context, slug string) (*communityState, error) {
	var m struct {
		Log *communityState `json:"log"`
	}
	if err := cl.do(ctx, "GET", "/api/v1/communities/"+url.PathEscape(slug), nil, &m); err != nil {
		return nil, err
	}
	if m.Log == nil {
		return nil, fmt.Errorf("community %s has no log on this server", slug)
	}
	cs, ok := cl.state.Communities[slug]
	if !ok {
		cs = m.Log
		cl.state.Communities[slug] = cs
	} else if cs.VKey != m.Log.VKey || cs.Origin != m.Log.Origin {
		return nil, &refusedError{Message: fmt.Sprintf("the log of %s changed its key or origin (%s, was %s)", slug, m.Log.VKey, cs.VKey)}
	}
	return cs, nil
}

// myStatements lists the caller's statements as the server reports them.
func (cl *koinonClient) myStatements(ctx context.Context, slug string) ([]*statement.Envelope, error) {
	var m struct {
		Statements []struct {
			Envelope json.RawMessage `json:"envelope"`
		} `json:"statements"`
	}
	if err := cl.do(ctx, "GET", "/api/v1/communities/"+url.PathEscape(slug)+"/statements", nil, &m); err != nil {
		return nil, err
	}
	out := make([]*statement.Envelope, len(m.Statements))
	for i, s := range m.Statements {
		var err error
		if out[i], err = statement.Parse(s.Envelope); err != nil {
			return nil, fmt.Errorf("the server's statement %d: %w", i, err)
		}
	}
	return out, nil
}

// sign makes a statement on the citizen's chain head (as the server
// reports it), registering the key in the community first if needed.
func (cl *koinonClient) sign(ctx context.Context, slug string, kind statement.Kind, scope string, content any) (*statement.Envelope, error) {
	mine, err := cl.myStatements(ctx, slug)
	if err != nil {
		return nil, err
	}
	registered := false
	for _, e := range mine {
		if p := e.Parsed(); p.Key == cl.keyID {
			registered = true
		}
	}
	if !registered && kind != statement.KeyRegister {
		if _, err := cl.registerKey(ctx, slug); err != nil {
			return nil, err
		}
		if mine, err = cl.myStatements(ctx, slug); err != nil {
			return nil, err
		}
	}
	prev, at := "", cl.now().UTC().Format(statement.TimeLayout)
	if n := len(mine); n > 0 {
		prev, at = mine[n-1].Hash().String(), max(at, mine[n-1].Parsed().At)
	}
	raw, err := statement.Content(content)
	if err != nil {
		return nil, err
	}
	return statement.Sign(statement.Statement{Format: statement.Format, Kind: kind, Community: slug, Scope: scope,
		Content: raw, Prev: prev, At: at, Key: cl.keyID}, cl.key, nil, false)
}

// submit sends a signed statement (a vote with its nonce, as an opening),
// checks the receipt (the checkpoint is signed by the log's key and
// extends the one kept; the entry is included) and keeps it.
func (cl *koinonClient) submit(ctx context.Context, slug string, env *statement.Envelope, nonce []byte) (*clientReceipt, error) {
	cs, err := cl.community(ctx, slug)
	if err != nil {
		return nil, err
	}
	entry := clog.StatementEntry(env)
	var body any = env
	if nonce != nil {
		c, err := statement.Commit(nonce, env)
		if err != nil {
			return nil, err
		}
		if entry, err = clog.CommitmentEntry(env, c); err != nil {
			return nil, err
		}
		body = map[string]any{"envelope": env, "nonce": hex.EncodeToString(nonce)}
	}
	data, err := entry.Bytes()
	if err != nil {
		return nil, err
	}
	var rc struct {
		Index      int64    `json:"index"`
		Hash       string   `json:"hash"`
		Checkpoint string   `json:"checkpoint"`
		Inclusion  []string `json:"inclusion"`
	}
	if err := cl.do(ctx, "POST", "/api/v1/communities/"+url.PathEscape(slug)+"/statements", body, &rc); err != nil {
		return nil, err
	}
	cp, err := cl.advance(ctx, slug, cs, []byte(rc.Checkpoint))
	if err != nil {
		return nil, err
	}
	p, err := hexProof(rc.Inclusion)
	if err != nil {
		return nil, err
	}
	if err := clog.VerifyInclusion(cp, rc.Index, data, p); err != nil {
		return nil, fmt.Errorf("the receipt's inclusion proof: %w", err)
	}
	st := env.Parsed()
	r := clientReceipt{Kind: string(st.Kind), Scope: st.Scope, Index: rc.Index, Hash: env.Hash().String(), Entry: data}
	cs.Receipts = append(cs.Receipts, r)
	return &r, cl.save()
}

// advance accepts a newer checkpoint of the community's log only if it
// is signed by the log's key and extends the one kept (consistency proof
// from the server), and keeps it.
func (cl *koinonClient) advance(ctx context.Context, slug string, cs *communityState, signed []byte) (clog.Checkpoint, error) {
	v, err := note.NewVerifier(cs.VKey)
	if err != nil {
		return clog.Checkpoint{}, err
	}
	next, _, err := clog.OpenCheckpoint(signed, cs.Origin, v)
	if err != nil {
		return next, err
	}
	if cs.Checkpoint != "" {
		old, _, err := clog.OpenCheckpoint([]byte(cs.Checkpoint), cs.Origin, v)
		if err != nil {
			return next, fmt.Errorf("the kept checkpoint: %w", err)
		}
		var pr struct {
			Proof []string `json:"proof"`
		}
		if old.Size < next.Size {
			if err := cl.do(ctx, "GET", fmt.Sprintf("/api/v1/communities/%s/log/consistency?old=%d&new=%d", url.PathEscape(slug), old.Size, next.Size), nil, &pr); err != nil {
				return next, err
			}
		}
		p, err := hexProof(pr.Proof)
		if err != nil {
			return next, err
		}
		if err := clog.VerifyConsistency(old, next, tlog.TreeProof(p)); err != nil {
			return next, err
		}
	}
	cs.Checkpoint = string(signed)
	return next, nil
}

func hexProof(hs []string) (tlog.RecordProof, error) {
	p := make(tlog.RecordProof, len(hs))
	for i, h := range hs {
		b, err := hex.DecodeString(h)
		if err != nil || len(b) != len(p[i]) {
			return nil, fmt.Errorf("proof hash %q", h)
		}
		copy(p[i][:], b)
	}
	return p, nil
}

// handle is the token's citizen.
func (cl *koinonClient) handle(ctx context.Context) (string, error) {
	var me struct {
		Citizen struct {
			Handle string `json:"handle"`
		} `json:"citizen"`
	}
	err := cl.do(ctx, "GET", "/api/v1/me", nil, &me)
	return me.Citizen.Handle, err
}

func (cl *koinonClient) registerKey(ctx context.Context, slug string) (*clientReceipt, error) {
	handle, err := cl.handle(ctx)
	if err != nil {
		return nil, err
	}
	env, err := cl.sign(ctx, slug, statement.KeyRegister, statement.ScopeCommunity, statement.KeyContent{
		Citizen: handle, PublicKey: base64.StdEncoding.EncodeToString(cl.key.Public().(ed25519.PublicKey)),
	})
	if err != nil {
		return nil, err
	}
	return cl.submit(ctx, slug, env, nil)
}

func (cl *koinonClient) delegate(ctx context.Context, slug, topic string, ballot int64, delegates []string, remove bool) (*clientReceipt, error) {
	scope := statement.ScopeCommunity
	switch {
	case topic != "":
		scope = statement.TopicScope(topic)
	case ballot != 0:
		scope = statement.BallotScope(strconv.FormatInt(ballot, 10))
	}
	if delegates == nil {
		delegates = []string{}
	}
	env, err := cl.sign(ctx, slug, statement.Delegate, scope, statement.DelegateContent{Delegates: delegates, Remove: remove})
	if err != nil {
		return nil, err
	}
	return cl.submit(ctx, slug, env, nil)
}

func (cl *koinonClient) vote(ctx context.Context, ballot int64, choice string, withdraw bool) (*clientReceipt, error) {
	var b struct {
		Community string `json:"community"`
		Secrecy   string `json:"secrecy"`
	}
	id := strconv.FormatInt(ballot, 10)
	if err := cl.do(ctx, "GET", "/api/v1/ballots/"+id, nil, &b); err != nil {
		return nil, err
	}
	if b.Secrecy == "secret" && !withdraw {
		return cl.voteSecret(ctx, b.Community, ballot, choice)
	}
	if withdraw {
		env, err := cl.sign(ctx, b.Community, statement.VoteWithdraw, statement.BallotScope(id), struct{}{})
		if err != nil {
			return nil, err
		}
		return cl.submit(ctx, b.Community, env, nil)
	}
	canon, err := proof.Canonicalize([]byte(choice))
	if err != nil {
		return nil, fmt.Errorf("--choice: %w", err)
	}
	env, err := cl.sign(ctx, b.Community, statement.Vote, statement.BallotScope(id), statement.VoteContent{Choice: canon})
	if err != nil {
		return nil, err
	}
	nonce, err := statement.NewNonce(rand.Reader)
	if err != nil {
		return nil, err
	}
	return cl.submit(ctx, b.Community, env, nonce)
}

// check does, for every community the client made statements in, what
// the citizen's device does on each visit: the current checkpoint must
// extend the kept one; the log's entries (read from its tiles) must give
// its root and hold every kept receipt's entry at its index; no key the
// citizen does not hold may be registered for them or sign for them; and
// each sealed proof 2 of a closed public ballot must carry the citizen's
// statements up to its close. It returns how many statements it checked
// and the problems found.
func (cl *koinonClient) check(ctx context.Context) (int, []string, error) {
	n := 0
	var problems []string
	handle, err := cl.handle(ctx)
	if err != nil {
		return n, problems, err
	}
	for slug, cs := range cl.state.Communities {
		var signed []byte
		if err := cl.do(ctx, "GET", "/logs/"+url.PathEscape(slug)+"/checkpoint", nil, &signed); err != nil {
			return n, problems, err
		}
		cp, err := cl.advance(ctx, slug, cs, signed)
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s: the log's checkpoint does not extend the one kept: %v", slug, err))
			continue
		}
		entries, err := cl.readLog(ctx, slug, cp.Size)
		if err != nil {
			return n, problems, err
		}
		if root, _, err := clog.Replay(func(yield func([]byte) bool) {
			for _, e := range entries {
				if !yield(e) {
					return
				}
			}
		}); err != nil || root != cp.Root {
			problems = append(problems, fmt.Sprintf("%s: the log's entries do not give its checkpoint's root", slug))
			continue
		}
		for _, r := range cs.Receipts {
			n++
			if r.Index >= int64(len(entries)) || !bytes.Equal(entries[r.Index], r.Entry) {
				problems = append(problems, fmt.Sprintf("%s: your %s statement at log index %d is not in the log as you made it", slug, r.Kind, r.Index))
			}
		}
		problems = append(problems, cl.foreignKeys(slug, handle, entries)...)
		p, err := cl.checkProofs(ctx, slug, handle, cs)
		if err != nil {
			return n, problems, err
		}
		problems = append(problems, p...)
	}
	if err := cl.save(); err != nil {
		return n, problems, err
	}
	return n, problems, nil
}

// readLog reads the log's first size entries from its entry bundles.
func (cl *koinonClient) readLog(ctx context.Context, slug string, size int64) ([][]byte, error) {
	var out [][]byte
	for n := int64(0); n*clog.TileWidth < size; n++ {
		w := min(size-n*clog.TileWidth, clog.TileWidth)
		var data []byte
		path := clog.TilePath(tlog.Tile{H: clog.TileHeight, L: -1, N: n, W: int(w)})
		if err := cl.do(ctx, "GET", "/logs/"+url.PathEscape(slug)+"/"+path, nil, &data); err != nil {
			return nil, err
		}
		bundle, err := clog.ParseEntryBundle(data)
		if err != nil {
			return nil, err
		}
		out = append(out, bundle...)
	}
	return out, nil
}

// foreignKeys reports device keys registered for this citizen that are
// not this client's. (A custodial key is the one the server holds for
// clients that cannot sign: it is not reported.)
func (cl *koinonClient) foreignKeys(slug, handle string, entries [][]byte) []string {
	var problems []string
	for i, data := range entries {
		e, err := clog.ParseEntry(data)
		if err != nil || e.Type != clog.TypeStatement || e.Envelope.Parsed().Kind != statement.KeyRegister {
			continue
		}
		st := e.Envelope.Parsed()
		var kc statement.KeyContent
		_ = json.Unmarshal(st.Content, &kc)
		if kc.Citizen == handle && st.Key != cl.keyID && !kc.Custodial {
			problems = append(problems, fmt.Sprintf("%s: log index %d registers key %s for you, which is not this device's: if you did not add a device, report it to the board", slug, i, st.Key))
		}
	}
	return problems
}

// checkProofs checks the sealed proof 2 of every closed ballot of the
// community: it verifies, with the log key kept, and carries each of the
// citizen's statements below its close size, byte for byte.
func (cl *koinonClient) checkProofs(ctx context.Context, slug, handle string, cs *communityState) ([]string, error) {
	var list struct {
		Ballots []struct {
			ID int64 `json:"id"`
		} `json:"ballots"`
	}
	if err := cl.do(ctx, "GET", "/api/v1/communities/"+url.PathEscape(slug)+"/ballots?state=closed&limit=100", nil, &list); err != nil {
		return nil, err
	}
	var problems []string
	for _, b := range list.Ballots {
		var raw []byte
		if err := cl.do(ctx, "GET", fmt.Sprintf("/api/v1/ballots/%d/proof", b.ID), nil, &raw); err != nil {
			return nil, err
		}
		doc, err := proof2.Parse(raw)
		if err != nil {
			continue // not a proof 2: a pseudonymous ballot, or sealed before the logs
		}
		if rep := proof2.Verify(raw, proof2.Options{LogKey: cs.VKey}); !rep.OK {
			problems = append(problems, fmt.Sprintf("ballot %d: the sealed proof does not verify: %s", b.ID, failedCheck(rep)))
			continue
		}
		carried := map[int64][]byte{}
		for _, e := range doc.Entries {
			if c, err := proof.Canonicalize(e.Entry); err == nil {
				carried[e.Index] = c
			}
		}
		if !onRoll(doc, handle) {
			continue
		}
		for _, r := range cs.Receipts {
			if r.Index < doc.CloseSize && !bytes.Equal(carried[r.Index], r.Entry) {
				problems = append(problems, fmt.Sprintf("ballot %d: the sealed result did not use your %s statement at log index %d", b.ID, r.Kind, r.Index))
			}
		}
	}
	return problems, nil
}

// onRoll reports whether handle is in the proof's electorate.
func onRoll(doc *proof2.Document, handle string) bool {
	var el []struct {
		Voter string `json:"voter"`
	}
	_ = json.Unmarshal(doc.Electorate, &el)
	for _, e := range el {
		if e.Voter == handle {
			return true
		}
	}
	return false
}

// failedCheck names a report's failure: the check and its reason.
func failedCheck(rep proof2.Report) string {
	if n := len(rep.Checks); n > 0 && !rep.Checks[n-1].OK {
		return rep.Checks[n-1].Name + ": " + rep.Checks[n-1].Reason
	}
	return rep.Error
}
