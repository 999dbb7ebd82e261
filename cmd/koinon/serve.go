package main

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"koinon"
	"koinon/internal/auth"
	"koinon/internal/closing"
	"koinon/internal/config"
	"koinon/internal/cosigning"
	"koinon/internal/keyring"
	"koinon/internal/metrics"
	"koinon/internal/notify"
	"koinon/internal/store/sqlstore"
	"koinon/internal/web"
)

func cmdServe(ctx context.Context, e env) int {
	cfg, err := config.Load("koinon serve", e.args, e.getenv, e.stderr)
	if err != nil {
		return fail(e, "serve", err)
	}
	// The OpenID provider is found before the database is touched, so
	// that a wrong issuer stops serve with one line.
	provider, err := oidcProvider(ctx, cfg)
	if err != nil {
		return fail(e, "serve", err)
	}
	log := newLogger(e.stderr)
	app, err := openApp(ctx, cfg, log)
	if err != nil {
		return fail(e, "serve", err)
	}
	defer app.close()
	// The scheduler closes ballots whose closing time has passed, at start
	// and then every few seconds; with several instances on one
	// PostgreSQL database each ballot is closed by exactly one of them.
	// One set of metrics for the server and the scheduler, so that
	// /metrics counts the scheduler's closes too.
	app.metrics = metrics.New()
	sched := closing.New(app.store, app.keys, log)
	sched.OnClosed = func(d time.Duration) {
		app.metrics.BallotsClosed.Inc()
		app.metrics.TallyDuration.Observe(d.Seconds())
	}
	srv, err := app.server(provider)
	if err != nil {
		return fail(e, "serve", err)
	}
	// Server and scheduler run as one group: when either stops the other
	// is told to, and both have returned before the deferred close of the
	// store, so a close in progress never runs on a closed database.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		sched.Run(gctx, schedulerInterval)
		return nil
	})
	// The witness worker pushes each community log's new checkpoints to
	// the witnesses its board configured and keeps their cosignatures.
	if app.store.LogsEnabled() {
		ww := &cosigning.Worker{Store: app.store, Log: log, Client: &http.Client{Timeout: cosigning.DefaultWait}}
		g.Go(func() error {
			ww.Run(gctx, witnessInterval)
			return nil
		})
	}
	if w := app.mailWorker(srv); w != nil {
		g.Go(func() error {
			w.Run(gctx)
			return nil
		})
	}
	g.Go(func() error {
		defer cancel()
		return srv.ListenAndServe(gctx, cfg.Addr, func(addr string) {
			log.Info("koinon serving", "url", "http://"+addr, "database", app.store.Dialect(), "data", cfg.DataDir)
		})
	})
	if err := g.Wait(); err != nil {
		return fail(e, "serve", err)
	}
	log.Info("koinon stopped")
	return 0
}

// app is what serve, demo and admin share: configuration, a migrated
// store and the keys in the data directory.
type app struct {
	cfg    config.Config
	log    *slog.Logger
	store  *sqlstore.Store
	tokens *auth.Tokens
	keys   platformKey
	assets fs.FS
	// metrics is shared by the server and the scheduler (nil: the server
	// makes its own).
	metrics *metrics.Metrics
	unsub   *notify.Unsubscriber // signs mails' unsubscribe links
}

// schedulerInterval is how often serve looks for ballots to close.
const schedulerInterval = 5 * time.Second

// witnessInterval is how often serve submits new checkpoints to the
// communities' witnesses.
const witnessInterval = 2 * time.Second

// platformKey adapts the keyring to web.Signer and closing.Signer.
type platformKey struct{ ring *keyring.Keyring }

// SigningKey is the current private key.
func (k platformKey) SigningKey() ed25519.PrivateKey { return k.ring.Signer() }

// KeyDocument is the body of /.well-known/koinon-key.
func (k platformKey) KeyDocument() any { return k.ring.PublicKeys() }

// openApp prepares the data directory, opens and migrates the database
// and loads the token key.
func openApp(ctx context.Context, cfg config.Config, log *slog.Logger) (*app, error) {
	if err := cfg.PrepareDataDir(); err != nil {
		return nil, err
	}
	assets, err := assetsFS(cfg.Dev)
	if err != nil {
		return nil, err
	}
	dataKey, err := keyring.OpenDataKey(cfg.DataDir)
	if err != nil {
		return nil, err
	}
	st, err := sqlstore.Open(ctx, sqlstore.Options{URL: cfg.DatabaseURL, SQLitePath: cfg.SQLitePath(), Secrets: dataKey, Mail: cfg.SMTPURL != ""})
	if err != nil {
		return nil, fmt.Errorf("database %s: %w", config.Mask(cfg.DatabaseURL), err)
	}
	migrations, err := fs.Sub(assets, "migrations")
	if err != nil {
		st.Close()
		return nil, err
	}
	if err := st.Migrate(ctx, migrations, log); err != nil {
		st.Close()
		return nil, err
	}
	// Ballot secrets stored in plain text by older versions are sealed
	// with the data key (docs/security.md).
	if n, err := st.SealSecrets(ctx); err != nil {
		st.Close()
		return nil, err
	} else if n > 0 {
		log.Info("sealed ballot secrets with the data key", "ballots", n)
	}
	keyFile := cfg.JWTKeyFile
	if keyFile == "" {
		keyFile = filepath.Join(cfg.DataDir, "keys", "jwt.key")
	}
	key, err := auth.LoadOrCreateKey(keyFile)
	if err != nil {
		st.Close()
		return nil, err
	}
	ring, err := keyring.Open(cfg.DataDir)
	if err != nil {
		st.Close()
		return nil, err
	}
	if err := enableLogs(ctx, st, cfg, log); err != nil {
		st.Close()
		return nil, err
	}
	unsubKey, err := keyring.Secret(cfg.DataDir, "notify.key")
	if err != nil {
		st.Close()
		return nil, err
	}
	return &app{cfg: cfg, log: log, store: st, tokens: auth.NewTokens(key, nil), keys: platformKey{ring}, assets: assets,
		unsub: notify.NewUnsubscriber(unsubKey)}, nil
}

// mailWorker is the outbox's worker when --smtp-url is set, else nil.
func (a *app) mailWorker(srv *web.Server) *notify.Worker {
	if a.cfg.SMTPURL == "" {
		return nil
	}
	smtp, _ := notify.ParseURL(a.cfg.SMTPURL) // checked by config.Validate
	base := strings.TrimRight(a.cfg.PublicURL, "/")
	if base == "" {
		base = "http://" + a.cfg.Addr
	}
	return &notify.Worker{Store: a.store, SMTP: smtp, Log: a.log, Conns: smtp.Conns, Lease: smtp.Lease,
		Render: &notify.Renderer{Texts: srv.MailTexts(), BaseURL: base, From: smtp.From, Unsub: a.unsub}}
}

// server builds the web server; provider signs citizens in (nil: no
// OpenID provider configured).
func (a *app) server(provider *web.OIDC) (*web.Server, error) {
	return web.New(web.Deps{Store: a.store, Tokens: a.tokens, Assets: a.assets, Log: a.log, Signer: a.keys, Metrics: a.metrics,
		SecureCookies: a.cfg.Secure(), OIDC: provider, NoPasswordSignin: !a.cfg.OIDC.PasswordSignin, Unsubscribe: a.unsub})
}

// oidcProvider discovers the configured OpenID provider (nil when none).
func oidcProvider(ctx context.Context, cfg config.Config) (*web.OIDC, error) {
	o := cfg.OIDC
	if o.Issuer == "" {
		return nil, nil
	}
	return web.NewOIDC(ctx, web.OIDCOptions{Issuer: o.Issuer, ClientID: o.ClientID, ClientSecret: o.ClientSecret,
		RedirectURL: strings.TrimRight(cfg.PublicURL, "/") + "/signin/oidc/callback",
		Domains:     o.Domains, Claim: o.Claim, Communities: o.Communities})
}

func (a *app) close() {
	if err := a.store.Close(); err != nil {
		a.log.Error("close database", "err", err)
	}
}

// assetsFS is the embedded assets, or the working directory with --dev.
func assetsFS(dev bool) (fs.FS, error) {
	if dev {
		return os.DirFS("."), nil
	}
	return koinon.Assets, nil
}

func newLogger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

// fail prints one clear line and returns exit status 1.
func fail(e env, cmd string, err error) int {
	msg := strings.Join(strings.Fields(strings.ReplaceAll(err.Error(), "\n", " ")), " ")
	fmt.Fprintf(e.stderr, "koinon %s: %s\n", cmd, msg)
	return 1
}
