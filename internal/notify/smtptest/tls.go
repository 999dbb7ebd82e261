package smtptest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"math/big"
	"net"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
)

// StartSecure is Start with TLS — from the first byte when implicit (as
// on port 465), else offered by STARTTLS — and AUTH PLAIN, offered only
// over TLS, for user and password. It returns the configuration a client
// needs to trust the server's certificate (made for 127.0.0.1).
func StartSecure(t testing.TB, user, password string, implicit bool) (*Server, *tls.Config) {
	t.Helper()
	cert, pool := certificate(t)
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}}
	var (
		ln  net.Listener
		err error
	)
	if implicit {
		ln, err = tls.Listen("tcp", "127.0.0.1:0", cfg)
	} else {
		ln, err = net.Listen("tcp", "127.0.0.1:0")
	}
	if err != nil {
		t.Fatal(err)
	}
	return serve(t, ln, cfg, user, password), &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"}
}

// certificate makes a self-signed certificate for 127.0.0.1 and a pool
// that trusts it.
func certificate(t testing.TB) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "smtptest"},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool
}

// AuthMechanisms offers PLAIN when the server has a user (go-smtp offers
// AUTH only over TLS).
func (ss *session) AuthMechanisms() []string {
	if ss.s.user == "" {
		return nil
	}
	return []string{sasl.Plain}
}

// Auth checks the user and password.
func (ss *session) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, password string) error {
		if user != ss.s.user || password != ss.s.password {
			return errors.New("bad user or password")
		}
		ss.authed = true
		return nil
	}), nil
}
