package tally

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestPureImports keeps the engine pure (STYLE §1, tally.md §1): non-test
// files of tally and tally/stv import the standard library (and tally
// imports tally/stv), and never I/O, clock, randomness or floating point.
func TestPureImports(t *testing.T) {
	forbidden := map[string]bool{
		"os": true, "os/exec": true, "io/fs": true, "net": true, "net/http": true, "database/sql": true,
		"time": true, "math/rand": true, "math/rand/v2": true, "crypto/rand": true, "syscall": true,
		"unsafe": true, "runtime": true, "log": true, "log/slog": true,
	}
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	stvFiles, err := filepath.Glob(filepath.Join("stv", "*.go"))
	if err != nil || len(stvFiles) == 0 {
		t.Fatalf("no tally/stv sources found (err %v)", err)
	}
	files = append(files, stvFiles...)
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			first, _, _ := strings.Cut(path, "/")
			switch {
			case path == "koinon/internal/tally/stv" && filepath.Dir(name) == ".":
			case strings.Contains(first, ".") || first == "koinon":
				t.Errorf("%s imports %s: tally may import the standard library and tally/stv only", name, path)
			case forbidden[path] || strings.HasPrefix(path, "net/"):
				t.Errorf("%s imports %s: tally does no I/O and uses no clock or randomness", name, path)
			}
		}
		full, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(full, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.Ident:
				if n.Name == "float32" || n.Name == "float64" {
					t.Errorf("%s: %s uses floating point", fset.Position(n.Pos()), n.Name)
				}
			case *ast.BasicLit:
				if n.Kind == token.FLOAT {
					t.Errorf("%s: floating-point literal %s", fset.Position(n.Pos()), n.Value)
				}
			}
			return true
		})
	}
}
