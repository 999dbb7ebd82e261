package web

import (
	"context"
	"net/url"
	"time"

	"github.com/labstack/echo/v4"
)

// pageStore is what the page handlers need of the store.
type pageStore interface {
	UnreadCount(ctx context.Context, citizenID int64) (int64, error)
}

// Page is what every page's view model embeds: the layout's needs.
type Page struct {
	TitleKey  string // i18n key of the page title
	Title     string // literal title (e.g. a ballot's), shown instead when set
	User      *UserView
	CSRF      string
	Flash     string
	FlashKind string
	Lang      string
	Langs     []string
	RequestID string
	Path      string
	Unread    int64 // the signed-in citizen's unread notifications (the bell)
	// OIDC and PasswordSignin: the ways to sign in this instance offers.
	OIDC, PasswordSignin bool
}

// UserView is the signed-in citizen as pages show it.
type UserView struct {
	ID          int64
	Handle      string
	DisplayName string
}

// page fills the layout fields once for every handler.
func (s *Server) page(c echo.Context, titleKey string) Page {
	p := Page{
		TitleKey:       titleKey,
		Lang:           s.lang(c),
		Langs:          s.locales.Langs(),
		RequestID:      requestID(c),
		Path:           c.Request().URL.Path,
		OIDC:           s.oidc != nil,
		PasswordSignin: s.passwordSignin,
	}
	p.CSRF, _ = c.Get(ctxCSRF).(string)
	if ct := currentCitizen(c); ct != nil {
		p.User = &UserView{ID: ct.ID, Handle: ct.Handle, DisplayName: ct.DisplayName}
		p.Unread, _ = s.store.UnreadCount(c.Request().Context(), ct.ID) // the bell is not worth failing a page for
	}
	if ck, err := c.Cookie("flash"); err == nil && ck.Value != "" {
		if v, err := url.QueryUnescape(ck.Value); err == nil {
			p.Flash, p.FlashKind = v, "ok"
			if len(v) > 1 && v[0] == '!' {
				p.Flash, p.FlashKind = v[1:], "error"
			}
		}
		s.clearCookie(c, "flash")
	}
	return p
}

// flash sets a one-shot message for the next page; a leading '!' marks an
// error.
func (s *Server) flash(c echo.Context, msg string) {
	s.setCookie(c, "flash", url.QueryEscape(msg), s.now().Add(5*time.Minute))
}

// redirect answers a form post with 303 See Other (post/redirect/get).
func redirect(c echo.Context, to string) error { return c.Redirect(303, to) }
