package clog

import (
	"encoding/binary"
	"fmt"
	"strings"

	"golang.org/x/mod/sumdb/tlog"
)

// TileHeight is fixed by C2SP tlog-tiles: tiles are 256 hashes wide.
const TileHeight = 8

// TileWidth is the number of hashes in a full tile, and of entries in a full
// entry bundle.
const TileWidth = 1 << TileHeight

// TilePath returns t's path under the log's URL in the C2SP tlog-tiles
// layout: "tile/<L>/<N>[.p/<W>]" for hash tiles and
// "tile/entries/<N>[.p/<W>]" for entry bundles (t.L == -1). x/mod's own
// layout differs only in naming the height and "data".
func TilePath(t tlog.Tile) string {
	p := strings.TrimPrefix(t.Path(), fmt.Sprintf("tile/%d/", TileHeight))
	if t.L == -1 {
		p = "entries/" + strings.TrimPrefix(p, "data/")
	}
	return "tile/" + p
}

// ParseTilePath is the inverse of TilePath; it refuses every other path.
func ParseTilePath(path string) (tlog.Tile, error) {
	rest, ok := strings.CutPrefix(path, "tile/")
	if !ok {
		return tlog.Tile{}, fmt.Errorf("%w: tile path %q", ErrBadRange, path)
	}
	if n, ok := strings.CutPrefix(rest, "entries/"); ok {
		rest = "data/" + n
	}
	t, err := tlog.ParseTilePath(fmt.Sprintf("tile/%d/%s", TileHeight, rest))
	if err != nil || TilePath(t) != path {
		return tlog.Tile{}, fmt.Errorf("%w: tile path %q", ErrBadRange, path)
	}
	return t, nil
}

// Tiles lists the tiles (hash tiles and entry bundles) that change when the
// log grows from oldSize to newSize entries: what a server publishes after
// a checkpoint.
func Tiles(oldSize, newSize int64) []tlog.Tile {
	var out []tlog.Tile
	for _, t := range tlog.NewTiles(TileHeight, oldSize, newSize) {
		out = append(out, t)
		if t.L == 0 {
			t.L = -1
			out = append(out, t)
		}
	}
	return out
}

// HashTile returns the contents of hash tile t: its hashes, 32 bytes each.
// The tile must lie within the log.
func (l *Log) HashTile(t tlog.Tile) ([]byte, error) {
	if t.H != TileHeight || t.L < 0 || t.W < 1 || t.W > TileWidth {
		return nil, fmt.Errorf("%w: tile %v", ErrBadRange, t)
	}
	if end := (t.N<<TileHeight + int64(t.W)) << (TileHeight * t.L); end > l.size {
		return nil, fmt.Errorf("%w: tile %s needs %d entries, log has %d", ErrSizeBeyondLog, TilePath(t), end, l.size)
	}
	return tlog.ReadTileData(t, l.store)
}

// EntryBundle encodes the entries of one bundle: each as a big-endian
// 16-bit length and its bytes.
func EntryBundle(entries [][]byte) ([]byte, error) {
	if len(entries) > TileWidth {
		return nil, fmt.Errorf("%w: bundle of %d entries", ErrBadRange, len(entries))
	}
	var out []byte
	for i, e := range entries {
		if len(e) > MaxEntrySize {
			return nil, fmt.Errorf("%w: entry %d has %d bytes", ErrEntry, i, len(e))
		}
		out = binary.BigEndian.AppendUint16(out, uint16(len(e)))
		out = append(out, e...)
	}
	return out, nil
}

// ParseEntryBundle splits a bundle into its entries.
func ParseEntryBundle(data []byte) ([][]byte, error) {
	var out [][]byte
	for len(data) > 0 {
		if len(data) < 2 {
			return nil, fmt.Errorf("%w: bundle ends inside a length", ErrEntry)
		}
		n := int(binary.BigEndian.Uint16(data))
		if len(data) < 2+n {
			return nil, fmt.Errorf("%w: bundle entry %d is cut short", ErrEntry, len(out))
		}
		out = append(out, data[2:2+n])
		data = data[2+n:]
		if len(out) > TileWidth {
			return nil, fmt.Errorf("%w: more than %d entries in a bundle", ErrEntry, TileWidth)
		}
	}
	return out, nil
}
