package sqlstore_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"koinon/internal/store"
	"koinon/internal/store/sqlstore"
	"koinon/internal/store/storetest"
)

// A ballot's pseudonym secret is sealed with the data key of the keys
// dir: the database alone (or with another keys dir) cannot name a
// citizen's pseudonym. Secrets of older databases are sealed at start-up
// and keep their pseudonyms.
func TestBallotSecretNeedsTheDataKey(t *testing.T) {
	ctx := context.Background()
	dialects := map[string]func(t *testing.T) sqlstore.Options{
		"sqlite": func(t *testing.T) sqlstore.Options {
			return sqlstore.Options{SQLitePath: filepath.Join(t.TempDir(), "koinon.db")}
		},
		"postgres": func(t *testing.T) sqlstore.Options { return sqlstore.Options{URL: storetest.FreshPostgresURL(t)} },
	}
	for name, options := range dialects {
		t.Run(name, func(t *testing.T) {
			o := options(t)
			open := func(box sqlstore.SecretBox) *sqlstore.Store {
				o.Secrets = box
				s, err := sqlstore.Open(ctx, o)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { s.Close() })
				if err := s.Migrate(ctx, storetest.Migrations(t), nil); err != nil {
					t.Fatal(err)
				}
				return s
			}
			st := open(storetest.DataKey(t))
			w := storetest.NewWorld(t, st)
			c := w.Community("club")
			w.Member(c.ID, "board", 1, "board")
			b := newBallot(t, w, c.ID, "majority", nil)
			b.Secrecy = "pseudonymous"
			want, err := st.VoterID(ctx, b, w.ID("board"))
			if err != nil {
				t.Fatal(err)
			}
			raw := rawSecret(t, st, b.ID)
			if strings.Contains(raw, b.Secret) && raw != b.Secret || len(raw) == 64 || store.Pseudonym(raw, w.ID("board")) == want {
				t.Fatalf("the database holds the secret in clear: %q", raw)
			}

			for what, box := range map[string]sqlstore.SecretBox{"no keys dir": nil, "another keys dir": storetest.DataKey(t)} {
				bare := open(box)
				got, err := bare.VoterID(ctx, b, w.ID("board"))
				if err == nil || got != "" {
					t.Errorf("%s: pseudonym %q, err %v; want an error", what, got, err)
				}
				if box == nil && !errors.Is(err, store.ErrNoDataKey) {
					t.Errorf("%s: err %v, want ErrNoDataKey", what, err)
				}
			}

			// An older database: the secret in clear, sealed at start-up.
			plain := strings.Repeat("ab", 32)
			if err := sqlstore.GormDB(st).Exec("UPDATE ballots SET secret = ? WHERE id = ?", plain, b.ID).Error; err != nil {
				t.Fatal(err)
			}
			b.Secret = plain
			before, err := st.VoterID(ctx, b, w.ID("board"))
			if err != nil || before != store.Pseudonym(plain, w.ID("board")) {
				t.Fatalf("legacy secret: %q, %v", before, err)
			}
			if n, err := st.SealSecrets(ctx); err != nil || n != 1 {
				t.Fatalf("SealSecrets = %d, %v; want 1", n, err)
			}
			sealed, err := st.BallotByID(ctx, b.ID)
			if err != nil {
				t.Fatal(err)
			}
			sealed.Secrecy = "pseudonymous"
			if raw := rawSecret(t, st, b.ID); raw == plain || strings.Contains(raw, plain) {
				t.Errorf("SealSecrets left the secret in clear")
			}
			if after, err := st.VoterID(ctx, sealed, w.ID("board")); err != nil || after != before {
				t.Errorf("pseudonym after sealing = %q, %v; want %q", after, err, before)
			}
			if n, _ := st.SealSecrets(ctx); n != 0 {
				t.Errorf("second SealSecrets sealed %d again", n)
			}
		})
	}
}

func rawSecret(t *testing.T, st *sqlstore.Store, id int64) string {
	t.Helper()
	var raw string
	if err := sqlstore.GormDB(st).Raw("SELECT secret FROM ballots WHERE id = ?", id).Scan(&raw).Error; err != nil {
		t.Fatal(err)
	}
	return raw
}
