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

// serve on an empty data dir creates and migrates the database, answers
// /healthz, and stops cleanly when its context ends.
func TestServeEmptyDataDir(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	dir := filepath.Join(t.TempDir(), "fresh")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() {
		code, _ := runServe(t, ctx, "--addr", addr, "--data", dir)
		done <- code
	}()
	var status int
	for start := time.Now(); time.Since(start) < 20*time.Second; time.Sleep(100 * time.Millisecond) {
		res, err := http.Get(fmt.Sprintf("http://%s/healthz", addr))
		if err == nil {
			status = res.StatusCode
			res.Body.Close()
			break
		}
	}
	cancel()
	if status != http.StatusOK {
		t.Fatalf("/healthz = %d, want 200", status)
	}
	if code := <-done; code != 0 {
		t.Errorf("serve exited %d after shutdown, want 0", code)
	}
	if _, err := os.Stat(filepath.Join(dir, "koinon.db")); err != nil {
		t.Errorf("database not created: %v", err)
	}
}
