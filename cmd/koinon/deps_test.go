package main

import (
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// TestBinaryPullsNoTestCode: the loadtest subcommand stays in the binary
// (docs/adr/0003-loadtest-subcommand.md) only while it brings no test-only
// package into it.
func TestBinaryPullsNoTestCode(t *testing.T) {
	out, err := exec.Command(filepath.Join(runtime.GOROOT(), "bin", "go"), "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	deps := strings.Fields(string(out))
	for _, bad := range []string{"testing", "net/http/httptest", "koinon/internal/store/storetest", "koinon/internal/web/resultstest"} {
		if slices.Contains(deps, bad) {
			t.Errorf("cmd/koinon depends on the test-only package %s", bad)
		}
	}
}
