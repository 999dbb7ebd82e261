// Package testbin builds the koinon command once per test binary, for
// tests that run it as separate processes (witnesses, crash tests). Only
// tests import it.
package testbin

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

var (
	once sync.Once
	dir  string
	path string
	err  error
)

// Koinon returns the path of a koinon binary built from this tree.
func Koinon(t testing.TB) string {
	t.Helper()
	once.Do(func() {
		if dir, err = os.MkdirTemp("", "koinon-bin-"); err != nil {
			return
		}
		path = filepath.Join(dir, "koinon")
		if out, e := exec.Command("go", "build", "-o", path, "koinon/cmd/koinon").CombinedOutput(); e != nil {
			err = fmt.Errorf("go build: %v\n%s", e, out)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	return path
}

// Cleanup removes the binary; TestMain calls it after m.Run.
func Cleanup() {
	if dir != "" {
		os.RemoveAll(dir)
	}
}
