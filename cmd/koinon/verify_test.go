package main

import (
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"koinon/internal/keyring"
	"koinon/internal/proof"
)

// sealedExample seals example 01 with a fresh keyring and writes the proof
// and a receipt to files.
func sealedExample(t *testing.T) (proofPath, receiptPath string, k *keyring.Keyring) {
	t.Helper()
	k, err := keyring.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	doc, sealed := sealExample(t, k)
	rc, err := proof.Receipt(doc, "carol", k.Signer())
	if err != nil {
		t.Fatal(err)
	}
	return writeFile(t, "proof.json", string(sealed)), writeFile(t, "receipt.json", string(rc)), k
}

// sealExample tallies example 01 and seals it with k's key.
func sealExample(t *testing.T, k *keyring.Keyring) (*proof.Document, []byte) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(examplesDir(t), "01-liquid-majority.json"))
	if err != nil {
		t.Fatal(err)
	}
	doc, err := proof.ParseDocument(data)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := proof.Tally(doc); err != nil {
		t.Fatal(err)
	}
	sealed, err := proof.Seal(doc, k.Signer(), time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	return doc, sealed
}

func TestVerifyCommand(t *testing.T) {
	proofPath, receiptPath, k := sealedExample(t)
	pubB64 := k.PublicKeys().PublicKey
	wellKnown, _ := json.Marshal(k.PublicKeys())
	keyFile := writeFile(t, "key.json", string(wellKnown))
	data, _ := os.ReadFile(proofPath)
	tampered := writeFile(t, "tampered.json", strings.Replace(string(data), `"choice":"no"`, `"choice":"yes"`, 1))
	other, _ := keyring.Open(t.TempDir())
	otherKey := other.PublicKeys().PublicKey
	otherDoc, _ := json.Marshal(other.PublicKeys())
	otherJSON := string(otherDoc)
	_, resignedData := sealExample(t, other)
	resigned := writeFile(t, "resigned.json", string(resignedData))

	allOK := "1 ok shape\n2 ok votes\n3 ok votes_root\n4 ok tiebreak\n5 ok result\n6 ok signature\n"
	// Without a trusted key the output says so and names the signer's key.
	unchecked := "WARNING: the signer was NOT checked. No --key was given, so any key could have signed this.\n" +
		"WARNING: signed by key id " + k.Current().ID + ": compare it with key_id at https://PLATFORM/.well-known/koinon-key, or rerun with --key.\n"
	b64File := writeFile(t, "key.b64", pubB64+"\n")
	tests := []struct {
		name   string
		args   []string
		code   int
		stdout string // whole stdout, or a prefix when it ends in "…"
	}{
		{"sealed proof", []string{"verify", proofPath}, 0, allOK + unchecked},
		{"trusted key", []string{"verify", proofPath, "--key", pubB64}, 0, allOK},
		{"trusted key file", []string{"verify", "--key-file", keyFile, proofPath}, 0, allOK},
		{"--key names the saved well-known JSON", []string{"verify", proofPath, "--key", keyFile}, 0, allOK},
		{"--key names a base64 key file", []string{"verify", proofPath, "--key", b64File}, 0, allOK},
		{"--key names a file of another key", []string{"verify", proofPath, "--key", writeFile(t, "other.json", otherJSON)}, 1, "1 ok shape\n2 ok votes\n3 ok votes_root\n4 ok tiebreak\n5 ok result\n6 FAIL signature: signed by key …"},
		{"other key", []string{"verify", proofPath, "--key", otherKey}, 1, "1 ok shape\n2 ok votes\n3 ok votes_root\n4 ok tiebreak\n5 ok result\n6 FAIL signature: signed by key …"},
		{"changed vote", []string{"verify", tampered}, 1, "1 ok shape\n2 ok votes\n3 FAIL votes_root: document says …"},
		{"receipt", []string{"verify", receiptPath}, 0, "1 ok shape\n2 ok leaf\n3 ok inclusion\n4 ok signature\n" + unchecked},
		{"receipt with proof", []string{"verify", receiptPath, "--proof", proofPath, "--key", pubB64}, 0, "1 ok shape\n2 ok leaf\n3 ok inclusion\n4 ok signature\n5 ok proof\n"},
		{"receipt with changed proof", []string{"verify", receiptPath, "--proof", tampered}, 1, "1 ok shape\n2 ok leaf\n3 ok inclusion\n4 ok signature\n5 FAIL proof: proof fails check 3 votes_root: …"},
		{"changed proof re-signed by another key", []string{"verify", resigned}, 0, allOK + strings.ReplaceAll(unchecked, k.Current().ID, other.Current().ID)},
		{"not JSON", []string{"verify", writeFile(t, "x.json", "{oops")}, 2, ""},
		{"missing file", []string{"verify", "/nonexistent"}, 2, ""},
		{"bad key", []string{"verify", proofPath, "--key", "abc"}, 2, ""},
		{"--proof for a proof", []string{"verify", proofPath, "--proof", proofPath}, 2, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := runCmd(t, "", nil, tc.args...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d\nstdout %s\nstderr %s", code, tc.code, out, errOut)
			}
			if prefix, ok := strings.CutSuffix(tc.stdout, "…"); ok {
				if !strings.HasPrefix(out, prefix) {
					t.Errorf("stdout:\n%s\nwant prefix:\n%s", out, prefix)
				}
			} else if out != tc.stdout {
				t.Errorf("stdout:\n%s\nwant:\n%s", out, tc.stdout)
			}
			if code == 2 && errOut == "" {
				t.Error("exit 2 without a message on stderr")
			}
		})
	}
	if _, err := base64.StdEncoding.DecodeString(pubB64); err != nil {
		t.Fatal(err)
	}
}
