package web_test

import (
	"net/http"
	"testing"
)

// anonCSRFCookie is the CSRF cookie that anonymous test requests send.
const anonCSRFCookie = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

// csrfFor returns the CSRF token of a form sent with session token tok
// ("" anonymous) and the cookie to send beside it (nil when signed in).
func csrfFor(t *testing.T, tok string) (string, *http.Cookie) {
	t.Helper()
	if tok == "" {
		return testTokens().AnonymousCSRF(anonCSRFCookie), &http.Cookie{Name: "koinon_csrf", Value: anonCSRFCookie}
	}
	claims, err := testTokens().Parse(tok)
	if err != nil {
		t.Fatal(err)
	}
	return testTokens().SessionCSRF(claims), nil
}
