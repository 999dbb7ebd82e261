// Package config loads Koinon's typed configuration from flags and
// KOINON_* environment variables (flags win) and validates it. It owns
// only the configuration: standard library only, never the store or web.
package config

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"koinon/internal/notify"
)

// Config is the server's configuration.
type Config struct {
	Addr        string // HOST:PORT to listen on
	DataDir     string // holds the SQLite database and the keys
	DatabaseURL string // empty: SQLite in DataDir; postgres://… for PostgreSQL
	JWTKeyFile  string // empty: DATA/keys/jwt.key
	// PublicURL is the scheme and host users reach the server at; with
	// https every cookie is Secure and responses carry HSTS.
	PublicURL string
	// SMTPURL is smtp://user:pass@host:port?from=addr; empty: notifications
	// are in-app only.
	SMTPURL string
	Dev     bool // read templates and static files from disk
	OIDC    OIDC // sign-in through an OpenID provider (oidc.go)
}

// Defaults returns the configuration before any flag or variable.
func Defaults() Config {
	return Config{Addr: "localhost:8080", DataDir: "./data", OIDC: OIDC{PasswordSignin: true}}
}

// Load reads the environment through getenv, then the flags in args.
func Load(name string, args []string, getenv func(string) string, stderr io.Writer) (Config, error) {
	c := Defaults()
	if v := getenv("KOINON_ADDR"); v != "" {
		c.Addr = v
	}
	if v := getenv("KOINON_DATA"); v != "" {
		c.DataDir = v
	}
	if v := getenv("KOINON_DATABASE_URL"); v != "" {
		c.DatabaseURL = v
	}
	if v := getenv("KOINON_JWT_KEY_FILE"); v != "" {
		c.JWTKeyFile = v
	}
	if v := getenv("KOINON_PUBLIC_URL"); v != "" {
		c.PublicURL = v
	}
	if v := getenv("KOINON_SMTP_URL"); v != "" {
		c.SMTPURL = v
	}
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.Addr, "addr", c.Addr, "`HOST:PORT` to listen on (KOINON_ADDR)")
	fs.StringVar(&c.DataDir, "data", c.DataDir, "data `DIR` for the SQLite database and keys (KOINON_DATA)")
	fs.StringVar(&c.DatabaseURL, "database", c.DatabaseURL, "database `URL`: empty for SQLite in the data dir, or postgres://… (KOINON_DATABASE_URL)")
	fs.StringVar(&c.PublicURL, "public-url", c.PublicURL, "`URL` (scheme and host) users reach the server at; https makes cookies Secure and sends HSTS (KOINON_PUBLIC_URL)")
	fs.StringVar(&c.SMTPURL, "smtp-url", c.SMTPURL, "mail notifications through `URL` smtp://USER:PASS@HOST:PORT?from=ADDRESS (or smtps://); empty: in-app only (KOINON_SMTP_URL)")
	fs.BoolVar(&c.Dev, "dev", false, "serve templates and static files from the working directory")
	c.OIDC.flags(fs, getenv)
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if err := c.OIDC.validate(c.PublicURL); err != nil {
		return c, err
	}
	return c, c.Validate()
}

// Validate checks the configuration's cross-field rules.
func (c Config) Validate() error {
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		return fmt.Errorf("--addr %q: want HOST:PORT", c.Addr)
	}
	if c.DataDir == "" {
		return errors.New("--data: must not be empty")
	}
	if c.DatabaseURL != "" {
		u, err := url.Parse(c.DatabaseURL)
		if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql" && u.Scheme != "sqlite") {
			return fmt.Errorf("--database %q: want postgres://USER@HOST:PORT/DB or sqlite:PATH", Mask(c.DatabaseURL))
		}
	}
	if c.PublicURL != "" {
		u, err := url.Parse(c.PublicURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil ||
			strings.Trim(u.Path, "/") != "" || u.RawQuery != "" || u.Fragment != "" {
			return fmt.Errorf("--public-url %q: want https://HOST[:PORT] (scheme and host only)", c.PublicURL)
		}
	}
	if c.SMTPURL != "" {
		if _, err := notify.ParseURL(c.SMTPURL); err != nil {
			return fmt.Errorf("--smtp-url %q: %w", Mask(c.SMTPURL), err)
		}
	}
	return nil
}

// Secure reports whether users reach the server over https (PublicURL).
func (c Config) Secure() bool {
	u, err := url.Parse(c.PublicURL)
	return err == nil && u.Scheme == "https"
}

// PrepareDataDir creates the data directory (0700: it holds the database
// and the keys) and checks it is writable.
func (c Config) PrepareDataDir() error {
	if err := os.MkdirAll(c.DataDir, 0o700); err != nil {
		return fmt.Errorf("data dir %s: %w", c.DataDir, unwrapPath(err))
	}
	probe, err := os.CreateTemp(c.DataDir, ".write-test-*")
	if err != nil {
		return fmt.Errorf("data dir %s is not writable: %w", c.DataDir, unwrapPath(err))
	}
	probe.Close()
	return os.Remove(probe.Name())
}

// SQLitePath is the database file used when no URL is given.
func (c Config) SQLitePath() string {
	if strings.HasPrefix(c.DatabaseURL, "sqlite:") {
		return strings.TrimPrefix(c.DatabaseURL, "sqlite:")
	}
	return filepath.Join(c.DataDir, "koinon.db")
}

// Mask hides a password in a database URL for logs and messages.
func Mask(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil || u.User == nil {
		return dsn
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}

func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
