package cosigning

import (
	"context"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"koinon/internal/store"
)

// Store is what the Worker needs of the database (sqlstore.Store).
type Store interface {
	WitnessedCommunities(ctx context.Context) ([]int64, error)
	Witnesses(ctx context.Context, communityID int64) (store.WitnessConfig, error)
	Cosignatures(ctx context.Context, communityID, size int64, root string) ([]store.Cosignature, error)
	LogCheckpoint(ctx context.Context, communityID int64) ([]byte, error)
	ConsistencyProof(ctx context.Context, communityID, old, next int64) ([]string, error)
	SaveCosignatures(ctx context.Context, cs []store.Cosignature) error
	SetWitnessError(ctx context.Context, communityID int64, name, msg string) error
}

// Worker brings every configured witness up to each community log's
// latest checkpoint, after the transactions that grew it committed. A
// witness's refusal (a fork: the log showed it another root for a size it
// cosigned) is kept as its last error, shown on the log page, and logged.
type Worker struct {
	Store  Store
	Client *http.Client
	Log    *slog.Logger
	// Wait bounds one round of submissions (DefaultWait when zero).
	Wait time.Duration
}

// Run syncs every witnessed community at start and then every interval
// until ctx ends.
func (w *Worker) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if ids, err := w.Store.WitnessedCommunities(ctx); err != nil {
			w.logger().Error("witnesses", "err", err)
		} else {
			for _, id := range ids {
				if err := w.Sync(ctx, id); err != nil && ctx.Err() == nil {
					w.logger().Error("witnesses", "community_id", id, "err", err)
				}
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (w *Worker) logger() *slog.Logger {
	if w.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return w.Log
}

// Sync submits the community log's latest checkpoint to each of its
// witnesses that has not cosigned it, and stores what they answer.
func (w *Worker) Sync(ctx context.Context, communityID int64) error {
	cfg, err := w.Store.Witnesses(ctx, communityID)
	if err != nil || len(cfg.Witnesses) == 0 {
		return err
	}
	signed, err := w.Store.LogCheckpoint(ctx, communityID)
	if err != nil {
		return err
	}
	c, err := parseSigned(signed)
	if err != nil {
		return err
	}
	have, err := w.Store.Cosignatures(ctx, communityID, c.Size, hex.EncodeToString(c.Root[:]))
	if err != nil {
		return err
	}
	done := map[string]bool{}
	for _, h := range have {
		done[h.Witness] = true
	}
	var todo []store.LogWitness
	for _, x := range cfg.Witnesses {
		if !done[x.Name] {
			todo = append(todo, x)
		}
	}
	if len(todo) == 0 {
		return nil
	}
	wait := w.Wait
	if wait <= 0 {
		wait = DefaultWait
	}
	ctx2, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	client := w.Client
	if client == nil {
		client = http.DefaultClient
	}
	rs := collect(ctx2, client, todo, signed, c.Size, func(old int64) (tlog.TreeProof, error) {
		hs, err := w.Store.ConsistencyProof(ctx2, communityID, old, c.Size)
		if err != nil {
			return nil, err
		}
		return parseHex(hs)
	})
	for i, r := range rs {
		if r.err != nil && r.err.Error() != todo[i].LastError {
			w.logger().Warn("witness did not cosign", "community_id", communityID, "witness", r.name, "size", c.Size, "err", r.err)
			if err := w.Store.SetWitnessError(ctx, communityID, r.name, r.err.Error()); err != nil {
				return err
			}
		}
	}
	return w.Store.SaveCosignatures(ctx, cosignatures(communityID, c, rs))
}

func parseHex(hs []string) (tlog.TreeProof, error) {
	p := make(tlog.TreeProof, len(hs))
	for i, h := range hs {
		b, err := hex.DecodeString(h)
		if err != nil || len(b) != tlog.HashSize {
			return nil, fmt.Errorf("cosigning: proof hash %q", h)
		}
		p[i] = tlog.Hash(b)
	}
	return p, nil
}
