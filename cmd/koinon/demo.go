package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"koinon/internal/auth"
	"koinon/internal/closing"
	"koinon/internal/config"
	"koinon/internal/domain"
	"koinon/internal/proof"
	"koinon/internal/store"
	"koinon/internal/store/sqlstore"
)

// demoPassword is every demo citizen's password.
const demoPassword = "demo-password"

// demoBoard is the demo community's only board member (README says so):
// every other citizen but the auditor zoe is a plain member, so signing in
// as bob or carol shows what a citizen sees.
const demoBoard = "alice"

var demoHandles = []string{
	"alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy",
	"mallory", "niaj", "olivia", "peggy", "rupert", "sybil", "trent", "victor", "walter", "yara",
	"zoe", "amir", "bea", "chen", "dara", "emil", "fatima", "gus", "hana", "ines",
	"jonas", "kofi", "lena", "mateo", "nora", "oskar", "priya", "quinn", "rosa", "sami",
	"tariq", "uma", "vera", "wim", "xia", "yusuf", "zara", "ada", "bruno", "cleo",
}

// cmdDemo fills an empty database with a lively demo community: citizens,
// topics, delegation chains with backups and a cycle, proposals, one
// closed and sealed ballot of every method (so every result page can be
// seen at once) and open ballots with votes.
func cmdDemo(ctx context.Context, e env) int {
	cfg, err := config.Load("koinon demo", e.args, e.getenv, e.stderr)
	if err != nil {
		return fail(e, "demo", err)
	}
	log := newLogger(e.stderr)
	app, err := openApp(ctx, cfg, log)
	if err != nil {
		return fail(e, "demo", err)
	}
	defer app.close()
	n, err := app.store.CountCommunities(ctx)
	if err != nil {
		return fail(e, "demo", err)
	}
	if n > 0 {
		fmt.Fprintf(e.stdout, "koinon demo: the database already holds %d communities; the demo only fills an empty database, so nothing was changed.\n", n)
		return 0
	}
	start := time.Now()
	d := &demo{st: app.store, closer: closing.New(app.store, app.keys, log), rng: rand.New(rand.NewPCG(7, 42)), ids: map[string]int64{}}
	if err := d.run(ctx); err != nil {
		return fail(e, "demo", err)
	}
	fmt.Fprintf(e.stdout, "Demo ready in %.1fs: community %q with %d citizens, %d ballots (open and closed), proposals and delegations.\n",
		time.Since(start).Seconds(), "commons-foundation", len(demoHandles), d.ballots)
	fmt.Fprintf(e.stdout, "Sign in as any of: %s\n", strings.Join(demoHandles, ", "))
	fmt.Fprintf(e.stdout, "Password for all: %s   (board: %s; auditor: zoe; everyone else: members)\n", demoPassword, demoBoard)
	fmt.Fprintln(e.stdout, "Start the server with: koinon serve"+demoFlags(cfg))
	return 0
}

func demoFlags(cfg config.Config) string {
	var f string
	if cfg.DataDir != "" {
		f += " --data " + cfg.DataDir
	}
	if cfg.DatabaseURL != "" {
		f += " --database " + config.Mask(cfg.DatabaseURL)
	}
	return f
}

type demo struct {
	st      *sqlstore.Store
	closer  *closing.Closer
	rng     *rand.Rand
	ids     map[string]int64
	cm      store.Community
	topics  map[string]store.Topic
	ballots int
}

func (d *demo) run(ctx context.Context) error {
	hash, err := auth.HashPassword(demoPassword) // once: argon2 is slow on purpose
	if err != nil {
		return err
	}
	now := time.Now().UTC().Truncate(time.Second)
	citizens := make([]store.Citizen, len(demoHandles))
	for i, h := range demoHandles {
		citizens[i] = store.Citizen{Handle: h, Email: h + "@demo.koinon.example", DisplayName: strings.ToUpper(h[:1]) + h[1:],
			PasswordHash: hash, TokenVersion: 1, CreatedAt: now}
	}
	citizens[2].Statement = "I read every proposal and vote on infrastructure and finance."
	citizens[1].Statement = "Happy to carry votes on community matters; I publish my reasoning."
	if err := d.st.SeedRows(ctx, &citizens); err != nil {
		return fmt.Errorf("citizens: %w", err)
	}
	for _, c := range citizens {
		d.ids[c.Handle] = c.ID
	}
	d.cm = store.Community{Slug: "commons-foundation", Name: "Commons Foundation", Public: true, CreatedAt: now,
		Description: "A foundation stewarding open infrastructure for the commons. This is demo data."}
	if err := d.st.SeedRows(ctx, &d.cm); err != nil {
		return err
	}
	var ms []store.Membership
	for i, h := range demoHandles {
		role, weight := domain.RoleMember, int64(1)
		switch {
		case h == demoBoard:
			role = domain.RoleBoard
		case h == "zoe":
			role, weight = domain.RoleAuditor, 0
		case i%9 == 4:
			weight = 2 // founding members
		}
		ms = append(ms, store.Membership{CommunityID: d.cm.ID, CitizenID: d.ids[h], Role: role, Weight: weight, StartedAt: now.Add(-90 * 24 * time.Hour)})
	}
	if err := d.st.SeedRows(ctx, &ms); err != nil {
		return err
	}
	d.topics = map[string]store.Topic{}
	for _, t := range [][2]string{{"infrastructure", "Infrastructure"}, {"finance", "Finance"}, {"community", "Community"}, {"licensing", "Licensing"}} {
		tp := store.Topic{CommunityID: d.cm.ID, Slug: t[0], Name: t[1], CreatedAt: now}
		if err := d.st.SeedRows(ctx, &tp); err != nil {
			return err
		}
		d.topics[t[0]] = tp
	}
	if err := d.delegations(ctx); err != nil {
		return fmt.Errorf("delegations: %w", err)
	}
	props, err := d.proposals(ctx)
	if err != nil {
		return fmt.Errorf("proposals: %w", err)
	}
	return d.ballotsOfEveryMethod(ctx, props)
}

func (d *demo) delegate(ctx context.Context, who, topic string, to ...string) error {
	sc := store.Scope{CommunityID: d.cm.ID}
	if topic != "" {
		sc.TopicID = d.topics[topic].ID
	}
	ids := []int64{}
	for _, h := range to {
		ids = append(ids, d.ids[h])
	}
	return d.st.SetDelegation(ctx, d.ids[who], sc, ids)
}

func (d *demo) delegations(ctx context.Context) error {
	steps := []struct {
		who, topic string
		to         []string
	}{
		{"dave", "", []string{"erin"}},           // chain dave → erin → frank
		{"erin", "", []string{"frank", "carol"}}, // with a backup
		{"grace", "", []string{"heidi", "ivan"}}, // backup if heidi does not vote
		{"judy", "", []string{"mallory"}},        // cycle judy ↔ mallory …
		{"mallory", "", []string{"judy", "niaj"}},
		{"olivia", "", []string{"alice"}},
		{"olivia", "infrastructure", []string{"peggy"}}, // topic beats community
		{"trent", "", []string{"bob"}},
		{"trent", "finance", nil}, // "on finance I vote myself"
		{"sybil", "", []string{"victor"}},
		{"victor", "", []string{"sybil"}}, // a cycle without backup: lost unless one votes
	}
	for _, s := range steps {
		if err := d.delegate(ctx, s.who, s.topic, s.to...); err != nil {
			return err
		}
	}
	popular := []string{"carol", "bob", "peggy", "frank"}
	for i, h := range demoHandles[20:] {
		if h == "zoe" || i%4 == 3 {
			continue
		}
		first := popular[i%len(popular)]
		second := popular[(i+1)%len(popular)]
		if err := d.delegate(ctx, h, "", first, second); err != nil {
			return err
		}
	}
	return nil
}

func (d *demo) proposals(ctx context.Context) ([]store.Proposal, error) {
	specs := []struct{ author, topic, title, body string }{
		{"carol", "infrastructure", "Move our code to a self-hosted forge",
			"## Why\n\nWe depend on a proprietary forge. A **self-hosted** one keeps our history in the commons.\n\n## Plan\n\n1. Set up the forge on our servers\n2. Mirror every repository\n3. Switch over after one month\n\n| cost | per year |\n|---|---|\n| hosting | 1,200 € |\n| admin time | 40 h |"},
		{"peggy", "infrastructure", "Join a federated forge instead",
			"Rather than running our own, join an existing **federated** forge run by a friendly foundation.\n\n- no admin burden\n- federation keeps us portable"},
		{"frank", "finance", "Publish the budget quarterly",
			"Every quarter the board publishes income and spending as CSV and a short summary.\n\n> Transparency builds trust."},
		{"bob", "community", "Adopt a code of conduct",
			"We adopt the *Contributor Covenant* 2.1 with our own enforcement contacts."},
	}
	var out []store.Proposal
	for i, s := range specs {
		p := store.Proposal{CommunityID: d.cm.ID, AuthorID: d.ids[s.author], Title: s.title, Body: s.body}
		tp := d.topics[s.topic]
		p.TopicID = &tp.ID
		if err := d.st.CreateProposal(ctx, &p); err != nil {
			return nil, err
		}
		for _, h := range demoHandles[3+i : 12+2*i] {
			if err := d.st.SetSupport(ctx, p.ID, d.ids[h], true); err != nil {
				return nil, err
			}
		}
		out = append(out, p)
	}
	return out, nil
}

type demoBallot struct {
	title, topic, method, secrecy, rule string
	options                             []string
	seats                               int
	proposals                           []int64
	close                               bool
	votes                               func(i int, r *rand.Rand, keys []string) any
	budget                              *demoBudget
}

func (d *demo) ballotsOfEveryMethod(ctx context.Context, props []store.Proposal) error {
	pick := func(i int, r *rand.Rand, keys []string) any { return keys[r.IntN(len(keys))] }
	set := func(i int, r *rand.Rand, keys []string) any {
		var out []string
		for _, k := range keys {
			if r.IntN(2) == 0 {
				out = append(out, k)
			}
		}
		if out == nil {
			out = []string{}
		}
		return out
	}
	rank := func(i int, r *rand.Rand, keys []string) any {
		p := r.Perm(len(keys))
		out := make([]string, 1+r.IntN(len(keys)))
		for j := range out {
			out[j] = keys[p[j]]
		}
		return out
	}
	groups := func(i int, r *rand.Rand, keys []string) any {
		p := r.Perm(len(keys))
		var out [][]string
		for _, j := range p {
			if len(out) > 0 && r.IntN(4) == 0 {
				out[len(out)-1] = append(out[len(out)-1], keys[j])
			} else {
				out = append(out, []string{keys[j]})
			}
		}
		return out
	}
	yesno := func(i int, r *rand.Rand, keys []string) any {
		return []string{"yes", "yes", "no", "abstain", "yes"}[r.IntN(5)]
	}
	specs := []demoBallot{
		{title: "Publish the budget quarterly", topic: "finance", method: "majority", proposals: []int64{props[2].ID}, close: true, votes: yesno},
		{title: "Where should the next summit be?", topic: "community", method: "plurality", options: []string{"Lisbon", "Nairobi", "Montréal", "Online only"}, close: true, votes: pick},
		{title: "Board election 2025 (3 seats)", method: "stv", rule: "meek", seats: 3, secrecy: "pseudonymous",
			options: []string{"Ada Lovelace", "Bea Arthur", "Chen Wei", "Dara Ó Briain", "Emil Nolde", "Fatima Mernissi"}, close: true, votes: rank},
		{title: "Adopt a code of conduct", topic: "community", method: "majority", proposals: []int64{props[3].ID}, votes: yesno},
		{title: "Which working groups should we fund?", topic: "finance", method: "approval", options: []string{"Documentation", "Security audits", "Outreach", "Translations"}, votes: set},
		{title: "Elect the community manager", topic: "community", method: "irv", options: []string{"Hana", "Ines", "Jonas", "Kofi"}, votes: rank},
		{title: "Which forge?", topic: "infrastructure", method: "schulze", proposals: []int64{props[0].ID, props[1].ID}, votes: groups},
		// Closed, so that the approval, IRV and Schulze result pages can
		// be seen without doing anything.
		{title: "Which sprints did we fund last year?", topic: "finance", method: "approval", options: []string{"Packaging", "Accessibility", "Mentoring", "Infrastructure"}, close: true, votes: set},
		{title: "Elect the treasurer", topic: "finance", method: "irv", options: []string{"Lena", "Mateo", "Nora", "Oskar"}, close: true, votes: rank},
		{title: "Which logo?", topic: "community", method: "schulze", options: []string{"Circle", "Bridge", "Tree", "Keep the old one"}, close: true, votes: groups},
	}
	specs = append(specs, demoBudgetBallots()...)
	for _, sp := range specs {
		if err := d.ballot(ctx, sp); err != nil {
			return fmt.Errorf("ballot %q: %w", sp.title, err)
		}
	}
	return nil
}

func (d *demo) ballot(ctx context.Context, sp demoBallot) error {
	b := store.Ballot{CommunityID: d.cm.ID, Title: sp.title, Method: sp.method, Seats: max(sp.seats, 1), STVRule: sp.rule,
		Threshold: "1/2", Strict: true, Quorum: "1/10", Delegation: true, Secrecy: "public", CreatedBy: d.ids["alice"],
		ClosesAt: time.Now().UTC().Add(time.Duration(3+d.ballots) * 24 * time.Hour).Truncate(time.Second)}
	b.Description = "Demo ballot: " + sp.title
	if sp.secrecy != "" {
		b.Secrecy = sp.secrecy
	}
	if sp.topic != "" {
		tp := d.topics[sp.topic]
		b.TopicID = &tp.ID
	}
	var opts []store.BallotOption
	switch {
	case sp.method == "majority":
		opts = []store.BallotOption{{Key: "yes", Label: "Yes"}, {Key: "no", Label: "No"}, {Key: "abstain", Label: "Abstain"}}
		if len(sp.proposals) == 1 {
			b.ProposalID = &sp.proposals[0]
		}
	case len(sp.proposals) > 1:
		ps, err := d.st.ProposalsByIDs(ctx, d.cm.ID, sp.proposals)
		if err != nil {
			return err
		}
		for _, p := range ps {
			opts = append(opts, store.BallotOption{Key: fmt.Sprintf("p%d", p.ID), Label: p.Title})
		}
		opts = append(opts, store.BallotOption{Key: "status-quo", Label: "Status quo (none of these proposals)"})
	default:
		for _, o := range sp.options {
			k := strings.Trim(strings.Map(func(r rune) rune {
				if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
					return r
				}
				if r >= 'A' && r <= 'Z' {
					return r + 32
				}
				return '-'
			}, o), "-")
			opts = append(opts, store.BallotOption{Key: k, Label: o})
		}
	}
	if sp.budget != nil {
		sp.budget.apply(&b, opts)
	}
	if err := d.st.CreateBallot(ctx, &b, opts, sp.proposals); err != nil {
		return err
	}
	d.ballots++
	if _, err := d.st.OpenBallot(ctx, b.ID); err != nil {
		return err
	}
	keys := make([]string, len(opts))
	for i, o := range opts {
		keys[i] = o.Key
	}
	for i, h := range demoHandles {
		// About half vote directly; delegates mostly do.
		if h == "zoe" || (d.rng.IntN(100) < 50 && !strings.Contains("carol bob peggy frank heidi niaj alice", h)) {
			continue
		}
		raw, err := json.Marshal(sp.votes(i, d.rng, keys))
		if err != nil {
			return err
		}
		choice, err := proof.Canonicalize(raw)
		if err != nil {
			return err
		}
		_, err = d.st.CastVote(ctx, store.CastRequest{BallotID: b.ID, CitizenID: d.ids[h], Choice: string(choice),
			Receipt: func(voter string, at time.Time, nonce string) (string, error) {
				return proof.CastReceipt(b.IDString(), voter, choice, at, nonce)
			}})
		if err != nil {
			return fmt.Errorf("vote of %s: %w", h, err)
		}
	}
	if sp.close {
		if _, err := d.closer.Close(ctx, b.ID); err != nil {
			return err
		}
	}
	return nil
}
