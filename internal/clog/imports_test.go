package clog

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestPureImports keeps clog and statement pure (their package docs): no
// database, HTTP, files, randomness or clock of their own, and no module
// beyond the log and note libraries they are assembled from.
func TestPureImports(t *testing.T) {
	allowed := map[string]bool{
		"golang.org/x/mod/sumdb/tlog": true, "golang.org/x/mod/sumdb/note": true,
		"github.com/transparency-dev/formats/log": true, "github.com/transparency-dev/formats/note": true,
		"koinon/internal/proof": true, "koinon/internal/statement": true,
	}
	forbidden := map[string]bool{
		"os": true, "os/exec": true, "io/fs": true, "net": true, "database/sql": true, "syscall": true,
		"unsafe": true, "math/rand": true, "math/rand/v2": true, "crypto/rand": true, "log": true, "log/slog": true,
	}
	files, _ := filepath.Glob("*.go")
	more, _ := filepath.Glob(filepath.Join("..", "statement", "*.go"))
	fset := token.NewFileSet()
	for _, name := range append(files, more...) {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			first, _, _ := strings.Cut(path, "/")
			if (strings.Contains(first, ".") || first == "koinon") && !allowed[path] || forbidden[path] || strings.HasPrefix(path, "net/") {
				t.Errorf("%s imports %s", name, path)
			}
		}
		ast.Inspect(f, func(n ast.Node) bool {
			if sel, ok := n.(*ast.SelectorExpr); ok {
				if x, ok := sel.X.(*ast.Ident); ok && x.Name == "time" && sel.Sel.Name == "Now" {
					t.Errorf("%s: time.Now; take the clock as an argument", fset.Position(sel.Pos()))
				}
			}
			return true
		})
	}
	if len(files) < 5 || len(more) < 5 {
		t.Fatalf("found %d clog and %d statement files", len(files), len(more))
	}
}
