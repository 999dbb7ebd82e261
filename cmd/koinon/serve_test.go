package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"koinon/internal/store/sqlstore"
	"koinon/internal/store/storetest"
)

func runServe(t *testing.T, ctx context.Context, args ...string) (int, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(ctx, env{args: append([]string{"serve"}, args...), getenv: func(string) string { return "" },
		stdin: strings.NewReader(""), stdout: &out, stderr: &errb})
	return code, errb.String()
}

// Bad configuration stops serve with one clear line and status 1.
func TestServeRefusesBadConfiguration(t *testing.T) {
	file := filepath.Join(t.TempDir(), "not-a-dir")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"unknown database scheme", []string{"--database", "mysql://root@localhost/x", "--data", t.TempDir()}, "--database"},
		{"unreachable postgres", []string{"--database", "postgres://nobody@127.0.0.1:1/x?connect_timeout=2", "--data", t.TempDir()}, "database"},
		{"data dir is a file", []string{"--data", file}, "data dir"},
		{"bad address", []string{"--addr", "nonsense", "--data", t.TempDir()}, "--addr"},
		{"public URL without scheme", []string{"--public-url", "vote.example.org", "--data", t.TempDir()}, "--public-url"},
		{"public URL of another scheme", []string{"--public-url", "ftp://vote.example.org", "--data", t.TempDir()}, "--public-url"},
		{"public URL with a path", []string{"--public-url", "https://vote.example.org/koinon?x=1", "--data", t.TempDir()}, "--public-url"},
		{"password sign-in off without a provider", []string{"--password-signin=false", "--data", t.TempDir()}, "--password-signin"},
		{"unreachable OpenID provider", []string{"--public-url", "https://vote.example.org", "--oidc-issuer", "http://127.0.0.1:1/realm",
			"--oidc-client-id", "koinon", "--data", t.TempDir()}, "oidc: discover http://127.0.0.1:1/realm"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, stderr := runServe(t, context.Background(), tc.args...)
			lines := strings.Split(strings.TrimSpace(stderr), "\n")
			if code != 1 || len(lines) != 1 || !strings.Contains(stderr, tc.want) || strings.Contains(stderr, "goroutine") {
				t.Errorf("serve %v = %d, stderr %q; want status 1 and one line naming %q", tc.args, code, stderr, tc.want)
			}
		})
	}
}

// startServe runs serve on a free port until the test ends and returns
// its address once /healthz answers; done yields its exit status.
func startServe(t *testing.T, args ...string) (addr string, stop func() int) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr = ln.Addr().String()
	ln.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() {
		code, _ := runServe(t, ctx, append([]string{"--addr", addr}, args...)...)
		done <- code
	}()
	stop = func() int { cancel(); return <-done }
	for start := time.Now(); time.Since(start) < 20*time.Second; time.Sleep(100 * time.Millisecond) {
		res, err := http.Get(fmt.Sprintf("http://%s/healthz", addr))
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return addr, stop
			}
		}
	}
	stop()
	t.Fatal("serve did not answer /healthz with 200 within 20 s")
	return "", nil
}

// serve on an empty data dir creates and migrates the database, answers
// /healthz, and stops cleanly when its context ends.
func TestServeEmptyDataDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "fresh")
	_, stop := startServe(t, "--data", dir)
	if code := stop(); code != 0 {
		t.Errorf("serve exited %d after shutdown, want 0", code)
	}
	if _, err := os.Stat(filepath.Join(dir, "koinon.db")); err != nil {
		t.Errorf("database not created: %v", err)
	}
}

// With an https --public-url (or KOINON_PUBLIC_URL) every cookie is Secure
// and every response carries HSTS; without it neither.
func TestServePublicURL(t *testing.T) {
	for _, tc := range []struct {
		args   []string
		secure bool
	}{
		{[]string{"--public-url", "https://vote.example.org"}, true},
		{[]string{"--public-url", "http://localhost:8080"}, false},
		{nil, false},
	} {
		addr, stop := startServe(t, append([]string{"--data", t.TempDir()}, tc.args...)...)
		var cookies []*http.Cookie
		var hsts []string
		for _, path := range []string{"/signin", "/lang/de"} {
			res, err := noFollow.Get("http://" + addr + path)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			cookies = append(cookies, res.Cookies()...)
			hsts = append(hsts, res.Header.Get("Strict-Transport-Security"))
		}
		stop()
		if len(cookies) < 2 {
			t.Fatalf("%v: %d cookies, want the CSRF and language cookies", tc.args, len(cookies))
		}
		for _, ck := range cookies {
			if ck.Secure != tc.secure {
				t.Errorf("%v: cookie %s Secure=%v, want %v", tc.args, ck.Name, ck.Secure, tc.secure)
			}
		}
		for _, h := range hsts {
			if got := strings.HasPrefix(h, "max-age="); got != tc.secure {
				t.Errorf("%v: Strict-Transport-Security %q, want it sent: %v", tc.args, h, tc.secure)
			}
		}
	}
}

var noFollow = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// A database of an older version keeps ballot secrets in clear: serve
// seals them with the data key at start-up.
func TestServeSealsPlainBallotSecrets(t *testing.T) {
	dir := t.TempDir()
	var out, errb bytes.Buffer
	if code := run(context.Background(), env{args: []string{"demo", "--data", dir}, getenv: func(string) string { return "" },
		stdin: strings.NewReader(""), stdout: &out, stderr: &errb}); code != 0 {
		t.Fatalf("demo = %d: %s", code, errb.String())
	}
	secrets := func(q string, args ...any) []string {
		st := storetest.Open(t, sqlstore.Options{SQLitePath: filepath.Join(dir, "koinon.db")})
		defer st.Close()
		db := storetest.DB(t, st)
		var out []string
		if q != "" {
			if err := db.Exec(q, args...).Error; err != nil {
				t.Fatal(err)
			}
		}
		if err := db.Raw("SELECT secret FROM ballots ORDER BY id").Scan(&out).Error; err != nil {
			t.Fatal(err)
		}
		return out
	}
	plain := strings.Repeat("cd", 32)
	before := secrets("UPDATE ballots SET secret = ?", plain)
	if len(before) == 0 || before[0] != plain {
		t.Fatalf("ballots %v", before)
	}
	_, stop := startServe(t, "--data", dir)
	stop()
	for i, s := range secrets("") {
		if s == plain || strings.Contains(s, plain) {
			t.Errorf("ballot %d: secret still in clear after serve started", i)
		}
	}
}
