package config

import (
	"io"
	"reflect"
	"strings"
	"testing"
)

func TestOIDCConfig(t *testing.T) {
	base := []string{"-public-url", "https://vote.example.org", "-oidc-issuer", "https://sso.example.org/realms/f", "-oidc-client-id", "koinon"}
	got, err := Load("serve", append(base, "-oidc-domains", "example.org, example.net", "-oidc-claim", "groups",
		"-oidc-communities", "members=foundation,board=foundation-board", "-password-signin=false"),
		env(map[string]string{"KOINON_OIDC_CLIENT_SECRET": "s3cret"}), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	want := OIDC{Issuer: "https://sso.example.org/realms/f", ClientID: "koinon", ClientSecret: "s3cret",
		Domains: []string{"example.org", "example.net"}, Claim: "groups",
		Communities: map[string]string{"members": "foundation", "board": "foundation-board"}, PasswordSignin: false,
		mapping: "members=foundation,board=foundation-board"}
	if !reflect.DeepEqual(got.OIDC, want) {
		t.Errorf("OIDC = %+v, want %+v", got.OIDC, want)
	}
	for _, tc := range []struct {
		name    string
		args    []string
		wantErr string
	}{
		{"password off without a provider", []string{"-password-signin=false"}, "nobody could sign in"},
		{"issuer without public URL", []string{"-oidc-issuer", "https://sso.example.org", "-oidc-client-id", "k"}, "needs --public-url"},
		{"issuer without client", []string{"-public-url", "https://v.example.org", "-oidc-issuer", "https://sso.example.org"}, "needs --oidc-client-id"},
		{"bad issuer", []string{"-public-url", "https://v.example.org", "-oidc-issuer", "sso", "-oidc-client-id", "k"}, "want https://HOST"},
		{"mapping without claim", append(base, "-oidc-communities", "a=b"), "needs --oidc-claim"},
		{"bad mapping", append(base, "-oidc-claim", "groups", "-oidc-communities", "a"), "want VALUE=SLUG"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load("serve", tc.args, env(nil), io.Discard)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("error %v, want %q", err, tc.wantErr)
			}
		})
	}
}
