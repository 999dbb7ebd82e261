package main

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"strconv"

	"koinon/internal/keyring"
	"koinon/internal/proof"
	"koinon/internal/secret"
	"koinon/internal/statement"
	"koinon/internal/tally"
	tdevice "koinon/internal/trustee"
)

// trusteeKey is a trustee's key file: the device key that signs the
// trustee's statements and the seed from which, per ballot, the box key
// and the dealt polynomial are derived (HKDF-SHA512), so that `join` can
// be run again at any step and needs nothing else kept.
type trusteeKey struct {
	deviceKey
	DKGSeed string `json:"dkg_seed"` // 32 bytes, base64
}

// Exit statuses of koinon trustee.
const (
	trusteeDone    = 0
	trusteeRefused = 1
	trusteeUsage   = 2
	trusteeWaiting = 3
)

func cmdTrustee(ctx context.Context, e env) int {
	if len(e.args) == 0 {
		fmt.Fprintln(e.stderr, "usage: koinon trustee keygen|join|decrypt [flags] (koinon trustee CMD -h)")
		return trusteeUsage
	}
	sub, args := e.args[0], e.args[1:]
	fs := flag.NewFlagSet("trustee "+sub, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	var out, keyFile string
	var ballot int64
	server := fs.String("server", e.getenv("KOINON_SERVER"), "the server's URL (KOINON_SERVER)")
	token := fs.String("token", e.getenv("KOINON_TOKEN"), "an API token (KOINON_TOKEN)")
	switch sub {
	case "keygen":
		fs.StringVar(&out, "out", "", "where to write the new trustee key (0600; never over an existing file)")
	case "join", "decrypt":
		fs.StringVar(&keyFile, "key", "", "the trustee key file (koinon trustee keygen)")
		fs.Int64Var(&ballot, "ballot", 0, "the secret ballot's id")
	default:
		fmt.Fprintf(e.stderr, "koinon trustee: unknown command %q\n", sub)
		return trusteeUsage
	}
	if rest, err := parseArgs(fs, args); err != nil || len(rest) > 0 {
		return trusteeUsage
	}
	if sub == "keygen" {
		if out == "" {
			fs.Usage()
			return trusteeUsage
		}
		id, err := trusteeKeygen(out)
		if err != nil {
			fmt.Fprintf(e.stderr, "koinon trustee keygen: %v\n", err)
			return trusteeRefused
		}
		fmt.Fprintf(e.stdout, "trustee key %s written to %s\n", id, out)
		return trusteeDone
	}
	if *server == "" || *token == "" || keyFile == "" || ballot <= 0 {
		fs.Usage()
		return trusteeUsage
	}
	tr, err := openTrustee(*server, *token, keyFile, ballot)
	if err != nil {
		fmt.Fprintf(e.stderr, "koinon trustee %s: %v\n", sub, err)
		return trusteeUsage
	}
	var line string
	code := trusteeDone
	if sub == "join" {
		code, line, err = tr.join(ctx)
	} else {
		code, line, err = tr.decrypt(ctx)
	}
	var refused *refusedError
	switch {
	case errors.As(err, &refused):
		fmt.Fprintf(e.stderr, "koinon trustee %s: %v\n", sub, err)
		return trusteeRefused
	case err != nil:
		fmt.Fprintf(e.stderr, "koinon trustee %s: %v\n", sub, err)
		return trusteeUsage
	}
	fmt.Fprintln(e.stdout, line)
	return code
}

// trusteeKeygen writes a new trustee key (device key and DKG seed).
func trusteeKeygen(name string) (string, error) {
	if _, err := os.Stat(name); err == nil {
		return "", fmt.Errorf("%s exists: choose another file", name)
	}
	pub, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return "", err
	}
	seed := make([]byte, 32)
	if _, err := rand.Read(seed); err != nil {
		return "", err
	}
	tk := trusteeKey{deviceKey: deviceKey{Seed: base64.StdEncoding.EncodeToString(key.Seed()),
		PublicKey: base64.StdEncoding.EncodeToString(pub), KeyID: proof.KeyID(pub)}, DKGSeed: base64.StdEncoding.EncodeToString(seed)}
	b, _ := json.MarshalIndent(tk, "", "  ")
	return tk.KeyID, keyring.WriteFile(name, append(b, '\n'))
}

// trustee is one trustee's session with one secret ballot.
type trustee struct {
	cl        *koinonClient
	seed      []byte
	ballot    int64
	community string
}

func openTrustee(server, token, keyFile string, ballot int64) (*trustee, error) {
	cl, err := openClient(server, token, keyFile)
	if err != nil {
		return nil, err
	}
	var tk trusteeKey
	b, err := os.ReadFile(keyFile)
	if err == nil {
		err = json.Unmarshal(b, &tk)
	}
	if err != nil {
		return nil, err
	}
	seed, err := base64.StdEncoding.DecodeString(tk.DKGSeed)
	if err != nil || len(seed) != 32 {
		return nil, fmt.Errorf("%s: not a trustee key (no 32-byte dkg_seed): make one with koinon trustee keygen", keyFile)
	}
	return &trustee{cl: cl, seed: seed, ballot: ballot}, nil
}

// transcript is GET /api/v1/ballots/{id}/secret, as a trustee's device
// reads it (internal/trustee).
type transcript = tdevice.Transcript

func (tr *trustee) transcript(ctx context.Context) (*transcript, error) {
	id := strconv.FormatInt(tr.ballot, 10)
	if tr.community == "" {
		var b struct {
			Community string `json:"community"`
		}
		if err := tr.cl.do(ctx, "GET", "/api/v1/ballots/"+id, nil, &b); err != nil {
			return nil, err
		}
		tr.community = b.Community
	}
	var t transcript
	if err := tr.cl.do(ctx, "GET", "/api/v1/ballots/"+id+"/secret", nil, &t); err != nil {
		return nil, err
	}
	if t.You == nil || t.You.Trustee == 0 {
		return nil, &refusedError{Message: "you are not a trustee of ballot " + id}
	}
	return &t, nil
}

// device is this trustee's seed for the ballot's community: the box key
// and polynomial are derived from it (internal/trustee).
func (tr *trustee) device() tdevice.Device {
	return tdevice.Device{Seed: tr.seed, Community: tr.community}
}

// join takes every key-generation step due for this trustee, then says
// whether the joint key is complete (0) or others must act first (3).
func (tr *trustee) join(ctx context.Context) (int, string, error) {
	for range len(secret.Steps) {
		t, err := tr.transcript(ctx)
		if err != nil {
			return trusteeRefused, "", err
		}
		switch {
		case t.Key != nil:
			return trusteeDone, "the joint key is complete: " + hexPoint(*t.Key), nil
		case t.Progress.Phase == "key_generation_failed":
			return trusteeRefused, "", &refusedError{Message: "the key generation failed: " + t.Progress.Problem}
		case t.You.Due == "":
			return trusteeWaiting, "waiting for the other trustees", nil
		}
		content, err := tr.device().Step(rand.Reader, t)
		if err != nil {
			return trusteeRefused, "", err
		}
		kind := statementKind(t.You.Due)
		if err := tr.submit(ctx, kind, content); err != nil {
			return trusteeRefused, "", err
		}
	}
	return trusteeWaiting, "waiting for the other trustees", nil
}

func statementKind(step string) statement.Kind {
	for k, s := range statement.TrusteeKinds {
		if s == step {
			return k
		}
	}
	return ""
}

// submit signs a step as the trustee's statement and sends it; the
// receipt (checkpoint, inclusion proof) is checked and kept as for any
// statement of koinon client.
func (tr *trustee) submit(ctx context.Context, kind statement.Kind, content any) error {
	env, err := tr.cl.sign(ctx, tr.community, kind, statement.BallotScope(strconv.FormatInt(tr.ballot, 10)), content)
	if err != nil {
		return err
	}
	_, err = tr.cl.submit(ctx, tr.community, env, nil)
	return err
}

// decrypt sends this trustee's decryption share of the aggregate: 0 when
// sent (or already sent, or the result is sealed), 3 while the ballot
// has no aggregate yet.
func (tr *trustee) decrypt(ctx context.Context) (int, string, error) {
	t, err := tr.transcript(ctx)
	if err != nil {
		return trusteeRefused, "", err
	}
	j := t.You.Trustee
	if _, sent := t.Trustees[j-1].Steps[secret.StepDecrypt]; sent {
		return trusteeDone, "your decryption share is in", nil
	}
	switch {
	case t.Progress.Phase == "decrypted":
		return trusteeDone, "the result is sealed already; your share is not needed", nil
	case t.KeyGeneration == nil || t.Aggregate == nil:
		return trusteeWaiting, "waiting for the ballot to close and its aggregate", nil
	}
	share, err := tr.device().Decrypt(rand.Reader, t)
	if err != nil {
		return trusteeRefused, "", err
	}
	if err := tr.submit(ctx, statement.TrusteeDecrypt, share); err != nil {
		return trusteeRefused, "", err
	}
	return trusteeDone, "decryption share sent", nil
}

func hexPoint(p secret.Point) string {
	b, _ := p.MarshalText()
	return string(b)
}

// voteSecret encrypts and proves the choice on this device against the
// ballot's joint key (the choice is given as for a public ballot, e.g.
// '"yes"' or '[["a"],["b","c"]]'), signs the encrypted ballot as a
// secret_vote statement and sends it. The randomness is forgotten once
// the ballot is made: nothing kept can show what was chosen.
func (cl *koinonClient) voteSecret(ctx context.Context, community string, ballot int64, choice string) (*clientReceipt, error) {
	id := strconv.FormatInt(ballot, 10)
	var t transcript
	if err := cl.do(ctx, "GET", "/api/v1/ballots/"+id+"/secret", nil, &t); err != nil {
		return nil, err
	}
	if t.Key == nil || t.You == nil {
		return nil, &refusedError{Message: "ballot " + id + " has no joint key yet"}
	}
	canon, err := proof.Canonicalize([]byte(choice))
	if err != nil {
		return nil, fmt.Errorf("--choice: %w", err)
	}
	plain, err := tally.DecodeChoice(t.Ballot.Method, canon)
	if err != nil {
		return nil, fmt.Errorf("--choice: %w", err)
	}
	c, err := t.Ballot.FromTally(plain)
	if err != nil {
		return nil, fmt.Errorf("--choice: %w", err)
	}
	voting := secret.Voting{Ballot: t.Ballot, Key: *t.Key, Voter: t.You.Voter}
	enc, _, err := voting.Prepare(rand.Reader, c)
	if err != nil {
		return nil, fmt.Errorf("--choice: %w", err)
	}
	raw, err := json.Marshal(enc)
	if err == nil {
		raw, err = proof.Canonicalize(raw)
	}
	if err != nil {
		return nil, err
	}
	env, err := cl.sign(ctx, community, statement.SecretVote, statement.BallotScope(id), statement.SecretVoteContent{Ballot: raw})
	if err != nil {
		return nil, err
	}
	return cl.submit(ctx, community, env, nil)
}
