package web_test

import (
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// TestOpenAPIQueryParams: the query parameters openapi.json documents for
// each API operation are exactly those its handler reads with
// c.QueryParam, directly or through the package's helpers (read from the
// source: route tables name handlers as (*Server).name).
func TestOpenAPIQueryParams(t *testing.T) {
	reads, handlers := queryReads(t)
	doc := documentedQueryParams(t)
	param := regexp.MustCompile(`:([A-Za-z0-9_]+)`)
	for route, h := range handlers {
		method, path, _ := strings.Cut(route, " ")
		if !strings.HasPrefix(path, "/api/") {
			continue
		}
		op := strings.ToLower(method) + " " + param.ReplaceAllString(path, "{$1}")
		got := reads(h)
		want := doc[op]
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("%s (%s) reads query parameters %v; openapi.json documents %v", op, h, got, want)
		}
	}
}

// queryReads parses the package and returns, per function, the sorted
// query parameters it reads (through calls too), and the handler of each
// "METHOD path" in the route tables.
func queryReads(t *testing.T) (func(string) []string, map[string]string) {
	t.Helper()
	files, _ := filepath.Glob("*.go")
	fset := token.NewFileSet()
	direct, calls := map[string][]string{}, map[string][]string{}
	handlers := map[string]string{}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		af, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range af.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if ok {
				ast.Inspect(fd, func(n ast.Node) bool {
					ce, ok := n.(*ast.CallExpr)
					if !ok {
						return true
					}
					switch fn := ce.Fun.(type) {
					case *ast.Ident:
						calls[fd.Name.Name] = append(calls[fd.Name.Name], fn.Name)
					case *ast.SelectorExpr:
						if lit, ok := firstString(ce); ok && fn.Sel.Name == "QueryParam" {
							direct[fd.Name.Name] = append(direct[fd.Name.Name], lit)
						}
						calls[fd.Name.Name] = append(calls[fd.Name.Name], fn.Sel.Name)
					}
					return true
				})
			}
		}
		ast.Inspect(af, func(n ast.Node) bool {
			cl, ok := n.(*ast.CompositeLit)
			if !ok || len(cl.Elts) < 4 {
				return true
			}
			m, ok1 := stringLit(cl.Elts[0])
			p, ok2 := stringLit(cl.Elts[1])
			sel, ok3 := cl.Elts[len(cl.Elts)-1].(*ast.SelectorExpr)
			if ok1 && ok2 && ok3 {
				handlers[m+" "+p] = sel.Sel.Name
			}
			return true
		})
	}
	reads := func(name string) []string {
		seen, out := map[string]bool{}, map[string]bool{}
		var walk func(string)
		walk = func(n string) {
			if seen[n] {
				return
			}
			seen[n] = true
			for _, p := range direct[n] {
				out[p] = true
			}
			for _, c := range calls[n] {
				walk(c)
			}
		}
		walk(name)
		var list []string
		for p := range out {
			list = append(list, p)
		}
		slices.Sort(list)
		return list
	}
	return reads, handlers
}

func firstString(ce *ast.CallExpr) (string, bool) {
	if len(ce.Args) != 1 {
		return "", false
	}
	return stringLit(ce.Args[0])
}

func stringLit(e ast.Expr) (string, bool) {
	bl, ok := e.(*ast.BasicLit)
	if !ok || bl.Kind != token.STRING {
		return "", false
	}
	s, err := strconv.Unquote(bl.Value)
	return s, err == nil
}

// documentedQueryParams lists openapi.json's query parameters per
// "method {path}", resolving #/components/parameters references.
func documentedQueryParams(t *testing.T) map[string][]string {
	t.Helper()
	b, err := os.ReadFile("openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	type param struct {
		Ref  string `json:"$ref"`
		Name string `json:"name"`
		In   string `json:"in"`
	}
	var doc struct {
		Paths      map[string]map[string]json.RawMessage `json:"paths"`
		Components struct {
			Parameters map[string]param `json:"parameters"`
		} `json:"components"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	for path, ops := range doc.Paths {
		for method, raw := range ops {
			var op struct {
				Parameters []param `json:"parameters"`
			}
			if json.Unmarshal(raw, &op) != nil {
				continue
			}
			for _, p := range op.Parameters {
				if p.Ref != "" {
					p = doc.Components.Parameters[p.Ref[strings.LastIndexByte(p.Ref, '/')+1:]]
				}
				if p.In == "query" {
					out[method+" "+path] = append(out[method+" "+path], p.Name)
				}
			}
		}
	}
	return out
}
