package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"koinon/internal/clog"
)

// vectors2 reads the proof-2 test vectors of internal/proof2.
func vectors2(t *testing.T) (v struct {
	PlatformKey string   `json:"platform_key"`
	WitnessVKey string   `json:"witness_vkey"`
	Entries     []string `json:"entries"`
	Proof       json.RawMessage
	Log         struct{ VKey string }
}) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "internal", "proof2", "testdata", "vectors.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

// writeTiles writes a log's tiles (C2SP tlog-tiles) under dir.
func writeTiles(t *testing.T, dir string, entries [][]byte) {
	t.Helper()
	l := clog.Open(&clog.MemStorage{}, 0)
	if _, err := l.Append(entries); err != nil {
		t.Fatal(err)
	}
	for _, tile := range clog.Tiles(0, l.Size()) {
		var data []byte
		var err error
		if tile.L == -1 {
			first := tile.N * clog.TileWidth
			data, err = clog.EntryBundle(entries[first : first+int64(tile.W)])
		} else {
			data, err = l.HashTile(tile)
		}
		if err != nil {
			t.Fatal(err)
		}
		name := filepath.Join(dir, filepath.FromSlash(clog.TilePath(tile)))
		if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(name, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestVerifyProof2(t *testing.T) {
	v := vectors2(t)
	proofPath := writeFile(t, "proof2.json", string(v.Proof))
	var entries [][]byte
	for _, e := range v.Entries {
		entries = append(entries, []byte(e))
	}
	logDir := t.TempDir()
	writeTiles(t, logDir, entries)
	srv := httptest.NewServer(http.FileServer(http.Dir(logDir)))
	defer srv.Close()
	// The operator rewrites ann's last delegation (entry 15) in the log it
	// serves one auditor: the root no longer matches.
	forked := t.TempDir()
	rewritten := slices.Clone(entries)
	rewritten[15] = entries[14]
	writeTiles(t, forked, rewritten)

	all := "1 ok shape\n2 ok checkpoint\n3 ok inclusion\n4 ok statements\n5 ok delegations\n6 ok votes\n7 ok result\n8 ok signature\n"
	replayed := "9 ok log_root\n10 ok log_entries\n11 ok log_complete\n12 ok log_keys\n"
	trailer := "custodial weight 1 of 5 counted; %d trusted witness cosignatures\n"
	tests := []struct {
		name string
		args []string
		code int
		out  string
	}{
		{"alone", []string{proofPath}, 0, all + strings.Replace(trailer, "%d", "0", 1)},
		{"trusted keys and witness", []string{proofPath, "--key", v.PlatformKey, "--log-key", v.Log.VKey, "--witness", v.WitnessVKey, "--quorum", "1"}, 0, all + strings.Replace(trailer, "%d", "1", 1)},
		{"log from a directory", []string{proofPath, "--log", logDir}, 0, all + replayed + strings.Replace(trailer, "%d", "0", 1)},
		{"log from a URL", []string{proofPath, "--log", srv.URL + "/"}, 0, all + replayed + strings.Replace(trailer, "%d", "0", 1)},
		{"log with an entry left out", []string{proofPath, "--log", forked}, 1, all + "9 FAIL log_root: "},
		{"log flags on a proof 1", []string{"--log", logDir, writeFile(t, "p1.json", `{"format":"koinon-tally-proof/1"}`)}, 2, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := runCmd(t, "", nil, append([]string{"verify"}, tc.args...)...)
			if code != tc.code || !strings.HasPrefix(out, tc.out) {
				t.Errorf("exit %d, want %d\nstdout:\n%s\nwant prefix:\n%s\nstderr: %s", code, tc.code, out, tc.out, errOut)
			}
		})
	}
}
