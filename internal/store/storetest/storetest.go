// Package storetest opens real, migrated databases for tests: a fresh
// SQLite file per test, and a fresh PostgreSQL schema per test when
// KOINON_TEST_POSTGRES names a server. Tests only: no production package
// may import it (cmd/koinon TestBinaryPullsNoTestCode).
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib"

	"koinon"
	"koinon/internal/keyring"
	"koinon/internal/store"
	"koinon/internal/store/sqlstore"
)

// Migrations is the embedded migrations folder.
func Migrations(t testing.TB) fs.FS {
	sub, err := fs.Sub(koinon.Assets, "migrations")
	if err != nil {
		t.Fatal(err)
	}
	return sub
}

// SQLite opens a migrated SQLite database in a temporary directory.
func SQLite(t testing.TB) *sqlstore.Store {
	t.Helper()
	return open(t, sqlstore.Options{SQLitePath: filepath.Join(t.TempDir(), "koinon.db")})
}

// open opens and migrates a store with o and a fresh data key.
func open(t testing.TB, o sqlstore.Options) *sqlstore.Store {
	t.Helper()
	o.Secrets = DataKey(t)
	return openWith(t, o)
}

// openWith opens and migrates a store with o.
func openWith(t testing.TB, o sqlstore.Options) *sqlstore.Store {
	t.Helper()
	s, err := sqlstore.Open(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.Migrate(context.Background(), Migrations(t), nil); err != nil {
		t.Fatal(err)
	}
	if o.URL != "" {
		rememberPostgres(t, s, o.URL)
	} else {
		rememberSQLite(t, s, o.SQLitePath)
	}
	return s
}

// DataKey is a fresh data key in a temporary keys dir.
func DataKey(t testing.TB) *keyring.DataKey {
	t.Helper()
	k, err := keyring.OpenDataKey(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// Pseudonym is the citizen's pseudonym on ballot b (as if b were
// pseudonymous), from b's sealed secret.
func Pseudonym(t testing.TB, st *sqlstore.Store, b store.Ballot, citizenID int64) string {
	t.Helper()
	b.Secrecy = "pseudonymous"
	p, err := st.VoterID(context.Background(), b, citizenID)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// PostgresURL returns KOINON_TEST_POSTGRES; without it the test is skipped,
// or fails when KOINON_REQUIRE_POSTGRES=1 (as in CI).
func PostgresURL(t testing.TB) string {
	t.Helper()
	u := os.Getenv("KOINON_TEST_POSTGRES")
	if u == "" {
		if os.Getenv("KOINON_REQUIRE_POSTGRES") == "1" {
			t.Fatal("KOINON_REQUIRE_POSTGRES=1 but KOINON_TEST_POSTGRES is not set")
		}
		t.Skip("PostgreSQL tests skipped: set KOINON_TEST_POSTGRES=postgres://…")
	}
	return u
}

// FreshPostgresURL creates an empty schema on the test server and returns
// a URL whose connections use it, dropping it when the test ends.
func FreshPostgresURL(t testing.TB) string {
	t.Helper()
	base := PostgresURL(t)
	b := make([]byte, 6)
	rand.Read(b)
	schema := "t_" + hex.EncodeToString(b)
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	if _, err := admin.Exec("CREATE SCHEMA " + schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		db, err := sql.Open("pgx", base)
		if err == nil {
			db.Exec("DROP SCHEMA " + schema + " CASCADE")
			db.Close()
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// Postgres opens a migrated PostgreSQL store in a fresh schema.
func Postgres(t testing.TB) *sqlstore.Store {
	t.Helper()
	return open(t, sqlstore.Options{URL: FreshPostgresURL(t)})
}

// PostgresPair opens two migrated stores on one fresh PostgreSQL schema
// with one data key: two `koinon serve` processes sharing a database.
// Logs(t, a, …) and then b.EnableLogs with the same keys give them one
// log.
func PostgresPair(t testing.TB) (a, b *sqlstore.Store) {
	t.Helper()
	o := sqlstore.Options{URL: FreshPostgresURL(t), Secrets: DataKey(t)}
	return openWith(t, o), openWith(t, o)
}

// Each runs fn once on SQLite and once on PostgreSQL, as subtests.
func Each(t *testing.T, fn func(t *testing.T, s *sqlstore.Store)) {
	t.Run("sqlite", func(t *testing.T) { fn(t, SQLite(t)) })
	t.Run("postgres", func(t *testing.T) { fn(t, Postgres(t)) })
}

// MailSQLite is a SQLite store that queues notifications for mail.
func MailSQLite(t testing.TB) *sqlstore.Store {
	return open(t, sqlstore.Options{SQLitePath: filepath.Join(t.TempDir(), "koinon.db"), Mail: true})
}

// EachMail is Each with stores that queue notifications for mail.
func EachMail(t *testing.T, fn func(t *testing.T, s *sqlstore.Store)) {
	t.Run("sqlite", func(t *testing.T) { fn(t, MailSQLite(t)) })
	t.Run("postgres", func(t *testing.T) { fn(t, open(t, sqlstore.Options{URL: FreshPostgresURL(t), Mail: true})) })
}

// Logs turns on s's community logs, served under base (…/logs/), with
// log keys in a fresh keys dir; it returns the keys.
func Logs(t testing.TB, s *sqlstore.Store, base string) *keyring.LogKeys {
	t.Helper()
	keys, err := keyring.OpenLogKeys(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if err := s.EnableLogs(store.LogConfig{Base: base, Keys: keys}); err != nil {
		t.Fatal(err)
	}
	return keys
}
