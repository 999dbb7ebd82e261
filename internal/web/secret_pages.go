package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/labstack/echo/v4"

	"koinon/internal/closing"
	"koinon/internal/domain"
	"koinon/internal/secret"
	"koinon/internal/statement"
	"koinon/internal/store"
)

// The pages of a secret ballot (docs/ballots.md "Secret ballots"): the
// ballot page shows the trustees' progress, encrypts the voter's choice on
// their device (static/js/secret_vote.js) and, while tallying, who is
// missing; the trustee page (GET /ballots/:id/trustee) lets a trustee
// take their steps in the browser (static/js/trustee.js). The API
// handlers are in secret.go.

// secretPageView is a secret ballot as its pages show it.
type secretPageView struct {
	Threshold    int
	Phase        string
	Problem      string
	Trustees     []trusteeRow
	KeyReady     bool
	JointKey     string // hex, once the key generation is complete
	Tallying     bool   // the state is tallying: who is missing
	Decrypting   bool   // tallying or closed: the decryption column
	SharesNeeded int
	Missing      []string
	MissingList  string   // Missing as the page writes it
	You          int      // the caller's trustee position, 0 when none
	Voting       string   // JSON for secret_vote.js: definition, joint key, voter (open ballot, voter on the roll)
	Texts        string   // JSON: the secret.js.* texts in the page's language
	Command      []string // the koinon client vote command for this ballot, in unbreakable parts
}

type trusteeRow struct {
	Position  int
	Handle    string
	Steps     int    // key-generation steps taken
	Due       string // the step due now, "" when none
	KeyDone   bool   // the joint key is complete
	Decrypted bool   // sent a decryption share
}

// secretPage fills the secret ballot's view for the ballot page.
func (s *Server) secretPage(c echo.Context, b *store.Ballot, onRoll bool) (*secretPageView, error) {
	ctx := c.Request().Context()
	st, err := s.store.SecretState(ctx, b.ID)
	if err != nil {
		return nil, err
	}
	prog, err := secretView(st)
	if err != nil {
		return nil, err
	}
	v := &secretPageView{Threshold: prog.TrusteeThreshold, Phase: prog.Phase, Problem: prog.Problem,
		KeyReady: st.Tally.JointKey != "", JointKey: st.Tally.JointKey, Tallying: b.State == store.StateTallying,
		Decrypting:   b.State == store.StateTallying || b.State == store.StateClosed,
		SharesNeeded: prog.SharesNeeded, Missing: prog.Missing, MissingList: prog.MissingList()}
	for _, t := range prog.Trustees {
		row := trusteeRow{Position: t.Position, Handle: t.Handle, Due: t.Due, KeyDone: v.KeyReady,
			Decrypted: t.Decrypted != nil && *t.Decrypted}
		for _, step := range t.Steps {
			if step != secret.StepDecrypt {
				row.Steps++
			}
		}
		v.Trustees = append(v.Trustees, row)
	}
	me := currentCitizen(c)
	if me != nil {
		v.You = st.TrusteeOf(me.ID)
	}
	if b.State != store.StateOpen || !v.KeyReady || me == nil || !onRoll {
		return v, nil
	}
	opts, err := s.options.get(ctx, s.store, b)
	if err != nil {
		return nil, err
	}
	var key secret.Point
	if err := key.UnmarshalText([]byte(st.Tally.JointKey)); err != nil {
		return nil, fmt.Errorf("web: joint key of ballot %d: %w", b.ID, err)
	}
	def := closing.SecretDefinition(*b, opts)
	if b.Method == "majority" { // the voter reads yes, no, abstain in their language
		for i, o := range majorityWords(opts, s.locales.translator(s.lang(c))) {
			def.Options[i].Label = o.Label
		}
	}
	voting, err := json.Marshal(secret.Voting{Ballot: def, Key: key, Voter: me.Handle})
	if err != nil {
		return nil, err
	}
	texts, err := json.Marshal(s.locales.prefixed("secret.js.", s.lang(c)))
	if err != nil {
		return nil, err
	}
	v.Voting, v.Texts = string(voting), string(texts)
	v.Command = clientVoteCommand(c, b, opts)
	return v, nil
}

// clientVoteCommand is the koinon client vote command line for ballot b,
// with an example choice in the method's form.
func clientVoteCommand(c echo.Context, b *store.Ballot, opts []store.BallotOption) []string {
	keys := make([]string, len(opts))
	for i, o := range opts {
		keys[i] = o.Key
	}
	var choice string
	switch b.Method {
	case "majority":
		choice = `"yes"`
	case "plurality":
		choice = fmt.Sprintf("%q", keys[0])
	case "approval":
		choice = fmt.Sprintf("[%q]", keys[0])
	default: // schulze: a ranking of groups, best first
		choice = fmt.Sprintf("[[%q],[%s]]", keys[0], strings.Trim(strings.Join(strings.Fields(fmt.Sprintf("%q", keys[1:])), ","), "[]"))
	}
	return []string{"koinon client vote", "--server " + serverURL(c), "--token TOKEN", "--key my-key.json",
		fmt.Sprintf("--ballot %d", b.ID), "--choice '" + choice + "'"}
}

// serverURL is this server's URL as the request reached it.
func serverURL(c echo.Context) string { return c.Scheme() + "://" + c.Request().Host }

// trusteePage is GET /ballots/:id/trustee: the trustee's own steps,
// taken on their device.
type trusteePage struct {
	Page
	Community *store.Community
	Ballot    store.Ballot
	Secret    *secretPageView
	Position  int
	Steps     int // key-generation steps this trustee took
	// Action is what the device does now: "keygen" (a key-generation
	// step is due), "decrypt" (tallying, share not sent), or "" (wait).
	Action  string
	Done    bool     // this trustee has nothing more to do
	Texts   string   // JSON: the trustee.js.* texts
	Command []string // the koinon trustee command for this ballot, in unbreakable parts
	// Device runs device.js: the steps are signed with the trustee's
	// browser key (nil when the server keeps no logs).
	Device *deviceView
}

func (s *Server) showTrusteePage(c echo.Context) error {
	b := routeBallot(c)
	if b.Secrecy != domain.SecrecySecret {
		return errorf(http.StatusNotFound, "not_found", "ballot "+b.IDString()+" is not a secret ballot")
	}
	sv, err := s.secretPage(c, b, false)
	if err != nil {
		return err
	}
	if sv.You == 0 {
		return errorf(http.StatusForbidden, "not_trustee", "you are not a trustee of ballot "+b.IDString())
	}
	p := trusteePage{Page: s.page(c, ""), Community: routeCommunityOf(c), Ballot: *b, Secret: sv, Position: sv.You}
	p.Title = b.Title
	me := sv.Trustees[sv.You-1]
	p.Steps = me.Steps
	switch {
	case me.Due != "":
		p.Action = "keygen"
	case sv.Tallying && !me.Decrypted:
		p.Action = "decrypt"
	case b.State == store.StateClosed || me.Decrypted:
		p.Done = true
	}
	texts, err := json.Marshal(s.locales.prefixed("trustee.js.", s.lang(c)))
	if err != nil {
		return err
	}
	p.Texts = string(texts)
	if p.Device, err = s.deviceFor(c, p.Community); err != nil {
		return err
	}
	if p.Device != nil {
		p.Device.Ballot, p.Device.Closed = b.ID, b.State == store.StateClosed
	}
	verb := "join"
	if b.State == store.StateTallying || b.State == store.StateClosed {
		verb = "decrypt"
	}
	p.Command = []string{"koinon trustee " + verb, "--server " + serverURL(c), "--token TOKEN", "--key trustee-key.json", "--ballot " + b.IDString()}
	return s.render(c, http.StatusOK, "ballot_trustee", p)
}

// trusteeStepPage is POST /ballots/:id/trustee/:step from the trustee
// page: the content its device made (form field "content", JSON), sent
// as the trustee's statement when the page cannot sign it itself
// (trustee.js signs with the device key through device.js and sends it to
// the statements route; without the logs or WebCrypto Ed25519 it comes
// here): the statement is signed with the trustee's custodial key and
// marked so in the log; the content carries only
// public values (box key, commitments, sealed shares, complaints,
// reveals, decryption share). The answer is JSON for the page's script:
// 200 {"ok": true}, or the refusal's status with {"error": its words in
// the page's language}.
func (s *Server) trusteeStepPage(c echo.Context) error {
	b := routeBallot(c)
	step := c.Param("step")
	if !slices.Contains(secret.Steps, step) {
		return errorf(http.StatusNotFound, "not_found", "no trustee step "+step)
	}
	var kind statement.Kind
	for k, st := range statement.TrusteeKinds {
		if st == step {
			kind = k
		}
	}
	content := json.RawMessage(c.FormValue("content"))
	if !json.Valid(content) {
		return c.JSON(http.StatusUnprocessableEntity, map[string]string{"error": "content: must be the step's content as JSON"})
	}
	err := s.applyTrusteeStep(c, b, kind, content)
	if err == nil {
		return c.JSON(http.StatusOK, map[string]bool{"ok": true})
	}
	if he, internal := classify(err); !internal {
		return c.JSON(he.Status, map[string]string{"error": s.locales.errorText(s.lang(c), err)})
	}
	return err
}

// castSecretBallot is the ballot page's cast of a secret ballot: the form
// carries only the encrypted ballot its script made ("ballot", JSON).
// Without it (no JavaScript) nothing is cast and the page says why.
func (s *Server) castSecretBallot(c echo.Context, b *store.Ballot, form url.Values) error {
	tr := s.locales.translator(s.lang(c))
	raw := json.RawMessage(form.Get("ballot"))
	if len(raw) == 0 {
		return s.refuseVote(c, form, fieldErrors{"choice": tr("secret.vote.needs_js")})
	}
	v, err := s.castSecretVote(c, b, raw)
	var inv *domain.Invalid
	if errors.As(err, &inv) {
		return s.refuseVote(c, form, fieldErrors{"choice": s.locales.errorText(s.lang(c), err)})
	}
	if err := s.flashStateError(c, err); err != nil {
		return err
	}
	if err == nil {
		s.flash(c, tr("secret.vote.saved", v.Receipt))
	}
	return redirect(c, "/ballots/"+b.IDString()+"#vote")
}
