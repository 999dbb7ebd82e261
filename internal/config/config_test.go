package config

import (
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func env(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

func TestLoad(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		args    []string
		want    Config
		wantErr string // substring; empty: no error
	}{
		{name: "defaults without flags or variables", want: Defaults()},
		{
			name: "environment sets every field",
			env: map[string]string{"KOINON_ADDR": "0.0.0.0:9000", "KOINON_DATA": "/var/koinon",
				"KOINON_DATABASE_URL": "postgres://k@db:5432/k", "KOINON_JWT_KEY_FILE": "/run/jwt.key"},
			want: Config{Addr: "0.0.0.0:9000", DataDir: "/var/koinon", DatabaseURL: "postgres://k@db:5432/k", JWTKeyFile: "/run/jwt.key"},
		},
		{
			name: "flags override the environment",
			env:  map[string]string{"KOINON_ADDR": "0.0.0.0:9000", "KOINON_DATA": "/var/koinon"},
			args: []string{"-addr", "127.0.0.1:1", "-data", "/tmp/k", "-dev"},
			want: Config{Addr: "127.0.0.1:1", DataDir: "/tmp/k", Dev: true},
		},
		{name: "address without port", args: []string{"-addr", "localhost"}, wantErr: `--addr "localhost": want HOST:PORT`},
		{name: "empty data dir", args: []string{"-data", ""}, wantErr: "--data: must not be empty"},
		{name: "unknown scheme", args: []string{"-database", "mysql://u:p@h/db"}, wantErr: `--database "mysql://u:xxxxx@h/db"`},
		{name: "stray argument", args: []string{"extra"}, wantErr: `unexpected argument "extra"`},
		{name: "unknown flag", args: []string{"-nope"}, wantErr: "flag provided but not defined"},
		{name: "sqlite URL", args: []string{"-database", "sqlite:/tmp/x.db"}, want: Config{Addr: "localhost:8080", DataDir: "./data", DatabaseURL: "sqlite:/tmp/x.db"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Load("serve", tc.args, env(tc.env), io.Discard)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("Load() error = %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Load() error = %v", err)
			}
			if !got.OIDC.PasswordSignin {
				t.Error("password sign-in is off by default")
			}
			got.OIDC, tc.want.OIDC = OIDC{}, OIDC{} // oidc_test.go checks it
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Load() = %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestMaskHidesOnlyThePassword(t *testing.T) {
	for in, want := range map[string]string{
		"postgres://ann:s3cret@db:5432/k?sslmode=disable": "postgres://ann:xxxxx@db:5432/k?sslmode=disable",
		"postgres://ann@db/k":                             "postgres://ann@db/k",
		"sqlite:/tmp/x.db":                                "sqlite:/tmp/x.db",
	} {
		if got := Mask(in); got != want {
			t.Errorf("Mask(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSQLitePath(t *testing.T) {
	if got := (Config{DataDir: "/d"}).SQLitePath(); got != filepath.Join("/d", "koinon.db") {
		t.Errorf("default SQLitePath = %q", got)
	}
	if got := (Config{DataDir: "/d", DatabaseURL: "sqlite:/x/y.db"}).SQLitePath(); got != "/x/y.db" {
		t.Errorf("sqlite: URL SQLitePath = %q", got)
	}
}

func TestPrepareDataDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a", "b")
	if err := (Config{DataDir: dir}).PrepareDataDir(); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if perm := fi.Mode().Perm(); perm != 0o700 {
		t.Errorf("data dir mode %o, want 700", perm)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("the write probe was left behind: %v", entries)
	}
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := (Config{DataDir: filepath.Join(file, "sub")}).PrepareDataDir(); err == nil || !strings.Contains(err.Error(), "not a directory") {
		t.Errorf("data dir under a file: error = %v, want one saying not a directory", err)
	}
}

// KOINON_PUBLIC_URL sets the public URL like --public-url, which wins; an
// https URL makes the server secure, anything but http(s)://HOST is refused.
func TestPublicURL(t *testing.T) {
	env := func(v string) func(string) string {
		return func(k string) string {
			if k == "KOINON_PUBLIC_URL" {
				return v
			}
			return ""
		}
	}
	for _, tc := range []struct {
		env    string
		args   []string
		secure bool
		bad    bool
	}{
		{"https://vote.example.org", nil, true, false},
		{"https://vote.example.org", []string{"--public-url", "http://localhost:8080"}, false, false},
		{"", []string{"--public-url", "HTTPS://vote.example.org:8443/"}, true, false},
		{"", nil, false, false},
		{"vote.example.org", nil, false, true},
		{"https://user:pw@vote.example.org", nil, false, true},
		{"https://", nil, false, true},
	} {
		c, err := Load("test", tc.args, env(tc.env), io.Discard)
		if (err != nil) != tc.bad || err != nil && !strings.Contains(err.Error(), "--public-url") {
			t.Errorf("%q %v: err %v, want bad=%v", tc.env, tc.args, err, tc.bad)
			continue
		}
		if err == nil && c.Secure() != tc.secure {
			t.Errorf("%q %v: Secure() = %v, want %v", tc.env, tc.args, c.Secure(), tc.secure)
		}
	}
}

// KOINON_SMTP_URL sets the mail server like --smtp-url, which wins; a bad
// URL is refused with its password masked.
func TestSMTPURL(t *testing.T) {
	env := func(v string) func(string) string {
		return func(k string) string {
			if k == "KOINON_SMTP_URL" {
				return v
			}
			return ""
		}
	}
	for _, tc := range []struct {
		env  string
		args []string
		want string
		bad  bool
	}{
		{"smtp://u:secret@mail.example.org:587?from=koinon@example.org", nil, "smtp://u:secret@mail.example.org:587?from=koinon@example.org", false},
		{"smtp://a?from=x@example.org", []string{"--smtp-url", "smtps://mail.example.org?from=k@example.org"}, "smtps://mail.example.org?from=k@example.org", false},
		{"", nil, "", false},
		{"http://u:secret@mail.example.org?from=k@example.org", nil, "", true},
		{"smtp://u:secret@mail.example.org", nil, "", true},
		{"smtp://?from=k@example.org", nil, "", true},
		{"smtp://localhost:25?from=k@example.org&conns=8&lease=30s", nil, "smtp://localhost:25?from=k@example.org&conns=8&lease=30s", false},
		{"smtp://u:secret@localhost:25?from=k@example.org&conns=0", nil, "", true},
		{"smtp://u:secret@localhost:25?from=k@example.org&lease=10ms", nil, "", true},
	} {
		c, err := Load("test", tc.args, env(tc.env), io.Discard)
		if (err != nil) != tc.bad {
			t.Errorf("%q %v: err %v, want bad=%v", tc.env, tc.args, err, tc.bad)
			continue
		}
		if err != nil && (!strings.Contains(err.Error(), "--smtp-url") || strings.Contains(err.Error(), "secret")) {
			t.Errorf("%q: error %q should name --smtp-url and hide the password", tc.env, err)
		}
		if err == nil && c.SMTPURL != tc.want {
			t.Errorf("%q %v: SMTPURL %q, want %q", tc.env, tc.args, c.SMTPURL, tc.want)
		}
	}
}
