package web_test

import (
	"encoding/json"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"koinon"
	"koinon/internal/auth"
	"koinon/internal/store/storetest"
	"koinon/internal/web"
)

// TestOpenAPICoversRoutes: every registered /api/ and /.well-known/ route
// is described in openapi.json, and every operation there is registered.
// Paths are compared with echo's :param written as OpenAPI's {param}.
func TestOpenAPICoversRoutes(t *testing.T) {
	st := storetest.SQLite(t)
	srv, err := web.New(web.Deps{Store: st, Tokens: auth.NewTokens(testTokenKey, nil), Assets: koinon.Assets})
	if err != nil {
		t.Fatal(err)
	}
	ts, _ := resultsServer(t, st)
	_, _, body := get(t, ts.URL+"/api/v1/openapi.json", "")
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal([]byte(body), &doc); err != nil {
		t.Fatalf("GET /api/v1/openapi.json: %v", err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.0") {
		t.Errorf("openapi = %q, want 3.0.x", doc.OpenAPI)
	}
	param := regexp.MustCompile(`:([A-Za-z0-9_]+)`)
	registered := map[string]bool{}
	for _, r := range srv.Routes() {
		method, path, _ := strings.Cut(r, " ")
		if !strings.HasPrefix(path, "/api/") && !strings.HasPrefix(path, "/.well-known/") {
			continue
		}
		if method == "echo_route_any" || strings.HasSuffix(path, "/*") {
			continue
		}
		registered[strings.ToLower(method)+" "+param.ReplaceAllString(path, "{$1}")] = true
	}
	described := map[string]bool{}
	for path, ops := range doc.Paths {
		for method := range ops {
			if method == "parameters" || method == "summary" || method == "description" {
				continue
			}
			described[method+" "+path] = true
		}
	}
	var missing, extra []string
	for r := range registered {
		if !described[r] {
			missing = append(missing, strings.ToUpper(r[:strings.IndexByte(r, ' ')])+r[strings.IndexByte(r, ' '):])
		}
	}
	for d := range described {
		if !registered[d] {
			extra = append(extra, strings.ToUpper(d[:strings.IndexByte(d, ' ')])+d[strings.IndexByte(d, ' '):])
		}
	}
	slices.Sort(missing)
	slices.Sort(extra)
	for _, m := range missing {
		t.Errorf("route %s is registered but not in internal/web/openapi.json", m)
	}
	for _, e := range extra {
		t.Errorf("openapi.json describes %s, which is not registered", e)
	}
}

// TestOpenAPIRefsResolve: every $ref points at a defined component.
func TestOpenAPIRefsResolve(t *testing.T) {
	b, err := koinonOpenAPI()
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	comps, _ := doc["components"].(map[string]any)
	for _, m := range regexp.MustCompile(`"\$ref":\s*"#/components/([a-zA-Z]+)/([A-Za-z0-9_]+)"`).FindAllStringSubmatch(string(b), -1) {
		kind, _ := comps[m[1]].(map[string]any)
		if _, ok := kind[m[2]]; !ok {
			t.Errorf("$ref #/components/%s/%s is not defined", m[1], m[2])
		}
	}
}

func koinonOpenAPI() ([]byte, error) { return os.ReadFile("openapi.json") }
