package config

import (
	"io"
	"strings"
	"testing"
)

// KOINON_PUBLIC_URL sets the public URL like --public-url, which wins; an
// https URL makes the server secure, anything but http(s)://HOST is refused.
func TestPublicURL(t *testing.T) {
	env := func(v string) func(string) string {
		return func(k string) string {
			if k == "KOINON_PUBLIC_URL" {
				return v
			}
			return ""
		}
	}
	for _, tc := range []struct {
		env    string
		args   []string
		secure bool
		bad    bool
	}{
		{"https://vote.example.org", nil, true, false},
		{"https://vote.example.org", []string{"--public-url", "http://localhost:8080"}, false, false},
		{"", []string{"--public-url", "HTTPS://vote.example.org:8443/"}, true, false},
		{"", nil, false, false},
		{"vote.example.org", nil, false, true},
		{"https://user:pw@vote.example.org", nil, false, true},
		{"https://", nil, false, true},
	} {
		c, err := Load("test", tc.args, env(tc.env), io.Discard)
		if (err != nil) != tc.bad || err != nil && !strings.Contains(err.Error(), "--public-url") {
			t.Errorf("%q %v: err %v, want bad=%v", tc.env, tc.args, err, tc.bad)
			continue
		}
		if err == nil && c.Secure() != tc.secure {
			t.Errorf("%q %v: Secure() = %v, want %v", tc.env, tc.args, c.Secure(), tc.secure)
		}
	}
}

// KOINON_SMTP_URL sets the mail server like --smtp-url, which wins; a bad
// URL is refused with its password masked.
func TestSMTPURL(t *testing.T) {
	env := func(v string) func(string) string {
		return func(k string) string {
			if k == "KOINON_SMTP_URL" {
				return v
			}
			return ""
		}
	}
	for _, tc := range []struct {
		env  string
		args []string
		want string
		bad  bool
	}{
		{"smtp://u:secret@mail.example.org:587?from=koinon@example.org", nil, "smtp://u:secret@mail.example.org:587?from=koinon@example.org", false},
		{"smtp://a?from=x@example.org", []string{"--smtp-url", "smtps://mail.example.org?from=k@example.org"}, "smtps://mail.example.org?from=k@example.org", false},
		{"", nil, "", false},
		{"http://u:secret@mail.example.org?from=k@example.org", nil, "", true},
		{"smtp://u:secret@mail.example.org", nil, "", true},
		{"smtp://?from=k@example.org", nil, "", true},
	} {
		c, err := Load("test", tc.args, env(tc.env), io.Discard)
		if (err != nil) != tc.bad {
			t.Errorf("%q %v: err %v, want bad=%v", tc.env, tc.args, err, tc.bad)
			continue
		}
		if err != nil && (!strings.Contains(err.Error(), "--smtp-url") || strings.Contains(err.Error(), "secret")) {
			t.Errorf("%q: error %q should name --smtp-url and hide the password", tc.env, err)
		}
		if err == nil && c.SMTPURL != tc.want {
			t.Errorf("%q %v: SMTPURL %q, want %q", tc.env, tc.args, c.SMTPURL, tc.want)
		}
	}
}
