// Package cosigning submits a community log's checkpoints to the witnesses
// its board configured (C2SP tlog-witness add-checkpoint, docs/logs.md)
// and collects their cosignatures: in the background as the log grows
// (Worker), and inside the closing transaction, where a seal needs the
// quorum's cosignatures on the close checkpoint (Close). Every cosignature
// is checked against the witness's key before it is kept. It imports
// store, clog and domain, never web.
package cosigning

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"koinon/internal/clog"
	"koinon/internal/domain"
	"koinon/internal/store"
)

// DefaultWait bounds how long a close waits for the witnesses.
const DefaultWait = 5 * time.Second

// ProofFunc returns the consistency proof from size old to the size of
// the checkpoint being submitted.
type ProofFunc func(old int64) (tlog.TreeProof, error)

// result is one witness's answer to one checkpoint.
type result struct {
	name string
	line string // the cosignature line, without its newline
	err  error
}

// submit sends the signed checkpoint (of size) to w with a consistency
// proof from the size w last cosigned for us (w.Cosigned). A 409 that
// names another size the witness holds (at most size) is retried once from
// that size, so that a witness whose cosignature the server did not keep
// (a crash, another server on the same database) catches up.
func submit(ctx context.Context, client *http.Client, w store.LogWitness, signed []byte, size int64, proof ProofFunc) result {
	r := result{name: w.Name}
	v, err := clog.CosignatureVerifier(w.VKey)
	if err != nil {
		r.err = err
		return r
	}
	old := w.Cosigned
	if old > size {
		old = 0 // the witness will tell its size
	}
	for attempt := 0; ; attempt++ {
		p, err := proof(old)
		if err != nil {
			r.err = fmt.Errorf("consistency proof from size %d: %w", old, err)
			return r
		}
		code, ctype, body, err := post(ctx, client, w.URL, clog.AddCheckpointRequest(old, p, signed))
		if err != nil {
			r.err = err
			return r
		}
		if code == http.StatusOK {
			r.line, r.err = cosignatureLine(signed, body, v)
			return r
		}
		latest, ok := conflictSize(code, ctype, body)
		if ok && latest != old && latest <= size && attempt == 0 {
			old = latest
			continue
		}
		if ok && latest > size {
			r.err = fmt.Errorf("refused (409 Conflict): the witness holds a checkpoint of size %d, beyond this one's %d", latest, size)
			return r
		}
		r.err = fmt.Errorf("refused (%d %s): %s", code, http.StatusText(code), strings.TrimSpace(string(body)))
		return r
	}
}

// post POSTs body to the witness's add-checkpoint endpoint.
func post(ctx context.Context, client *http.Client, base string, body []byte) (int, string, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimSuffix(base, "/")+"/add-checkpoint", bytes.NewReader(body))
	if err != nil {
		return 0, "", nil, err
	}
	req.Header.Set("Content-Type", "text/plain; charset=utf-8")
	resp, err := client.Do(req)
	if err != nil {
		return 0, "", nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return 0, "", nil, err
	}
	return resp.StatusCode, resp.Header.Get("Content-Type"), b, nil
}

// conflictSize reads the latest size a 409 answer carries
// (text/x.tlog.size).
func conflictSize(code int, ctype string, body []byte) (int64, bool) {
	if mt, _, _ := mime.ParseMediaType(ctype); code != http.StatusConflict || mt != "text/x.tlog.size" {
		return 0, false
	}
	n, err := strconv.ParseInt(strings.TrimSpace(string(body)), 10, 64)
	return n, err == nil && n >= 0
}

// cosignatureLine finds the witness's signature line in its answer and
// checks it over signed.
func cosignatureLine(signed, body []byte, v note.Verifier) (string, error) {
	for _, l := range strings.Split(string(body), "\n") {
		if !strings.HasPrefix(l, "— "+v.Name()+" ") {
			continue
		}
		if _, err := note.Open(append(bytes.Clone(signed), l+"\n"...), note.VerifierList(v)); err != nil {
			return "", fmt.Errorf("its cosignature does not verify: %w", err)
		}
		return l, nil
	}
	return "", fmt.Errorf("answered without a cosignature of %s", v.Name())
}

// collect submits signed to every witness at once and waits for them all
// (bounded by ctx).
func collect(ctx context.Context, client *http.Client, ws []store.LogWitness, signed []byte, size int64, proof ProofFunc) []result {
	out := make([]result, len(ws))
	var wg sync.WaitGroup
	for i, w := range ws {
		wg.Go(func() { out[i] = submit(ctx, client, w, signed, size, proof) })
	}
	wg.Wait()
	return out
}

// cosignatures turns the good results into records of the checkpoint c.
func cosignatures(communityID int64, c clog.Checkpoint, rs []result) []store.Cosignature {
	var out []store.Cosignature
	for _, r := range rs {
		if r.err == nil {
			out = append(out, store.Cosignature{CommunityID: communityID, Witness: r.name, Size: c.Size, Root: hex.EncodeToString(c.Root[:]), Line: r.line})
		}
	}
	return out
}

// ErrQuorum is the close refused for want of the witness quorum; the
// error returned is a *domain.StateError (HTTP 409) naming the missing
// witnesses, and errors.Is(err, ErrQuorum) holds.
var ErrQuorum = errors.New("cosigning: witness quorum not reached")

func missing(what string, quorum int, rs []result) error {
	n := 0
	var miss []string
	for _, r := range rs {
		if r.err == nil {
			n++
		} else {
			miss = append(miss, fmt.Sprintf("%s (%v)", r.name, r.err))
		}
	}
	if n >= quorum {
		return nil
	}
	return fmt.Errorf("%w: %w", ErrQuorum, domain.Stated("witness_quorum",
		"the ballot was not closed: %s was cosigned by %d of the %d witnesses the community requires; missing: %s",
		what, n, quorum, strings.Join(miss, "; ")))
}

// Close collects the witnesses' cosignatures for a closing public ballot,
// inside its closing transaction, when the community requires a quorum
// (lg.Witnesses.Quorum > 0; otherwise it returns lg.Checkpoint as it is
// and the Worker submits it after the commit). First every witness gets
// the checkpoint the log had before the close (lg.Before: committed, so
// showing it is safe); if fewer than the quorum cosign it, the close fails
// before any witness saw the close checkpoint. Then the witnesses that
// answered get the close checkpoint; it returns that checkpoint with their
// cosignature lines appended, and every cosignature collected. Fewer than
// the quorum is ErrQuorum (a 409 naming the missing witnesses): the caller
// rolls the close back.
func Close(ctx context.Context, client *http.Client, lg *store.CloseLog) ([]byte, []store.Cosignature, error) {
	cfg := lg.Witnesses
	if cfg.Quorum <= 0 || len(cfg.Witnesses) == 0 {
		return lg.Checkpoint, nil, nil
	}
	if client == nil {
		client = http.DefaultClient
	}
	l := clog.Open(&clog.MemStorage{}, 0)
	if _, err := l.Append(lg.Entries); err != nil {
		return nil, nil, err
	}
	proofTo := func(size int64) ProofFunc {
		return func(old int64) (tlog.TreeProof, error) { return l.ConsistencyProof(old, size) }
	}
	before, err := parseSigned(lg.Before)
	if err != nil {
		return nil, nil, err
	}
	closing, err := parseSigned(lg.Checkpoint)
	if err != nil {
		return nil, nil, err
	}
	rs := collect(ctx, client, cfg.Witnesses, lg.Before, before.Size, proofTo(before.Size))
	if err := missing(fmt.Sprintf("the log's checkpoint of size %d", before.Size), cfg.Quorum, rs); err != nil {
		return nil, nil, err
	}
	out := cosignatures(lg.CommunityID, before, rs)
	if closing.Size == before.Size { // no openings: the close checkpoint is this one
		return withLines(lg.Checkpoint, rs), out, nil
	}
	var live []store.LogWitness
	for i, w := range cfg.Witnesses {
		if rs[i].err == nil {
			w.Cosigned = before.Size
			live = append(live, w)
		}
	}
	rs = collect(ctx, client, live, lg.Checkpoint, closing.Size, proofTo(closing.Size))
	if err := missing(fmt.Sprintf("the close checkpoint of size %d", closing.Size), cfg.Quorum, rs); err != nil {
		return nil, nil, err
	}
	return withLines(lg.Checkpoint, rs), append(out, cosignatures(lg.CommunityID, closing, rs)...), nil
}

// withLines appends the good results' cosignature lines to a signed
// checkpoint.
func withLines(signed []byte, rs []result) []byte {
	out := bytes.Clone(signed)
	for _, r := range rs {
		if r.err == nil {
			out = append(out, r.line+"\n"...)
		}
	}
	return out
}

// noteText is the text of a signed note (before its empty line).
func noteText(signed []byte) string {
	text, _, _ := strings.Cut(string(signed), "\n\n")
	return text + "\n"
}

// parseSigned reads the checkpoint of a signed note (its signature is the
// caller's business: the server signed it).
func parseSigned(signed []byte) (clog.Checkpoint, error) {
	return clog.ParseCheckpoint(noteText(signed))
}
