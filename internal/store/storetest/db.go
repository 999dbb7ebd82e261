package storetest

import (
	"context"
	"net/url"
	"sync"
	"testing"

	"koinon/internal/store/sqlstore"

	"gorm.io/driver/postgres"
	"gorm.io/driver/sqlite"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// second is a lazily opened second connection to a store's database.
type second struct {
	once sync.Once
	open func() gorm.Dialector
	db   *gorm.DB
	err  error
}

// seconds holds one per store this package opened.
var seconds sync.Map // *sqlstore.Store → *second

// remember lets DB reach the database of s; the connection, if DB opens
// one, closes when the test that opened s ends.
func remember(t testing.TB, s *sqlstore.Store, open func() gorm.Dialector) {
	sc := &second{open: open}
	seconds.Store(s, sc)
	t.Cleanup(func() {
		seconds.Delete(s)
		if sc.db != nil {
			if sqlDB, err := sc.db.DB(); err == nil {
				sqlDB.Close()
			}
		}
	})
}

// DB returns a second connection to the database of s, for tests that set
// up or inspect rows no store function reaches (a hostile value written
// behind the API, a count of rows). s must come from this package: only
// tests hold SQL outside the store.
func DB(t testing.TB, s *sqlstore.Store) *gorm.DB {
	t.Helper()
	v, ok := seconds.Load(s)
	if !ok {
		t.Fatal("storetest.DB: the store was not opened by storetest")
	}
	sc := v.(*second)
	sc.once.Do(func() {
		sc.db, sc.err = gorm.Open(sc.open(), &gorm.Config{TranslateError: true, Logger: logger.Discard})
	})
	if sc.err != nil {
		t.Fatal(sc.err)
	}
	return sc.db
}

func rememberSQLite(t testing.TB, s *sqlstore.Store, path string) {
	remember(t, s, func() gorm.Dialector {
		return sqlite.Open("file:" + path + "?" + url.Values{"_busy_timeout": {"10000"}, "_foreign_keys": {"on"}}.Encode())
	})
}

func rememberPostgres(t testing.TB, s *sqlstore.Store, u string) {
	remember(t, s, func() gorm.Dialector { return postgres.Open(u) })
}

// Open opens the database o names (one a command under test wrote, or a
// schema it shares), so that DB reaches it too; it is closed when the test
// ends, if the test has not closed it.
func Open(t testing.TB, o sqlstore.Options) *sqlstore.Store {
	t.Helper()
	s, err := sqlstore.Open(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if o.URL != "" {
		rememberPostgres(t, s, o.URL)
	} else {
		rememberSQLite(t, s, o.SQLitePath)
	}
	return s
}
