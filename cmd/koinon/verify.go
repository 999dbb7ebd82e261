package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"os"
	"strings"
	"time"

	"koinon/internal/clog"
	"koinon/internal/keyring"
	"koinon/internal/proof"
	"koinon/internal/proof2"
	"koinon/internal/secret"
)

func cmdVerify(ctx context.Context, e env) int {
	fs := flag.NewFlagSet("verify", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Usage = func() {
		fmt.Fprintln(e.stderr, "usage: koinon verify PROOF|- [--key BASE64|FILE]")
		fmt.Fprintln(e.stderr, "       koinon verify PROOF2|- [--key …] [--log-key VKEY] [--witness VKEY … --quorum N] [--log URL|DIR]")
		fmt.Fprintln(e.stderr, "       koinon verify RECEIPT|- [--proof PROOF] [--key BASE64|FILE]")
		fmt.Fprintln(e.stderr, "       koinon verify SECRET-TALLY|-   (a koinon-secret-tally/1 document; unsigned, so no --key)")
		fmt.Fprintln(e.stderr, "without --key the checks cannot tell who signed: pin the platform's key")
		fmt.Fprintln(e.stderr, "exit status: 0 every check passes, 1 a check fails, 2 the file is not a proof or receipt")
		fs.PrintDefaults()
	}
	keyB64 := fs.String("key", "", "the platform's public key you trust: base64 of 32 bytes, or a file holding it or the JSON of /.well-known/koinon-key")
	keyFile := fs.String("key-file", "", "like --key, always a file")
	proofFile := fs.String("proof", "", "for a receipt: the proof it belongs to")
	logKey := fs.String("log-key", "", "proof 2: the community log's key you trust (signed-note vkey)")
	var witnesses listFlag
	fs.Var(&witnesses, "witness", "proof 2: a witness's vkey (repeat the flag for several)")
	quorum := fs.Int("quorum", 0, "proof 2: how many of the --witness keys must have cosigned the checkpoint")
	logLoc := fs.String("log", "", "proof 2: replay the community log, read from its tlog-tiles URL or a directory of its tiles")
	args, err := parseArgs(fs, e.args)
	if err != nil {
		return 2
	}
	if len(args) != 1 || (*keyB64 != "" && *keyFile != "") {
		fs.Usage()
		return 2
	}
	var trusted []byte
	switch {
	case *keyFile != "":
		trusted, err = readKeyFile(*keyFile)
	case *keyB64 != "":
		if st, serr := os.Stat(*keyB64); serr == nil && st.Mode().IsRegular() {
			trusted, err = readKeyFile(*keyB64)
		} else {
			trusted, err = keyring.ParsePublicKey(*keyB64)
		}
	}
	if err != nil {
		fmt.Fprintf(e.stderr, "koinon verify: key: %v\n", err)
		return 2
	}
	data, err := readInput(args[0], e.stdin)
	if err != nil {
		fmt.Fprintf(e.stderr, "koinon verify: %v\n", err)
		return 2
	}
	var rep proof.Report
	var trailer string // what proof 2 adds after the checks
	proof2Flags := *logKey != "" || *logLoc != "" || len(witnesses) > 0 || *quorum != 0
	switch format := proof.Detect(data); {
	case format != proof2.Format && proof2Flags:
		fmt.Fprintf(e.stderr, "koinon verify: %s: --log, --log-key, --witness and --quorum are for proof 2 documents\n", args[0])
		return 2
	case format == proof.ReceiptFormat:
		var pr []byte
		if *proofFile != "" {
			if pr, err = os.ReadFile(*proofFile); err != nil {
				fmt.Fprintf(e.stderr, "koinon verify: %v\n", err)
				return 2
			}
		}
		rep = proof.VerifyReceipt(data, pr, trusted)
	case *proofFile != "":
		fmt.Fprintf(e.stderr, "koinon verify: %s: --proof is for receipts, and this is not one\n", args[0])
		return 2
	case format == secret.Format:
		if trusted != nil {
			fmt.Fprintf(e.stderr, "koinon verify: %s: a secret-tally document is not signed: --key does not apply\n", args[0])
			return 2
		}
		rep = proof.VerifySecret(data)
		if rep.OK {
			trailer = "counts " + string(rep.Counts) + "\n" +
				"NOTE: these checks show that the counts follow from the cast ballots and the key generation in the file; that the file holds the ballot's cast list is shown by its signed log statements.\n"
		}
	case format == proof2.Format:
		opts := proof2.Options{PlatformKey: trusted, LogKey: *logKey, Witnesses: witnesses, Quorum: *quorum}
		if *logLoc != "" {
			if opts.Log, err = logOf(ctx, data, *logLoc); err != nil {
				fmt.Fprintf(e.stderr, "koinon verify: --log: %v\n", err)
				return 2
			}
		}
		r := proof2.Verify(data, opts)
		rep = r.Report
		if r.CustodialWeight != nil && r.OK {
			trailer = fmt.Sprintf("custodial weight %d of %d counted; %d trusted witness cosignatures\n", *r.CustodialWeight, *r.CountedWeight, r.Cosignatures)
		}
	default:
		rep = proof.Verify(data, trusted)
	}
	if rep.Error != "" {
		fmt.Fprintf(e.stderr, "koinon verify: %s: %s\n", args[0], rep.Error)
		return rep.ExitCode()
	}
	for _, c := range rep.Checks {
		if c.OK {
			fmt.Fprintf(e.stdout, "%d ok %s\n", c.N, c.Name)
		} else {
			fmt.Fprintf(e.stdout, "%d FAIL %s: %s\n", c.N, c.Name, c.Reason)
		}
	}
	fmt.Fprint(e.stdout, trailer)
	if trusted == nil && rep.Kind != proof.SecretKind {
		id := signerKeyID(data)
		fmt.Fprintf(e.stdout, "WARNING: the signer was NOT checked. No --key was given, so any key could have signed this.\n")
		fmt.Fprintf(e.stdout, "WARNING: signed by key id %s: compare it with key_id at https://PLATFORM/.well-known/koinon-key, or rerun with --key.\n", id)
	}
	return rep.ExitCode()
}

// readKeyFile reads a trusted key saved to disk: its base64, or the JSON
// of /.well-known/koinon-key.
func readKeyFile(name string) ([]byte, error) {
	b, err := os.ReadFile(name)
	if err != nil {
		return nil, err
	}
	return keyring.ParsePublicKey(string(b))
}

// signerKeyID is the key id a proof or receipt names as its signer.
func signerKeyID(data []byte) string {
	var d struct {
		Signer struct {
			KeyID string `json:"key_id"`
		} `json:"signer"`
	}
	if json.Unmarshal(data, &d) != nil || d.Signer.KeyID == "" {
		return "(none)"
	}
	return d.Signer.KeyID
}

// listFlag is a flag that may be given several times.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

// logOf reads the entries of the log a proof-2 document's checkpoint
// covers, from a tlog-tiles URL or directory.
func logOf(ctx context.Context, data []byte, loc string) ([][]byte, error) {
	doc, err := proof2.Parse(data)
	if err != nil {
		return nil, nil // check 1 names the problem
	}
	text, _, _ := strings.Cut(doc.Checkpoint, "\n\n")
	c, err := clog.ParseCheckpoint(text + "\n")
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	return readEntries(ctx, newTileSource(loc, http.DefaultClient), c.Size)
}
