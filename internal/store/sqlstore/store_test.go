package sqlstore_test

import (
	"context"
	"io/fs"
	"reflect"
	"sort"
	"strings"
	"testing"

	"koinon/internal/store"
	"koinon/internal/store/sqlstore"
	"koinon/internal/store/storetest"
)

func TestMigrationParity(t *testing.T) {
	m := storetest.Migrations(t)
	names := func(dir string) []string {
		entries, err := fs.ReadDir(m, dir)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, e := range entries {
			out = append(out, e.Name())
		}
		sort.Strings(out)
		return out
	}
	if a, b := names("sqlite"), names("postgres"); !reflect.DeepEqual(a, b) {
		t.Fatalf("migration folders differ:\nsqlite   %v\npostgres %v", a, b)
	}
}

func TestModelsMatchSchema(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *sqlstore.Store) {
		models := []any{
			&store.Citizen{}, &store.Community{}, &store.Membership{}, &store.Invitation{},
			&store.Topic{}, &store.Ballot{}, &store.BallotOption{}, &store.BallotRoll{},
			&store.Vote{}, &store.BallotEvent{}, &store.Delegation{}, &store.DelegationDelegate{},
			&store.DelegationEvent{}, &store.Proposal{}, &store.Support{}, &store.BallotDocument{},
		}
		db := sqlstore.GormDB(s)
		for _, m := range models {
			stmt := db.Model(m).Statement
			if err := stmt.Parse(m); err != nil {
				t.Fatal(err)
			}
			if !db.Migrator().HasTable(m) {
				t.Errorf("table %s missing", stmt.Schema.Table)
				continue
			}
			for _, f := range stmt.Schema.Fields {
				if f.DBName == "" {
					continue
				}
				if !db.Migrator().HasColumn(m, f.DBName) {
					t.Errorf("%s.%s: column missing from the migrations", stmt.Schema.Table, f.DBName)
				}
			}
		}
	})
}

func TestMigrateTwiceIsANoOp(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *sqlstore.Store) {
		if err := s.Migrate(context.Background(), storetest.Migrations(t), nil); err != nil {
			t.Fatal(err)
		}
		if err := s.Ping(context.Background()); err != nil {
			t.Fatal(err)
		}
	})
}

func TestOpenRejectsMissingDirectory(t *testing.T) {
	_, err := sqlstore.Open(context.Background(), sqlstore.Options{SQLitePath: "/nonexistent/dir/koinon.db"})
	if err == nil || !strings.Contains(err.Error(), "sqlite directory") {
		t.Fatalf("Open() error = %v, want a sqlite directory error", err)
	}
}
