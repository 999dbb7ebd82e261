package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"koinon/internal/store"
)

type homePage struct {
	Page
	Public []store.CommunitySummary
	Mine   []store.CommunitySummary
}

func (s *Server) home(c echo.Context) error {
	ctx := c.Request().Context()
	p := homePage{Page: s.page(c, "home.title")}
	var err error
	if p.Public, err = s.store.ListCommunities(ctx, 0); err != nil {
		return err
	}
	if p.User != nil {
		if p.Mine, err = s.store.ListCommunities(ctx, p.User.ID); err != nil {
			return err
		}
	}
	return s.render(c, http.StatusOK, "home", p)
}
