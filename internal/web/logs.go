package web

import (
	"context"
	"errors"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"
	"golang.org/x/mod/sumdb/tlog"

	"koinon/internal/clog"
)

// logsStore is what the logs handlers need of the store.
type logsStore interface {
	ConsistencyProof(ctx context.Context, communityID, old, next int64) ([]string, error)
	InclusionProof(ctx context.Context, communityID, index, size int64) ([]string, error)
	LogCheckpoint(ctx context.Context, communityID int64) ([]byte, error)
	LogTile(ctx context.Context, communityID int64, t tlog.Tile) ([]byte, error)
}

// logsOn is 404 when the server keeps no community logs.
func (s *Server) logsOn() error {
	if !s.store.LogsEnabled() {
		return errorf(http.StatusNotFound, "not_found", "this server keeps no community logs")
	}
	return nil
}

// logCheckpoint serves the latest signed checkpoint (C2SP tlog-checkpoint)
// with the witnesses' cosignatures of it.
func (s *Server) logCheckpoint(c echo.Context) error {
	if err := s.logsOn(); err != nil {
		return err
	}
	ctx := c.Request().Context()
	id := routeCommunityOf(c).ID
	signed, err := s.store.LogCheckpoint(ctx, id)
	if err != nil {
		return err
	}
	if signed, _, err = s.withCosignatures(ctx, id, signed); err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.Blob(http.StatusOK, "text/plain; charset=utf-8", signed)
}

// logTile serves a hash tile or an entry bundle (C2SP tlog-tiles); a
// tile beyond the log is 404. Full tiles never change.
func (s *Server) logTile(c echo.Context) error {
	if err := s.logsOn(); err != nil {
		return err
	}
	t, err := clog.ParseTilePath("tile/" + c.Param("*"))
	if err != nil {
		return errorf(http.StatusNotFound, "not_found", "no such tile")
	}
	data, err := s.store.LogTile(c.Request().Context(), routeCommunityOf(c).ID, t)
	if errors.Is(err, clog.ErrBadRange) || errors.Is(err, clog.ErrSizeBeyondLog) {
		return errorf(http.StatusNotFound, "not_found", "the log has no such tile yet")
	}
	if err != nil {
		return err
	}
	if t.W == clog.TileWidth {
		c.Response().Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	}
	return c.Blob(http.StatusOK, "application/octet-stream", data)
}

// apiLogInclusion proves entry ?index in the tree of ?size (default: the
// current size), as hex hashes leaf upward.
func (s *Server) apiLogInclusion(c echo.Context) error {
	if err := s.logsOn(); err != nil {
		return err
	}
	ctx := c.Request().Context()
	cm := routeCommunityOf(c)
	index, err := parseCount("index", c.QueryParam("index"))
	if err != nil {
		return err
	}
	size, err := s.sizeParam(c, "size", c.QueryParam("size"))
	if err != nil {
		return err
	}
	p, err := s.store.InclusionProof(ctx, cm.ID, index, size)
	if err != nil {
		return proofError(err)
	}
	return c.JSON(http.StatusOK, map[string]any{"index": index, "size": size, "proof": p})
}

// apiLogConsistency proves the tree of ?old a prefix of the tree of ?new
// (default: the current size). A size the log never had is 400.
func (s *Server) apiLogConsistency(c echo.Context) error {
	if err := s.logsOn(); err != nil {
		return err
	}
	ctx := c.Request().Context()
	cm := routeCommunityOf(c)
	old, err := parseCount("old", c.QueryParam("old"))
	if err != nil {
		return err
	}
	next, err := s.sizeParam(c, "new", c.QueryParam("new"))
	if err != nil {
		return err
	}
	p, err := s.store.ConsistencyProof(ctx, cm.ID, old, next)
	if err != nil {
		return proofError(err)
	}
	return c.JSON(http.StatusOK, map[string]any{"old": old, "new": next, "proof": p})
}

// sizeParam reads a tree size, the log's current size when absent.
func (s *Server) sizeParam(c echo.Context, name, v string) (int64, error) {
	if v != "" {
		return parseCount(name, v)
	}
	info, err := s.store.Log(c.Request().Context(), routeCommunityOf(c).ID)
	return info.Size, err
}

// parseCount reads a required non-negative integer query parameter (400
// when it is not one).
func parseCount(name, v string) (int64, error) {
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return 0, fieldError(http.StatusBadRequest, name, "must be a whole number ≥ 0")
	}
	return n, nil
}

// proofError maps a request for sizes or indexes the log never had to 400.
func proofError(err error) error {
	if errors.Is(err, clog.ErrSizeBeyondLog) || errors.Is(err, clog.ErrBadRange) {
		return &httpError{Status: http.StatusBadRequest, Code: "bad_range", Message: err.Error()}
	}
	return err
}
