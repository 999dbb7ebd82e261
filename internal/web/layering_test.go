package web_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestWebLinksNoDatabase keeps the layering of docs/adr/0007-store-split.md:
// web reaches the database only through the interfaces declared beside its
// handlers, so neither gorm, a database driver nor sqlstore is among the
// packages it links.
func TestWebLinksNoDatabase(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	for _, pkg := range strings.Fields(string(out)) {
		if strings.HasPrefix(pkg, "gorm.io/") || pkg == "koinon/internal/store/sqlstore" ||
			strings.Contains(pkg, "go-sqlite3") || strings.Contains(pkg, "jackc/pgx") {
			t.Errorf("internal/web depends on %s", pkg)
		}
	}
}
