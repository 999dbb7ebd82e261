package web

import (
	"time"

	"github.com/labstack/echo/v4"
)

// refreshSession renews an expired browser session from the refresh
// cookie. (Filled in with sign-in.)
func (s *Server) refreshSession(c echo.Context) {}

// loginLimiter rate-limits sign-in attempts per handle and per address.
type loginLimiter struct{ now func() time.Time }

func newLoginLimiter(now func() time.Time) *loginLimiter { return &loginLimiter{now: now} }
