package web_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"

	"koinon"
	"koinon/internal/auth"
	"koinon/internal/store/storetest"
	"koinon/internal/web"
)

// TestMatrixCoversEveryStateChangingRoute: every registered route that
// changes state (anything but GET) has a row in the authorisation matrix.
func TestMatrixCoversEveryStateChangingRoute(t *testing.T) {
	srv, err := web.New(web.Deps{Store: storetest.SQLite(t), Tokens: auth.NewTokens(testTokenKey, nil), Assets: koinon.Assets})
	if err != nil {
		t.Fatal(err)
	}
	routeParam := regexp.MustCompile(`:[a-z_]+`)
	matrixVar := regexp.MustCompile(`\{[a-z_0-9]+\}`)
	covered := map[string]bool{}
	for _, r := range matrixRoutes {
		path, _, _ := strings.Cut(r.Path, "?")
		covered[r.Method+" "+matrixVar.ReplaceAllString(path, "*")] = true
	}
	for _, route := range srv.Routes() {
		method, path, _ := strings.Cut(route, " ")
		switch method {
		case http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
		default:
			continue
		}
		if !covered[method+" "+routeParam.ReplaceAllString(path, "*")] {
			t.Errorf("%s %s has no row in the authorisation matrix", method, path)
		}
	}
}
