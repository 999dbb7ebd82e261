package main

import (
	"cmp"
	"strings"

	"koinon/internal/config"
	"koinon/internal/keyring"
	"koinon/internal/store"
)

// enableLogs turns on the community logs, served under the public URL
// (or http://ADDR without one) at /logs/, with their keys from the keys dir.
func enableLogs(st *store.Store, cfg config.Config) error {
	keys, err := keyring.OpenLogKeys(cfg.DataDir)
	if err != nil {
		return err
	}
	addr := cfg.Addr
	if strings.HasPrefix(addr, ":") {
		addr = "localhost" + addr
	}
	base := strings.TrimSuffix(cmp.Or(cfg.PublicURL, "http://"+addr), "/") + "/logs/"
	return st.EnableLogs(store.LogConfig{Base: base, Keys: keys})
}
