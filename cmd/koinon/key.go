package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"

	"koinon/internal/keyring"
)

func cmdKey(ctx context.Context, e env) int {
	fs := flag.NewFlagSet("key", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Usage = func() {
		fmt.Fprintln(e.stderr, "usage: koinon key show|rotate [--data DIR]")
		fmt.Fprintln(e.stderr, "  show    print the public keys (as served at /.well-known/koinon-key)")
		fmt.Fprintln(e.stderr, "  rotate  make a new signing key; older keys stay listed so old proofs verify")
		fs.PrintDefaults()
	}
	dataDir := e.getenv("KOINON_DATA")
	if dataDir == "" {
		dataDir = "./data"
	}
	fs.StringVar(&dataDir, "data", dataDir, "data directory (env KOINON_DATA)")
	args, err := parseArgs(fs, e.args)
	if err != nil {
		return 2
	}
	if len(args) != 1 || (args[0] != "show" && args[0] != "rotate") {
		fs.Usage()
		return 2
	}
	k, err := keyring.Open(dataDir)
	if err != nil {
		fmt.Fprintf(e.stderr, "koinon key: %v\n", err)
		return 1
	}
	if args[0] == "rotate" {
		if _, err := k.Rotate(); err != nil {
			fmt.Fprintf(e.stderr, "koinon key: %v\n", err)
			return 1
		}
	}
	b, err := json.MarshalIndent(k.PublicKeys(), "", "  ")
	if err != nil {
		fmt.Fprintf(e.stderr, "koinon key: %v\n", err)
		return 1
	}
	fmt.Fprintf(e.stdout, "%s\n", b)
	return 0
}
