package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"koinon/internal/config"
	"koinon/internal/store/sqlstore"
)

// cmdBackup copies the running SQLite database to a file.
func cmdBackup(ctx context.Context, e env) int {
	cfg, file, err := fileCommand("backup", e)
	if err != nil {
		return fail(e, "backup", err)
	}
	st, err := sqlstore.Open(ctx, sqlstore.Options{URL: cfg.DatabaseURL, SQLitePath: cfg.SQLitePath()})
	if err != nil {
		return fail(e, "backup", err)
	}
	defer st.Close()
	start := time.Now()
	if err := st.Backup(ctx, file); err != nil {
		return fail(e, "backup", err)
	}
	fmt.Fprintf(e.stdout, "backup written to %s in %s (integrity ok)\n", file, time.Since(start).Round(time.Millisecond))
	return 0
}

// cmdRestore replaces the data directory's SQLite database with a backup.
// The server must be stopped; the database it replaces is kept beside it.
func cmdRestore(ctx context.Context, e env) int {
	cfg, file, err := fileCommand("restore", e)
	if err != nil {
		return fail(e, "restore", err)
	}
	if cfg.DatabaseURL != "" {
		return fail(e, "restore", errors.New("restore a PostgreSQL database with pg_restore or psql"))
	}
	if err := sqlstore.CheckSQLiteFile(ctx, file); err != nil {
		return fail(e, "restore", err)
	}
	target := cfg.SQLitePath()
	if err := os.MkdirAll(filepath.Dir(target), 0o750); err != nil {
		return fail(e, "restore", err)
	}
	if _, err := os.Stat(target); err == nil {
		aside := fmt.Sprintf("%s.before-restore-%s", target, time.Now().UTC().Format("20060102T150405Z"))
		if err := os.Rename(target, aside); err != nil {
			return fail(e, "restore", err)
		}
		fmt.Fprintf(e.stdout, "previous database moved to %s\n", aside)
	}
	for _, suffix := range []string{"-wal", "-shm"} {
		os.Remove(target + suffix)
	}
	if err := copyFile(file, target); err != nil {
		return fail(e, "restore", err)
	}
	fmt.Fprintf(e.stdout, "restored %s into %s\n", file, target)
	return 0
}

// fileCommand parses `koinon CMD FILE [--data DIR] [--database URL]`.
func fileCommand(name string, e env) (config.Config, string, error) {
	cfg := config.Defaults()
	if v := e.getenv("KOINON_DATA"); v != "" {
		cfg.DataDir = v
	}
	cfg.DatabaseURL = e.getenv("KOINON_DATABASE_URL")
	fs := flag.NewFlagSet("koinon "+name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.StringVar(&cfg.DataDir, "data", cfg.DataDir, "data `DIR`")
	fs.StringVar(&cfg.DatabaseURL, "database", cfg.DatabaseURL, "database `URL`")
	var files []string
	args := e.args
	for {
		if err := fs.Parse(args); err != nil {
			return cfg, "", err
		}
		if fs.NArg() == 0 {
			break
		}
		files = append(files, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if len(files) != 1 {
		return cfg, "", fmt.Errorf("usage: koinon %s FILE [--data DIR]", name)
	}
	return cfg, files[0], nil
}

func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o640)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
