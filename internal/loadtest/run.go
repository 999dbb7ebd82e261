package loadtest

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"time"

	"koinon"
	"koinon/internal/auth"
	"koinon/internal/keyring"
	"koinon/internal/store"
	"koinon/internal/store/sqlstore"
	"koinon/internal/web"
)

// Config configures a vote-casting run.
type Config struct {
	Members  int
	Clients  int
	Duration time.Duration
	Rate     int // total requests per second; 0 = as fast as answered
	// DatabaseURL is postgres://…, or empty for SQLite in DataDir.
	DatabaseURL string
	// DataDir holds the SQLite database and keys; empty: a temporary
	// directory removed afterwards.
	DataDir string
	// Target is the base URL of a running server (loopback only) sharing
	// the database and JWTKeyFile; empty: serve in this process.
	Target     string
	JWTKeyFile string
	// ReadOnly reads the caller's vote (GET) instead of casting one.
	ReadOnly bool
	// NoBaseline skips the plain-insert baseline.
	NoBaseline bool
	// CPUProfile, when set, receives a CPU profile of the vote phase.
	CPUProfile string
	// Scratch runs on PostgreSQL in a new schema dropped afterwards.
	Scratch  bool
	Progress io.Writer
}

// Result is one vote-casting run with its baseline, as stored in the
// results directory and rendered into docs/benchmarks.md.
type Result struct {
	Kind      string          `json:"kind"` // "votes"
	Command   string          `json:"command"`
	Database  string          `json:"database"` // sqlite or postgres
	Members   int             `json:"members"`
	Clients   int             `json:"clients"`
	Rate      int             `json:"rate"`
	Duration  float64         `json:"duration_s"`
	Votes     DriveResult     `json:"votes"`
	Baseline  *BaselineResult `json:"baseline,omitempty"`
	Ratio     float64         `json:"ratio,omitempty"` // votes/s over baseline rows/s
	Load      string          `json:"load_avg,omitempty"`
	StartedAt time.Time       `json:"started_at"`
}

// Env is an opened, migrated store with its token issuer and signing key.
type Env struct {
	Store   *sqlstore.Store
	Tokens  *auth.Tokens
	Keys    *keyring.Keyring
	DataDir string
	// URL is the database URL the store opened (a scratch schema's
	// included); empty for SQLite.
	URL     string
	cleanup []func()
}

// Close releases the store and removes a temporary data directory.
func (e *Env) Close() {
	for i := len(e.cleanup) - 1; i >= 0; i-- {
		e.cleanup[i]()
	}
}

// Open opens and migrates the database (SQLite in dataDir when url is
// empty; a temporary directory when dataDir is empty too) and loads the
// token key and the platform keyring.
func Open(ctx context.Context, url, dataDir, jwtKeyFile string) (*Env, error) {
	return open(ctx, url, dataDir, jwtKeyFile, false)
}

// OpenScratch is Open, but on PostgreSQL it works in a new schema that
// Close drops, so that a run leaves nothing behind.
func OpenScratch(ctx context.Context, url, dataDir, jwtKeyFile string) (*Env, error) {
	return open(ctx, url, dataDir, jwtKeyFile, true)
}

func open(ctx context.Context, url, dataDir, jwtKeyFile string, scratch bool) (*Env, error) {
	e := &Env{}
	if scratch && url != "" {
		u, drop, err := sqlstore.ScratchSchema(ctx, url, "lt_")
		if err != nil {
			return nil, err
		}
		url = u
		e.cleanup = append(e.cleanup, drop)
	}
	if dataDir == "" {
		d, err := os.MkdirTemp("", "koinon-loadtest-")
		if err != nil {
			return nil, err
		}
		dataDir = d
		e.cleanup = append(e.cleanup, func() { os.RemoveAll(d) })
	} else if err := os.MkdirAll(dataDir, 0o750); err != nil {
		return nil, err
	}
	e.DataDir, e.URL = dataDir, url
	dataKey, err := keyring.OpenDataKey(dataDir)
	if err != nil {
		e.Close()
		return nil, err
	}
	st, err := sqlstore.Open(ctx, sqlstore.Options{URL: url, SQLitePath: filepath.Join(dataDir, "koinon.db"), Secrets: dataKey})
	if err != nil {
		e.Close()
		return nil, err
	}
	e.Store = st
	e.cleanup = append(e.cleanup, func() { st.Close() })
	mig, err := fs.Sub(koinon.Assets, "migrations")
	if err != nil {
		e.Close()
		return nil, err
	}
	if err := st.Migrate(ctx, mig, nil); err != nil {
		e.Close()
		return nil, err
	}
	if jwtKeyFile == "" {
		jwtKeyFile = filepath.Join(dataDir, "keys", "jwt.key")
	}
	key, err := auth.LoadOrCreateKey(jwtKeyFile)
	if err != nil {
		e.Close()
		return nil, err
	}
	e.Tokens = auth.NewTokens(key, nil)
	if e.Keys, err = keyring.Open(dataDir); err != nil {
		e.Close()
		return nil, err
	}
	return e, nil
}

// EnableLogs turns the community logs on (keys in DataDir/keys), served
// under http://127.0.0.1/logs/.
func (e *Env) EnableLogs() error {
	keys, err := keyring.OpenLogKeys(e.DataDir)
	if err != nil {
		return err
	}
	return e.Store.EnableLogs(store.LogConfig{Base: "http://127.0.0.1/logs/", Keys: keys})
}

// Signer adapts the keyring to web.Signer and closing.Signer.
type Signer struct{ K *keyring.Keyring }

// SigningKey returns the current platform key.
func (s Signer) SigningKey() ed25519.PrivateKey { return s.K.Signer() }

// KeyDocument is what /.well-known/koinon-key serves.
func (s Signer) KeyDocument() any { return s.K.PublicKeys() }

// Serve starts the real server on 127.0.0.1:0 and returns its base URL
// and a function that stops it. Request logs are formatted (as koinon
// serve does) and discarded.
func (e *Env) Serve() (string, func(), error) {
	srv, err := web.New(web.Deps{
		Store:  e.Store,
		Tokens: e.Tokens,
		Assets: koinon.Assets,
		Log:    slog.New(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelInfo})),
		Signer: Signer{e.Keys},
	})
	if err != nil {
		return "", nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
	go hs.Serve(ln)
	stop := func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		hs.Shutdown(ctx)
	}
	return "http://" + ln.Addr().String(), stop, nil
}

// Run seeds a community of cfg.Members with an open ballot, casts votes
// over HTTP for cfg.Duration, then (unless NoBaseline) runs the
// plain-insert baseline on the same database for as long.
func Run(ctx context.Context, cfg Config) (Result, error) {
	progress := cfg.Progress
	if progress == nil {
		progress = io.Discard
	}
	logf := func(format string, args ...any) { fmt.Fprintf(progress, "loadtest: "+format+"\n", args...) }
	if cfg.Target != "" {
		if err := CheckLoopback(cfg.Target); err != nil {
			return Result{}, err
		}
	}
	env, err := open(ctx, cfg.DatabaseURL, cfg.DataDir, cfg.JWTKeyFile, cfg.Scratch && cfg.Target == "")
	if err != nil {
		return Result{}, err
	}
	defer env.Close()
	res := Result{Kind: "votes", Database: env.Store.Dialect(), Members: cfg.Members, Clients: cfg.Clients,
		Rate: cfg.Rate, Duration: cfg.Duration.Seconds(), StartedAt: time.Now().UTC().Truncate(time.Second)}

	f, err := Seed(ctx, env.Store, SeedOptions{Members: cfg.Members, ClosesIn: cfg.Duration + time.Hour, Progress: logf})
	if err != nil {
		return res, err
	}
	tokens, err := Tokens(env.Tokens, f)
	if err != nil {
		return res, err
	}
	if env.Store.Dialect() == "sqlite" {
		env.Store.Settle(ctx)
	}
	if cfg.Target == "" {
		// Each vote is a statement signed with the voter's custodial key
		// and appended to the community log, as koinon serve does.
		if err := env.EnableLogs(); err != nil {
			return res, err
		}
	}
	base := cfg.Target
	if base == "" {
		var stop func()
		base, stop, err = env.Serve()
		if err != nil {
			return res, err
		}
		defer stop()
	}
	logf("casting votes on ballot %d at %s: %d members, %d clients, %s, rate %s",
		f.BallotID, base, cfg.Members, cfg.Clients, cfg.Duration, rateString(cfg.Rate))
	stopProfile, err := startProfile(cfg.CPUProfile)
	if err != nil {
		return res, err
	}
	res.Load = loadAvg()
	res.Votes, err = Drive(ctx, DriveOptions{BaseURL: base, BallotID: f.BallotID, Tokens: tokens,
		Clients: cfg.Clients, Duration: cfg.Duration, Rate: cfg.Rate, ReadOnly: cfg.ReadOnly, Progress: progress})
	stopProfile()
	if err != nil {
		return res, err
	}
	logf("votes: %.0f/s, p50 %.1f ms, p95 %.1f ms, p99 %.1f ms, statuses %v",
		res.Votes.Throughput, res.Votes.P50ms, res.Votes.P95ms, res.Votes.P99ms, res.Votes.Statuses)
	if cfg.ReadOnly {
		res.Kind = "reads"
		return res, nil
	}
	if res.Votes.OK == 0 {
		return res, errors.New("loadtest: no vote succeeded: is PUT /api/v1/ballots/{id}/vote served?")
	}
	if !cfg.NoBaseline {
		runtime.GC()
		logf("baseline: plain gorm inserts from %d goroutines for %s", cfg.Clients, cfg.Duration)
		b, err := Baseline(ctx, env.Store, cfg.Clients, cfg.Duration)
		if err != nil {
			return res, err
		}
		res.Baseline = &b
		if b.Throughput > 0 {
			res.Ratio = res.Votes.Throughput / b.Throughput
		}
		logf("baseline: %.0f rows/s (p99 %.1f ms); votes/baseline = %.2f", b.Throughput, b.P99ms, res.Ratio)
	}
	return res, nil
}

func rateString(r int) string {
	if r <= 0 {
		return "max"
	}
	return fmt.Sprintf("%d/s", r)
}

// loadAvg is the first three fields of /proc/loadavg, or "".
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	var a, b5, c string
	fmt.Sscan(string(b), &a, &b5, &c)
	return a + " " + b5 + " " + c
}

// startProfile starts a CPU profile into path (nothing when path is
// empty) and returns the function that stops it.
func startProfile(path string) (func(), error) {
	if path == "" {
		return func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}
