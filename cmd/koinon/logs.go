package main

import (
	"cmp"
	"context"
	"log/slog"
	"strings"

	"koinon/internal/config"
	"koinon/internal/keyring"
	"koinon/internal/store"
	"koinon/internal/store/sqlstore"
)

// enableLogs turns on the community logs, served under the public URL
// (or http://ADDR without one) at /logs/, with their keys from the keys
// dir, and starts the log of each community that has none yet with what
// already counts there (store.BackfillLogs).
func enableLogs(ctx context.Context, st *sqlstore.Store, cfg config.Config, log *slog.Logger) error {
	keys, err := keyring.OpenLogKeys(cfg.DataDir)
	if err != nil {
		return err
	}
	addr := cfg.Addr
	if strings.HasPrefix(addr, ":") {
		addr = "localhost" + addr
	}
	base := strings.TrimSuffix(cmp.Or(cfg.PublicURL, "http://"+addr), "/") + "/logs/"
	if err := st.EnableLogs(store.LogConfig{Base: base, Keys: keys}); err != nil {
		return err
	}
	n, err := st.BackfillLogs(ctx)
	if n > 0 {
		log.Info("started the community logs with the existing delegations and votes", "statements", n)
	}
	return err
}
