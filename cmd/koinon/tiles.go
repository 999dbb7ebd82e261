package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/mod/sumdb/tlog"

	"koinon/internal/clog"
)

// maxTile bounds one fetched tile or bundle: 256 entries of at most
// 64 KiB each and their lengths.
const maxTile = clog.TileWidth * (clog.MaxEntrySize + 2)

// tileSource reads files of a C2SP tlog-tiles log: `checkpoint`,
// `tile/…`. A missing file is fs.ErrNotExist.
type tileSource interface {
	get(ctx context.Context, path string) ([]byte, error)
}

// newTileSource reads a log from an http(s) URL or a local directory.
func newTileSource(loc string, client *http.Client) tileSource {
	if strings.HasPrefix(loc, "http://") || strings.HasPrefix(loc, "https://") {
		return urlSource{base: strings.TrimSuffix(loc, "/") + "/", client: client}
	}
	return dirSource(loc)
}

type dirSource string

func (d dirSource) get(_ context.Context, path string) ([]byte, error) {
	return os.ReadFile(filepath.Join(string(d), filepath.FromSlash(path)))
}

type urlSource struct {
	base   string
	client *http.Client
}

func (u urlSource) get(ctx context.Context, path string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.base+path, nil)
	if err != nil {
		return nil, err
	}
	resp, err := u.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusNotFound:
		return nil, fmt.Errorf("%s: %w", u.base+path, fs.ErrNotExist)
	case resp.StatusCode != http.StatusOK:
		return nil, fmt.Errorf("%s: %s", u.base+path, resp.Status)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxTile+1))
	if err == nil && len(b) > maxTile {
		err = fmt.Errorf("%s: more than %d bytes", u.base+path, maxTile)
	}
	return b, err
}

// getTile reads tile t of a log of size entries: the partial tile when
// the log ends inside it, falling back to the full tile (cut to width)
// when the log has grown since and the partial one is gone.
func getTile(ctx context.Context, src tileSource, t tlog.Tile) ([]byte, error) {
	b, err := src.get(ctx, clog.TilePath(t))
	if errors.Is(err, fs.ErrNotExist) && t.W < clog.TileWidth {
		full := t
		full.W = clog.TileWidth
		b, err = src.get(ctx, clog.TilePath(full))
	}
	return b, err
}

// readEntries reads the first size entries of a log from its entry
// bundles.
func readEntries(ctx context.Context, src tileSource, size int64) ([][]byte, error) {
	out := make([][]byte, 0, size)
	for n := int64(0); n*clog.TileWidth < size; n++ {
		w := min(clog.TileWidth, size-n*clog.TileWidth)
		t := tlog.Tile{H: clog.TileHeight, L: -1, N: n, W: int(w)}
		b, err := getTile(ctx, src, t)
		if err != nil {
			return nil, fmt.Errorf("entry bundle %d: %w", n, err)
		}
		es, err := clog.ParseEntryBundle(b)
		if err != nil {
			return nil, fmt.Errorf("entry bundle %d: %w", n, err)
		}
		if int64(len(es)) < w {
			return nil, fmt.Errorf("entry bundle %d: %d entries, want %d", n, len(es), w)
		}
		out = append(out, es[:w]...)
	}
	return out, nil
}
