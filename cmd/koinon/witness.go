package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"koinon/internal/clog"
	"koinon/internal/keyring"
)

// witnessKey is the stored form of a witness's key (0600 file).
type witnessKey struct {
	Name string `json:"name"`
	Seed string `json:"seed"` // 32 bytes, base64
	VKey string `json:"vkey"`
}

func (k *witnessKey) seed() string { return k.Seed }

func cmdWitness(ctx context.Context, e env) int {
	if len(e.args) > 0 && e.args[0] == "keygen" {
		return witnessKeygen(e)
	}
	fs := flag.NewFlagSet("witness", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Usage = func() {
		fmt.Fprintln(e.stderr, "usage: koinon witness --log URL --log-key VKEY --key FILE [--state FILE] [--listen ADDR] [--interval D]")
		fmt.Fprintln(e.stderr, "       koinon witness keygen --name NAME --out FILE")
		fmt.Fprintln(e.stderr, "Polls the log's checkpoint, checks that each new one extends the last it cosigned (consistency proof from the")
		fmt.Fprintln(e.stderr, "log's tiles), cosigns it, and serves the C2SP tlog-witness add-checkpoint endpoint. A fork is refused and reported.")
		fs.PrintDefaults()
	}
	logURL := fs.String("log", "", "the log's tlog-tiles URL, https://HOST/logs/COMMUNITY/")
	logKey := fs.String("log-key", "", "the log's signed-note verifier key (log.vkey of GET /api/v1/communities/{slug})")
	keyFile := fs.String("key", "", "the witness key file (koinon witness keygen)")
	stateFile := fs.String("state", "", "file keeping the latest cosigned checkpoint (default: KEY.state)")
	listen := fs.String("listen", "127.0.0.1:7380", "address of the add-checkpoint endpoint (\"\" for none)")
	interval := fs.Duration("interval", 30*time.Second, "how often to poll the checkpoint")
	args, err := parseArgs(fs, e.args)
	if err != nil {
		return 2
	}
	if len(args) != 0 || *logURL == "" || *logKey == "" || *keyFile == "" || *interval <= 0 {
		fs.Usage()
		return 2
	}
	if *stateFile == "" {
		*stateFile = *keyFile + ".state"
	}
	w, err := newWitnessProcess(*logURL, *logKey, *keyFile, *stateFile, e.stdout)
	if err != nil {
		fmt.Fprintf(e.stderr, "koinon witness: %v\n", err)
		return 2
	}
	if *listen != "" {
		ln, err := net.Listen("tcp", *listen)
		if err != nil {
			fmt.Fprintf(e.stderr, "koinon witness: %v\n", err)
			return 1
		}
		srv := &http.Server{Handler: w, ReadHeaderTimeout: 10 * time.Second}
		go func() { _ = srv.Serve(ln) }()
		defer srv.Close()
		fmt.Fprintf(e.stdout, "listening on %s\n", ln.Addr())
	}
	tick := time.NewTicker(*interval)
	defer tick.Stop()
	for {
		w.poll(ctx)
		select {
		case <-ctx.Done():
			return 0
		case <-tick.C:
		}
	}
}

func witnessKeygen(e env) int {
	fs := flag.NewFlagSet("witness keygen", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	name := fs.String("name", "", "the witness's name, e.g. witness.example.org")
	out := fs.String("out", "", "file to write the key to (0600; must not exist)")
	args, err := parseArgs(fs, e.args[1:])
	if err != nil {
		return 2
	}
	if len(args) != 0 || *name == "" || *out == "" {
		fmt.Fprintln(e.stderr, "usage: koinon witness keygen --name NAME --out FILE")
		return 2
	}
	seed := make([]byte, 32)
	if _, err := rand.Read(seed); err != nil {
		fmt.Fprintf(e.stderr, "koinon witness keygen: %v\n", err)
		return 1
	}
	_, vkey, err := clog.NewCosigner(*name, seed, time.Now)
	if err != nil {
		fmt.Fprintf(e.stderr, "koinon witness keygen: %v\n", err)
		return 2
	}
	b, _ := json.MarshalIndent(witnessKey{Name: *name, Seed: base64.StdEncoding.EncodeToString(seed), VKey: vkey}, "", "  ")
	f, err := os.OpenFile(*out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err == nil {
		_, err = f.Write(append(b, '\n'))
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		fmt.Fprintf(e.stderr, "koinon witness keygen: %v\n", err)
		return 1
	}
	fmt.Fprintln(e.stdout, vkey)
	return 0
}

// witnessProcess is one witness of one log: the pure clog.Witness, its
// state file, and the log's tiles.
type witnessProcess struct {
	core   *clog.Witness
	origin string
	src    tileSource
	out    io.Writer
}

func newWitnessProcess(logURL, logKey, keyFile, stateFile string, out io.Writer) (*witnessProcess, error) {
	origin, err := clog.Origin(logURL)
	if err != nil {
		return nil, err
	}
	v, err := note.NewVerifier(logKey)
	if err != nil {
		return nil, fmt.Errorf("--log-key: %w", err)
	}
	if v.Name() != origin {
		return nil, fmt.Errorf("--log-key is named %q, the log's origin is %q", v.Name(), origin)
	}
	var k witnessKey
	seed, err := readSeedFile(keyFile, &k)
	if err != nil {
		return nil, err
	}
	signer, _, err := clog.NewCosigner(k.Name, seed, time.Now)
	if err != nil {
		return nil, err
	}
	latest := map[string]clog.Checkpoint{}
	if b, err := os.ReadFile(stateFile); err == nil {
		c, err := clog.ParseCheckpoint(string(b))
		if err != nil || c.Origin != origin {
			return nil, fmt.Errorf("%s: not a checkpoint of %s", stateFile, origin)
		}
		latest[origin] = c
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	save := func(c clog.Checkpoint) error { return keyring.WriteFile(stateFile, c.Bytes()) }
	return &witnessProcess{
		core:   clog.NewWitness(signer, map[string]note.Verifier{origin: v}, latest, save),
		origin: origin,
		src:    newTileSource(logURL, &http.Client{Timeout: 30 * time.Second}),
		out:    out,
	}, nil
}

// poll fetches the log's checkpoint and cosigns it when it extends the
// latest one; a refusal (a fork above all) is reported.
func (w *witnessProcess) poll(ctx context.Context) {
	signed, err := w.src.get(ctx, "checkpoint")
	if err != nil {
		fmt.Fprintf(w.out, "poll: %v\n", err)
		return
	}
	text, _, _ := strings.Cut(string(signed), "\n\n")
	c, err := clog.ParseCheckpoint(text + "\n")
	if err != nil {
		fmt.Fprintf(w.out, "poll: %v\n", err)
		return
	}
	old := w.core.Latest(w.origin)
	if c.Size == old.Size && c.Root == old.Root {
		return
	}
	var p tlog.TreeProof
	if old.Size > 0 && c.Size > old.Size {
		tr := tlog.TileHashReader(tlog.Tree{N: c.Size, Hash: c.Root}, &tileHashes{ctx: ctx, src: w.src})
		if p, err = tlog.ProveTree(c.Size, old.Size, tr); err != nil {
			fmt.Fprintf(w.out, "REFUSED %s size %d: consistency proof from the log's tiles: %v\n", w.origin, c.Size, err)
			return
		}
	}
	if _, err := w.core.Cosign(old.Size, p, signed); err != nil {
		fmt.Fprintf(w.out, "REFUSED %s size %d: %v\n", w.origin, c.Size, err)
		return
	}
	fmt.Fprintf(w.out, "cosigned %s size %d\n", w.origin, c.Size)
}

// ServeHTTP serves C2SP tlog-witness: POST /add-checkpoint.
func (w *witnessProcess) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/add-checkpoint" {
		http.NotFound(rw, r)
		return
	}
	if r.Method != http.MethodPost {
		rw.Header().Set("Allow", http.MethodPost)
		http.Error(rw, "POST only", http.StatusMethodNotAllowed)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(rw, r.Body, 64<<10))
	if err != nil {
		http.Error(rw, "body too large", http.StatusRequestEntityTooLarge)
		return
	}
	sig, err := w.core.AddCheckpoint(body)
	var conflict *clog.ConflictError
	switch {
	case err == nil:
		rw.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = rw.Write(sig)
		return
	case errors.As(err, &conflict):
		rw.Header().Set("Content-Type", "text/x.tlog.size")
		rw.WriteHeader(http.StatusConflict)
		fmt.Fprintf(rw, "%d\n", conflict.Latest)
		return
	}
	code := http.StatusBadRequest
	switch {
	case errors.Is(err, clog.ErrUnknownLog):
		code = http.StatusNotFound
	case errors.Is(err, clog.ErrNoLogSignature):
		code = http.StatusForbidden
	case errors.Is(err, clog.ErrFork):
		code = http.StatusConflict
	case errors.Is(err, clog.ErrInconsistent):
		code = http.StatusUnprocessableEntity
	}
	if code != http.StatusBadRequest || !errors.Is(err, clog.ErrWitnessRequest) {
		fmt.Fprintf(w.out, "REFUSED add-checkpoint: %v\n", err)
	}
	http.Error(rw, err.Error(), code)
}

// tileHashes is a tlog.TileReader over a log's hash tiles.
type tileHashes struct {
	ctx context.Context
	src tileSource
}

func (t *tileHashes) Height() int { return clog.TileHeight }

func (t *tileHashes) ReadTiles(tiles []tlog.Tile) ([][]byte, error) {
	out := make([][]byte, len(tiles))
	for i, tile := range tiles {
		b, err := getTile(t.ctx, t.src, tile)
		if err != nil {
			return nil, err
		}
		if n := tile.W * tlog.HashSize; len(b) > n {
			b = b[:n] // a full tile read in place of a partial one
		}
		out[i] = b
	}
	return out, nil
}

func (t *tileHashes) SaveTiles([]tlog.Tile, [][]byte) {}
