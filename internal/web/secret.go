package web

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"koinon/internal/closing"
	"koinon/internal/domain"
	"koinon/internal/proof"
	"koinon/internal/secret"
	"koinon/internal/statement"
	"koinon/internal/store"
)

// Secret ballots (docs/spec/secret-ballot.md §11): trustees run the key
// generation and decrypt the aggregate through signed statements, voters
// cast encrypted ballots with validity proofs. The server checks every
// step and proof, and never sees a choice.

// secretStore is what the secret-ballot handlers need of the store.
type secretStore interface {
	TrusteeIDs(ctx context.Context, communityID int64, handles []string) ([]int64, error)
	SecretState(ctx context.Context, ballotID int64) (store.SecretState, error)
	AddTrusteeStep(ctx context.Context, ballotID, citizenID int64, kind statement.Kind,
		decide func(st store.SecretState, position int) (store.TrusteeWrite, error)) (store.Ballot, error)
	CastSecretVote(ctx context.Context, r store.SecretCast) (store.Vote, error)
	IsTrustee(ctx context.Context, ballotID, citizenID int64) (bool, error)
	WithdrawSecretVote(ctx context.Context, ballotID, citizenID int64) error
}

// secretJSON is a secret ballot's key generation and decryption progress,
// per trustee, as GET /api/v1/ballots/{id} shows it.
type secretJSON struct {
	TrusteeThreshold int           `json:"trustee_threshold"`
	Phase            string        `json:"phase"`
	Problem          string        `json:"problem,omitempty"`
	JointKey         string        `json:"joint_key,omitempty"`
	Trustees         []trusteeJSON `json:"trustees"`
	// SharesNeeded and Missing are set while the ballot is tallying:
	// how many more decryption shares the threshold needs, and the
	// trustees who have not sent theirs.
	SharesNeeded int      `json:"shares_needed,omitempty"`
	Missing      []string `json:"missing,omitempty"`
}

// MissingList is Missing as the page writes it.
func (v *secretJSON) MissingList() string { return strings.Join(v.Missing, ", ") }

type trusteeJSON struct {
	Position int      `json:"position"`
	Handle   string   `json:"handle"`
	Steps    []string `json:"steps"`         // the steps taken, in order
	Due      string   `json:"due,omitempty"` // the key-generation step due now
	// Decrypted is set once the ballot is tallying or closed: whether the
	// trustee sent a decryption share.
	Decrypted *bool `json:"decrypted,omitempty"`
}

// The phases of a secret ballot's cryptography.
const (
	phaseKeyGeneration = "key_generation"        // trustees are making the joint key
	phaseKeyFailed     = "key_generation_failed" // fewer qualified dealers than the threshold
	phaseKeyReady      = "key_ready"             // joint key fixed: the ballot may open, or is open
	phaseDecryption    = "decryption"            // tallying: waiting for decryption shares
	phaseDecrypted     = "decrypted"             // the result is sealed
)

// secretParams are the key generation parameters of a secret ballot.
func secretParams(st store.SecretState) secret.Params {
	return secret.Params{BallotID: strconv.FormatInt(st.Ballot.ID, 10), Trustees: len(st.Trustees), Threshold: st.Ballot.TrusteeThreshold}
}

// secretSession replays the stored key-generation steps.
func secretSession(st store.SecretState) (secret.Session, error) {
	steps := make([]secret.Published, len(st.Steps))
	for i, stp := range st.Steps {
		steps[i] = secret.Published{Trustee: stp.Position, Step: stp.Step, Content: []byte(stp.Content)}
	}
	sess, err := secret.Replay(secretParams(st), steps)
	if err != nil {
		return sess, fmt.Errorf("web: the stored key generation of ballot %d does not replay: %w", st.Ballot.ID, err)
	}
	return sess, nil
}

// secretView is the progress of a secret ballot.
func secretView(st store.SecretState) (*secretJSON, error) {
	sess, err := secretSession(st)
	if err != nil {
		return nil, err
	}
	v := &secretJSON{TrusteeThreshold: st.Ballot.TrusteeThreshold, Phase: phaseKeyGeneration, JointKey: st.Tally.JointKey}
	if _, _, err := sess.KeyGeneration(); err != nil {
		v.Phase, v.Problem = phaseKeyFailed, err.Error()
	}
	tallying := st.Ballot.State == store.StateTallying || st.Ballot.State == store.StateClosed
	switch {
	case st.Tally.JointKey != "" && st.Ballot.State == store.StateTallying:
		v.Phase = phaseDecryption
	case st.Tally.JointKey != "" && st.Ballot.State == store.StateClosed:
		v.Phase = phaseDecrypted
	case st.Tally.JointKey != "":
		v.Phase = phaseKeyReady
	}
	shares := 0
	for _, t := range st.Trustees {
		tj := trusteeJSON{Position: t.Position, Handle: t.Handle, Steps: []string{}}
		for _, stp := range st.Steps {
			if stp.Position == t.Position {
				tj.Steps = append(tj.Steps, stp.Step)
			}
		}
		slices.SortFunc(tj.Steps, func(a, b string) int { return slices.Index(secret.Steps, a) - slices.Index(secret.Steps, b) })
		if v.Phase == phaseKeyGeneration {
			tj.Due = sess.Due(t.Position)
		}
		if tallying {
			done := slices.Contains(tj.Steps, secret.StepDecrypt)
			tj.Decrypted = &done
			if done {
				shares++
			} else if st.Ballot.State == store.StateTallying {
				v.Missing = append(v.Missing, t.Handle)
			}
		}
		v.Trustees = append(v.Trustees, tj)
	}
	if st.Ballot.State == store.StateTallying {
		v.SharesNeeded = max(st.Ballot.TrusteeThreshold-shares, 0)
	}
	return v, nil
}

// secretTranscriptJSON is everything public a trustee's device or a
// voter's device needs: the parameters, each trustee's steps (contents),
// the finished key generation, the aggregate once tallying, and what a
// voter encrypts to (voting: definition and joint key).
type secretTranscriptJSON struct {
	Params        secret.Params      `json:"params"`
	Trustees      []trusteeStepsJSON `json:"trustees"`
	KeyGeneration json.RawMessage    `json:"key_generation"`
	Aggregate     json.RawMessage    `json:"aggregate"`
	Ballot        secret.Definition  `json:"ballot"`
	Key           *string            `json:"key"`
	Progress      *secretJSON        `json:"progress"`
	You           *secretYouJSON     `json:"you,omitempty"`
	// StepKinds names each step's statement kind.
	StepKinds map[string]string `json:"step_kinds"`
}

type trusteeStepsJSON struct {
	Position int                        `json:"position"`
	Handle   string                     `json:"handle"`
	Steps    map[string]json.RawMessage `json:"steps"`
}

// secretYouJSON says, to a signed-in caller, whether they are a trustee
// (and which) and the voter id their ballot's proofs are bound to.
type secretYouJSON struct {
	Trustee int    `json:"trustee,omitempty"`
	Due     string `json:"due,omitempty"`
	Voter   string `json:"voter"`
}

// apiSecretTranscript serves a secret ballot's public cryptographic state
// (GET /api/v1/ballots/{id}/secret).
func (s *Server) apiSecretTranscript(c echo.Context) error {
	b := routeBallot(c)
	if b.Secrecy != domain.SecrecySecret {
		return errorf(http.StatusNotFound, "not_found", "ballot "+b.IDString()+" is not a secret ballot")
	}
	ctx := c.Request().Context()
	st, err := s.store.SecretState(ctx, b.ID)
	if err != nil {
		return err
	}
	prog, err := secretView(st)
	if err != nil {
		return err
	}
	opts, err := s.options.get(ctx, s.store, b)
	if err != nil {
		return err
	}
	out := secretTranscriptJSON{Params: secretParams(st), Ballot: closing.SecretDefinition(*b, opts), Progress: prog,
		KeyGeneration: rawOrNull(st.Tally.KeyGeneration), Aggregate: rawOrNull(st.Tally.Aggregate), StepKinds: map[string]string{}}
	for k, step := range statement.TrusteeKinds {
		out.StepKinds[step] = string(k)
	}
	if st.Tally.JointKey != "" {
		out.Key = &st.Tally.JointKey
	}
	for _, t := range st.Trustees {
		tj := trusteeStepsJSON{Position: t.Position, Handle: t.Handle, Steps: map[string]json.RawMessage{}}
		for _, stp := range st.Steps {
			if stp.Position == t.Position {
				tj.Steps[stp.Step] = json.RawMessage(stp.Content)
			}
		}
		out.Trustees = append(out.Trustees, tj)
	}
	if me := currentCitizen(c); me != nil {
		out.You = &secretYouJSON{Voter: me.Handle, Trustee: st.TrusteeOf(me.ID)}
		for _, t := range prog.Trustees {
			if t.Position == out.You.Trustee {
				out.You.Due = t.Due
			}
		}
	}
	return c.JSON(http.StatusOK, out)
}

func rawOrNull(s string) json.RawMessage {
	if s == "" {
		return json.RawMessage("null")
	}
	return json.RawMessage(s)
}

// apiTrusteeStep takes a trustee's signed step (POST
// /api/v1/ballots/{id}/trustee/{step}): the body is the statement's
// envelope, whose kind must be the step's.
func (s *Server) apiTrusteeStep(c echo.Context) error {
	if err := s.logsOn(); err != nil {
		return err
	}
	b := routeBallot(c)
	step := c.Param("step")
	if !slices.Contains(secret.Steps, step) {
		return errorf(http.StatusNotFound, "not_found", "no trustee step "+step+": one of key, deal, check, reveal, decrypt")
	}
	sub, err := parseSubmission(c)
	if err != nil {
		return err
	}
	if sub.Nonce != nil {
		return domain.Invalidf("nonce", "a trustee step is sent as its envelope")
	}
	st := sub.Envelope.Parsed()
	if statement.TrusteeKinds[st.Kind] != step {
		return store.RefuseStatement(fmt.Errorf("%w: a %s statement sent as the trustee step %s", statement.ErrKind, st.Kind, step))
	}
	cm := routeCommunityOf(c)
	if st.Community != cm.Slug {
		return store.RefuseStatement(fmt.Errorf("%w: %q sent to %q", statement.ErrOtherCommunity, st.Community, cm.Slug))
	}
	sub.CommunityID, sub.CitizenID = cm.ID, currentCitizen(c).ID
	c.SetRequest(c.Request().WithContext(store.WithSubmission(c.Request().Context(), sub)))
	if err := s.trusteeStep(c, b, sub.Envelope); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, sub.Receipt)
}

// trusteeStep checks and records a trustee's signed step on ballot b
// (its envelope is in the request's submission). Acting twice, out of
// turn, or with content that does not verify is a 422 naming the
// problem; nothing is written.
func (s *Server) trusteeStep(c echo.Context, b *store.Ballot, env *statement.Envelope) error {
	st := env.Parsed()
	if _, ok := statement.TrusteeKinds[st.Kind]; !ok || st.Scope != statement.BallotScope(b.IDString()) {
		return store.RefuseStatement(fmt.Errorf("%w: a trustee step of ballot %s has scope ballot:%s", statement.ErrScope, b.IDString(), b.IDString()))
	}
	return s.applyTrusteeStep(c, b, st.Kind, st.Content)
}

// applyTrusteeStep checks and records the trustee step of kind with its
// content; the statement is the device's (in the request's submission) or,
// without one, signed with the trustee's custodial key (the trustee page,
// secret_pages.go).
func (s *Server) applyTrusteeStep(c echo.Context, b *store.Ballot, kind statement.Kind, raw json.RawMessage) error {
	step := statement.TrusteeKinds[kind]
	if b.Secrecy != domain.SecrecySecret {
		return domain.Invalidf("statement", "ballot %s is not a secret ballot: it has no trustees", b.IDString())
	}
	content, err := proof.Canonicalize(raw)
	if err != nil {
		return store.RefuseStatement(fmt.Errorf("%w: %v", statement.ErrContent, err))
	}
	ctx := c.Request().Context()
	decide := func(ss store.SecretState, pos int) (store.TrusteeWrite, error) {
		w := store.TrusteeWrite{Step: store.TrusteeStep{Step: step, Content: string(content)}}
		if step == secret.StepDecrypt {
			return s.decryptStep(ctx, ss, pos, content, w)
		}
		if ss.Ballot.State != store.StateDraft || ss.Tally.JointKey != "" {
			return w, domain.Invalidf("statement", "%s: %v: the key generation of ballot %s is over", step, secret.ErrOutOfTurn, ss.Ballot.IDString())
		}
		sess, err := secretSession(ss)
		if err != nil {
			return w, err
		}
		if err := sess.Apply(pos, step, content); err != nil {
			return w, domain.Invalidf("statement", "trustee %d: %v", pos, err)
		}
		kg, done, err := sess.KeyGeneration()
		if err != nil || !done {
			return w, nil // a failed key generation is shown on the ballot, with its reason
		}
		raw, err := json.Marshal(kg)
		if err != nil {
			return w, err
		}
		w.KeyGeneration, w.JointKey = string(raw), hex.EncodeToString(kg.Key.Bytes())
		return w, nil
	}
	_, err = s.store.AddTrusteeStep(ctx, b.ID, currentCitizen(c).ID, kind, decide)
	if errors.Is(err, domain.ErrForbidden) {
		return errorf(http.StatusForbidden, "not_trustee", "you are not a trustee of ballot "+b.IDString())
	}
	return err
}

// decryptStep checks a decryption share against the trustee's public
// share and the aggregate, and seals the result when it completes the
// threshold.
func (s *Server) decryptStep(ctx context.Context, ss store.SecretState, pos int, content []byte, w store.TrusteeWrite) (store.TrusteeWrite, error) {
	if ss.Ballot.State != store.StateTallying {
		return w, domain.Stated("ballot_not_tallying", "decryption shares are taken once the ballot is closed and its aggregate published; it is %s", ss.Ballot.State)
	}
	var kg secret.KeyGeneration
	var aggs []secret.Ciphertext
	var fr closing.SecretFrozen
	if err := errors.Join(json.Unmarshal([]byte(ss.Tally.KeyGeneration), &kg), json.Unmarshal([]byte(ss.Tally.Aggregate), &aggs),
		json.Unmarshal([]byte(ss.Tally.CastJSON), &fr)); err != nil {
		return w, fmt.Errorf("web: secret state of ballot %d: %w", ss.Ballot.ID, err)
	}
	var shares []secret.DecryptionShare
	statements := []json.RawMessage{}
	for _, stp := range ss.Steps {
		if stp.Statement != "" {
			statements = append(statements, json.RawMessage(stp.Statement))
		}
		if stp.Step != secret.StepDecrypt {
			continue
		}
		if stp.Position == pos {
			return w, domain.Invalidf("statement", "decrypt: trustee %d: %v", pos, secret.ErrTwice)
		}
		var d secret.DecryptStep
		if err := json.Unmarshal([]byte(stp.Content), &d); err != nil {
			return w, err
		}
		shares = append(shares, d.Share)
	}
	share, err := secret.VerifyDecryption(kg, pos, aggs, content)
	if err != nil {
		return w, domain.Invalidf("statement", "trustee %d: %v", pos, err)
	}
	shares = append(shares, share)
	if len(shares) < kg.Params.Threshold {
		return w, nil
	}
	if sub := store.SubmissionFrom(ctx); sub != nil && sub.Envelope != nil {
		statements = append(statements, json.RawMessage(sub.Envelope.Bytes()))
	}
	for _, v := range ss.VoteStatements {
		statements = append(statements, json.RawMessage(v))
	}
	opts, err := s.options.get(ctx, s.store, &ss.Ballot)
	if err != nil {
		return w, err
	}
	out, err := closing.SealSecret(closing.SecretSeal{Ballot: ss.Ballot, Options: opts, KeyGeneration: kg, Frozen: fr,
		Aggregate: aggs, Shares: shares, Statements: statements})
	if err != nil {
		return w, err
	}
	w.Sealed = &out
	return w, nil
}

// castSecretVote checks an encrypted ballot (every point on the curve,
// every 0/1 and sum proof against the joint key and the caller as voter,
// no ciphertext twice) and records it; the server keeps only the
// ciphertexts and proofs. The receipt is the hash of the ballot's
// canonical JSON, under which the voter finds it in the proof.
func (s *Server) castSecretVote(c echo.Context, b *store.Ballot, raw json.RawMessage) (store.Vote, error) {
	ctx := c.Request().Context()
	if err := s.precheckVote(c, b); err != nil {
		return store.Vote{}, err
	}
	if len(raw) == 0 || string(raw) == "null" {
		return store.Vote{}, domain.Invalidf("ballot", "required: the encrypted ballot {ciphertexts, bit_proofs, sum_proofs}")
	}
	ss, err := s.store.SecretState(ctx, b.ID)
	if err != nil {
		return store.Vote{}, err
	}
	opts, err := s.options.get(ctx, s.store, b)
	if err != nil {
		return store.Vote{}, err
	}
	var key secret.Point
	if err := key.UnmarshalText([]byte(ss.Tally.JointKey)); err != nil {
		return store.Vote{}, fmt.Errorf("web: joint key of ballot %d: %w", b.ID, err)
	}
	var ballot secret.Ballot
	if err := strictBallot(raw, &ballot); err != nil {
		return store.Vote{}, domain.Invalidf("ballot", "%v", err)
	}
	if err := secret.Complete(ballot); err != nil {
		return store.Vote{}, domain.Invalidf("ballot", "%v", err)
	}
	me := currentCitizen(c)
	voting := secret.Voting{Ballot: closing.SecretDefinition(*b, opts), Key: key, Voter: me.Handle}
	if err := voting.Verify(ballot); err != nil {
		return store.Vote{}, domain.Invalidf("ballot", "%v", err)
	}
	points := make([]string, len(ballot.Ciphertexts))
	for i, ct := range ballot.Ciphertexts {
		points[i] = hex.EncodeToString(ct.A.Bytes())
		if slices.Contains(points[:i], points[i]) {
			return store.Vote{}, domain.Invalidf("ballot", "ciphertext %d repeats ciphertext %d", i, slices.Index(points[:i], points[i]))
		}
	}
	canon, err := json.Marshal(ballot)
	if err == nil {
		canon, err = proof.Canonicalize(canon)
	}
	if err != nil {
		return store.Vote{}, err
	}
	sum := sha256.Sum256(canon)
	v, err := s.store.CastSecretVote(ctx, store.SecretCast{BallotID: b.ID, CitizenID: me.ID, Ballot: string(canon), Points: points,
		Receipt: hex.EncodeToString(sum[:]), Content: statement.SecretVoteContent{Ballot: canon}})
	if err != nil {
		return v, notEligible(err)
	}
	s.metrics.VotesCast.Inc()
	return v, nil
}

// strictBallot decodes an encrypted ballot, refusing unknown members: a
// point that is not a valid ristretto255 encoding fails here.
func strictBallot(raw []byte, v *secret.Ballot) error {
	d := json.NewDecoder(bytes.NewReader(raw))
	d.DisallowUnknownFields()
	return d.Decode(v)
}

// secretReceiptJSON is a voter's receipt on a closed secret ballot: where
// their encrypted ballot is in the proof (cast_index, the position in
// record.cast) and its hash, the receipt they got when casting. It proves
// that the ballot was counted, never what it says.
type secretReceiptJSON struct {
	Format       string `json:"format"`
	Ballot       string `json:"ballot"`
	Voter        string `json:"voter"`
	BallotSHA256 string `json:"ballot_sha256"`
	CastIndex    int    `json:"cast_index"`
	Weight       int64  `json:"weight"`
	ProofHash    string `json:"proof_hash"`
}

// secretReceipt finds the caller's encrypted ballot in the sealed proof.
func (s *Server) secretReceipt(c echo.Context, b *store.Ballot) ([]byte, string, error) {
	ctx := c.Request().Context()
	me := currentCitizen(c)
	v, err := s.store.VoteOf(ctx, b.ID, me.ID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, "", errorf(http.StatusNotFound, "no_vote", "you did not vote directly on this ballot, so there is no receipt: your weight (if any) went through your delegation")
	}
	if err != nil {
		return nil, "", err
	}
	raw, err := s.proofJSON(ctx, b)
	if err != nil {
		return nil, "", err
	}
	var doc proof.SecretBallotProof
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, "", fmt.Errorf("web: stored proof of ballot %d: %w", b.ID, err)
	}
	for i, cast := range doc.Record.Cast {
		if cast.Voter != me.Handle {
			continue
		}
		out, err := json.Marshal(secretReceiptJSON{Format: "koinon-secret-receipt/1", Ballot: b.IDString(), Voter: me.Handle,
			BallotSHA256: v.Receipt, CastIndex: i, Weight: cast.Weight, ProofHash: b.ProofHash})
		return out, me.Handle, err
	}
	return nil, "", errorf(http.StatusNotFound, "no_vote", "your ballot is not among the counted ones")
}
