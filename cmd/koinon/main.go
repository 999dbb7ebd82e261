// Command koinon is the Koinon server and its tools: serve, demo, tally,
// verify, key, admin and loadtest. It wires configuration, store, keys
// and server together and holds no rules or SQL of its own: seeding goes
// through store functions. No package imports it.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"syscall"
)

// env carries what a subcommand may touch, so start-up is testable.
type env struct {
	args   []string
	getenv func(string) string
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
}

// command runs one subcommand and returns the process exit status.
type command struct {
	summary string
	run     func(ctx context.Context, e env) int
}

func commands() map[string]command {
	return map[string]command{
		"serve":    {"run the web server (migrates the database first)", cmdServe},
		"demo":     {"fill an empty database with a demo community", cmdDemo},
		"tally":    {"count a tally document or a BLT file and print the result", cmdTally},
		"verify":   {"check a signed tally proof or a receipt", cmdVerify},
		"client":   {"sign votes and delegations with a device key, keep receipts and check the log", cmdClient},
		"trustee":  {"take part in a secret ballot's key generation and decryption as a trustee", cmdTrustee},
		"witness":  {"cosign a community log's checkpoints after checking consistency (C2SP tlog-witness)", cmdWitness},
		"key":      {"manage the platform signing key (rotate, show)", cmdKey},
		"admin":    {"administration: create-citizen, token, import-roll, invite-links", cmdAdmin},
		"backup":   {"copy the SQLite database to FILE while the server runs", cmdBackup},
		"restore":  {"replace the SQLite database with a backup FILE (server stopped)", cmdRestore},
		"loadtest": {"measure vote casting, closing and page loads at scale (127.0.0.1 only)", cmdLoadtest},
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, env{args: os.Args[1:], getenv: os.Getenv, stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr})
	stop()
	os.Exit(code)
}

func run(ctx context.Context, e env) int {
	cmds := commands()
	if len(e.args) == 0 || e.args[0] == "help" || e.args[0] == "-h" || e.args[0] == "--help" {
		usage(e.stderr, cmds)
		if len(e.args) == 0 {
			return 2
		}
		return 0
	}
	c, ok := cmds[e.args[0]]
	if !ok {
		fmt.Fprintf(e.stderr, "koinon: unknown command %q\n", e.args[0])
		usage(e.stderr, cmds)
		return 2
	}
	e.args = e.args[1:]
	return c.run(ctx, e)
}

func usage(w io.Writer, cmds map[string]command) {
	names := make([]string, 0, len(cmds))
	for n := range cmds {
		names = append(names, n)
	}
	sort.Strings(names)
	fmt.Fprintln(w, "usage: koinon COMMAND [flags]")
	for _, n := range names {
		fmt.Fprintf(w, "  %-8s %s\n", n, cmds[n].summary)
	}
}
