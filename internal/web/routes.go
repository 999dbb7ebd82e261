package web

import (
	"net"
	"net/http"
	"net/url"

	"github.com/labstack/echo/v4"
)

// routes registers every route. Each table names the permission a route
// needs (authz.go); the people and ballot tables live beside their
// handlers.
func (s *Server) routes() {
	e := s.echo
	e.GET("/healthz", s.healthz)
	e.GET("/metrics", s.metricsPage)
	e.GET("/", s.home)
	e.GET("/static/*", s.staticFiles)
	e.GET("/lang/:lang", s.setLang)
	s.peopleRoutes()
	s.ballotRoutes()
	s.resultRoutes()
	s.logRoutes()
}

func (s *Server) staticFiles(c echo.Context) error {
	c.Response().Header().Set("Cache-Control", "public, max-age=300")
	return echo.WrapHandler(http.StripPrefix("/static/", http.FileServerFS(s.static)))(c)
}

func (s *Server) healthz(c echo.Context) error {
	if err := s.store.Ping(c.Request().Context()); err != nil {
		return c.JSON(http.StatusServiceUnavailable, map[string]string{"status": "database unavailable"})
	}
	return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
}

// setLang stores the language choice from the footer switch.
func (s *Server) setLang(c echo.Context) error {
	lang := c.Param("lang")
	if _, ok := s.locales.texts[lang]; !ok {
		return errorf(http.StatusNotFound, "not_found", "unknown language")
	}
	s.setCookie(c, "lang", lang, s.now().AddDate(1, 0, 0))
	back := "/"
	if u, err := url.Parse(c.Request().Referer()); err == nil {
		back = safeNext(u.Path) // only the path, and never one that leaves the site
	}
	return redirect(c, back)
}

// metricsPage serves Prometheus metrics to scrapers on this machine only
// (a scraper elsewhere goes through a proxy that the operator controls).
func (s *Server) metricsPage(c echo.Context) error {
	if ip := net.ParseIP(c.RealIP()); ip == nil || !ip.IsLoopback() {
		return errorf(http.StatusNotFound, "not_found", "not found")
	}
	return echo.WrapHandler(s.metrics.Handler())(c)
}
