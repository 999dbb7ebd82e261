package config

import (
	"errors"
	"flag"
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// OIDC configures sign-in through an OpenID Connect provider
// (docs/oidc.md). Issuer empty: off.
type OIDC struct {
	Issuer       string
	ClientID     string
	ClientSecret string
	// Domains limits sign-in to verified emails of these domains (empty: any).
	Domains []string
	// Claim names an ID token claim (a string or a list of strings) whose
	// values Communities maps to the slugs of communities the citizen joins.
	Claim       string
	Communities map[string]string
	// PasswordSignin keeps sign-in and sign-up with a password.
	PasswordSignin bool

	mapping string // VALUE=SLUG,… as given
}

// flags registers the OIDC flags, their defaults read through getenv.
func (o *OIDC) flags(fs *flag.FlagSet, getenv func(string) string) {
	o.PasswordSignin = true
	if v, err := strconv.ParseBool(getenv("KOINON_PASSWORD_SIGNIN")); err == nil {
		o.PasswordSignin = v
	}
	o.Domains = splitList(getenv("KOINON_OIDC_DOMAINS"))
	fs.StringVar(&o.Issuer, "oidc-issuer", getenv("KOINON_OIDC_ISSUER"), "OpenID Connect issuer `URL`; empty turns OIDC sign-in off (KOINON_OIDC_ISSUER)")
	fs.StringVar(&o.ClientID, "oidc-client-id", getenv("KOINON_OIDC_CLIENT_ID"), "OIDC client `ID` (KOINON_OIDC_CLIENT_ID)")
	fs.StringVar(&o.ClientSecret, "oidc-client-secret", getenv("KOINON_OIDC_CLIENT_SECRET"), "OIDC client `SECRET`; prefer the variable, flags show in ps (KOINON_OIDC_CLIENT_SECRET)")
	fs.Func("oidc-domains", "comma-separated email `DOMAINS` allowed to sign in; empty: any (KOINON_OIDC_DOMAINS)", func(v string) error {
		o.Domains = splitList(v)
		return nil
	})
	fs.StringVar(&o.Claim, "oidc-claim", getenv("KOINON_OIDC_CLAIM"), "ID token `CLAIM` mapped to communities, e.g. groups (KOINON_OIDC_CLAIM)")
	fs.StringVar(&o.mapping, "oidc-communities", getenv("KOINON_OIDC_COMMUNITIES"), "`VALUE=SLUG,…`: claim values and the communities they join (KOINON_OIDC_COMMUNITIES)")
	fs.BoolVar(&o.PasswordSignin, "password-signin", o.PasswordSignin, "allow sign-in and sign-up with a password (KOINON_PASSWORD_SIGNIN)")
}

// validate parses the mapping and checks the settings belong together.
func (o *OIDC) validate(publicURL string) error {
	o.Communities = map[string]string{}
	for _, pair := range splitList(o.mapping) {
		k, v, ok := strings.Cut(pair, "=")
		if !ok || k == "" || v == "" {
			return fmt.Errorf("--oidc-communities %q: want VALUE=SLUG,…", o.mapping)
		}
		o.Communities[k] = v
	}
	if o.Issuer == "" {
		if !o.PasswordSignin {
			return errors.New("--password-signin=false needs --oidc-issuer: nobody could sign in")
		}
		return nil
	}
	if u, err := url.Parse(o.Issuer); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return fmt.Errorf("--oidc-issuer %q: want https://HOST/…", o.Issuer)
	}
	switch {
	case o.ClientID == "":
		return errors.New("--oidc-issuer needs --oidc-client-id")
	case publicURL == "":
		return errors.New("--oidc-issuer needs --public-url (the redirect URL is PUBLIC-URL/signin/oidc/callback)")
	case len(o.Communities) > 0 && o.Claim == "":
		return errors.New("--oidc-communities needs --oidc-claim")
	}
	return nil
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}
