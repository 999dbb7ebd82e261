package main

import (
	"context"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"

	"koinon/internal/auth"
	"koinon/internal/config"
	"koinon/internal/domain"
	"koinon/internal/store"
)

const adminUsage = `usage: koinon admin COMMAND [flags] [args]
  create-citizen --handle H --email E --name N [--password-file F]
                 (or the password in KOINON_PASSWORD; with neither, the
                 citizen has no password until invited)
  token HANDLE   print a 15-minute access token (for scripts, load tests)
  import-roll [--base-url URL] COMMUNITY FILE.csv
                 apply a roll file; prints invitation links for new citizens
  invite-links [--base-url URL] COMMUNITY
                 print fresh invitation links (CSV) for members without a password
Every command also takes --data DIR and --database URL, as serve does.`

func cmdAdmin(ctx context.Context, e env) int {
	if len(e.args) == 0 {
		fmt.Fprintln(e.stderr, adminUsage)
		return 2
	}
	sub, args := e.args[0], e.args[1:]
	fs := flag.NewFlagSet("koinon admin "+sub, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Usage = func() { fmt.Fprintln(e.stderr, adminUsage) }
	fs.String("data", "", "data `DIR` (KOINON_DATA)")
	fs.String("database", "", "database `URL` (KOINON_DATABASE_URL)")
	handle := fs.String("handle", "", "handle of the new citizen")
	email := fs.String("email", "", "email of the new citizen")
	name := fs.String("name", "", "display name of the new citizen")
	pwFile := fs.String("password-file", "", "file holding the new citizen's password")
	baseURL := fs.String("base-url", "", "base `URL` of invitation links (default http://ADDR)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	var pass []string
	fs.Visit(func(f *flag.Flag) {
		if f.Name == "data" || f.Name == "database" {
			pass = append(pass, "--"+f.Name, f.Value.String())
		}
	})
	cfg, err := config.Load("koinon admin", pass, e.getenv, e.stderr)
	if err != nil {
		return fail(e, "admin", err)
	}
	if *baseURL == "" {
		*baseURL = "http://" + cfg.Addr
	}
	*baseURL = strings.TrimSuffix(*baseURL, "/")
	rest := fs.Args()
	want := map[string]int{"create-citizen": 0, "token": 1, "import-roll": 2, "invite-links": 1}
	n, ok := want[sub]
	if !ok {
		fmt.Fprintf(e.stderr, "koinon admin: unknown command %q\n%s\n", sub, adminUsage)
		return 2
	}
	if len(rest) != n {
		fmt.Fprintf(e.stderr, "koinon admin %s: want %d arguments, got %d\n%s\n", sub, n, len(rest), adminUsage)
		return 2
	}
	app, err := openApp(ctx, cfg, newLogger(e.stderr))
	if err != nil {
		return fail(e, "admin", err)
	}
	defer app.close()
	switch sub {
	case "create-citizen":
		err = adminCreateCitizen(ctx, e, app, *handle, *email, *name, *pwFile)
	case "token":
		err = adminToken(ctx, e, app, rest[0])
	case "import-roll":
		err = adminImportRoll(ctx, e, app, rest[0], rest[1], *baseURL)
	case "invite-links":
		err = adminInviteLinks(ctx, e, app, rest[0], *baseURL)
	}
	if err != nil {
		return fail(e, "admin "+sub, err)
	}
	return 0
}

func adminCreateCitizen(ctx context.Context, e env, a *app, handle, email, name, pwFile string) error {
	handle, email = domain.NormalizeHandle(handle), domain.NormalizeEmail(email)
	if err := domain.CheckHandle(handle); err != nil {
		return err
	}
	if err := domain.CheckEmail("email", email, true); err != nil {
		return err
	}
	if name == "" {
		name = handle
	}
	if err := domain.CheckLine("name", name, true, domain.MaxDisplayName); err != nil {
		return err
	}
	pw := e.getenv("KOINON_PASSWORD")
	if pwFile != "" {
		b, err := os.ReadFile(pwFile)
		if err != nil {
			return err
		}
		pw = strings.TrimRight(string(b), "\r\n")
	}
	c := store.Citizen{Handle: handle, Email: email, DisplayName: name}
	if pw != "" {
		if err := domain.CheckPassword(handle, pw); err != nil {
			return err
		}
		hash, err := auth.HashPassword(pw)
		if err != nil {
			return err
		}
		c.PasswordHash = hash
	}
	if err := a.store.CreateCitizen(ctx, &c); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return fmt.Errorf("the handle %s is taken", handle)
		}
		return err
	}
	fmt.Fprintf(e.stdout, "created citizen %s (id %d)\n", c.Handle, c.ID)
	if pw == "" {
		fmt.Fprintln(e.stdout, "no password set: add them to a roll and use invite-links")
	}
	return nil
}

func adminToken(ctx context.Context, e env, a *app, handle string) error {
	c, err := a.store.CitizenByHandle(ctx, domain.NormalizeHandle(handle))
	if err != nil {
		return err
	}
	tok, _, err := a.tokens.Issue(c.ID, c.Handle, c.TokenVersion)
	if err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, tok)
	return nil
}

func adminImportRoll(ctx context.Context, e env, a *app, slug, file, base string) error {
	cm, err := a.store.CommunityBySlug(ctx, slug)
	if err != nil {
		return err
	}
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	lines, errs := domain.ParseRoll(f)
	var plan store.RollPlan
	var invites []store.Invite
	if len(errs) == 0 {
		plan, invites, err = a.store.ApplyRoll(ctx, cm.ID, lines)
		errs = plan.Errors
	}
	if len(errs) > 0 {
		for _, le := range errs {
			fmt.Fprintf(e.stderr, "%s: %s\n", file, le.Error())
		}
		return fmt.Errorf("%d bad lines; nothing was applied", len(errs))
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stderr, "roll of %s: %d invited, %d added, %d changed, %d unchanged; %d board seats offered (they take effect when accepted)\n", slug, plan.Created, plan.Added, plan.Updated, plan.Unchanged, plan.Offered)
	return writeInvites(e, invites, base)
}

func adminInviteLinks(ctx context.Context, e env, a *app, slug, base string) error {
	cm, err := a.store.CommunityBySlug(ctx, slug)
	if err != nil {
		return err
	}
	invites, err := a.store.InviteWithoutPassword(ctx, cm.ID)
	if err != nil {
		return err
	}
	return writeInvites(e, invites, base)
}

// writeInvites prints invitation links as CSV: handle, email, link.
func writeInvites(e env, invites []store.Invite, base string) error {
	if len(invites) == 0 {
		return nil
	}
	w := csv.NewWriter(e.stdout)
	w.Write([]string{"handle", "email", "link"})
	for _, in := range invites {
		w.Write([]string{in.Handle, domain.CSVText(in.Email), base + "/invitations/" + in.Token})
	}
	w.Flush()
	return w.Error()
}
