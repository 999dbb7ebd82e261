package web

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"koinon/internal/notify"
	"koinon/internal/store"
)

// notificationsStore is what the notifications handlers need of the store.
type notificationsStore interface {
	MailDelayed(ctx context.Context, citizenID int64) (bool, error)
	MailEnabled() bool
	MarkRead(ctx context.Context, citizenID, id int64) error
	Mute(ctx context.Context, citizenID int64, kind string) error
	Notifications(ctx context.Context, citizenID int64, before int64, limit int) ([]store.Notification, error)
	Prefs(ctx context.Context, citizenID int64) (store.NotificationPrefs, error)
	SetLang(ctx context.Context, citizenID int64, lang string) error
	SetMuted(ctx context.Context, citizenID int64, kinds []string) error
}

// MailTexts formats locale messages for the mail worker.
func (s *Server) MailTexts() notify.Texts {
	return func(lang, key string, args ...any) string { return s.locales.translator(lang)(key, args...) }
}

// notificationView is one notification as the page shows it.
type notificationView struct {
	ID   int64
	Text string
	Link string
	At   time.Time
	Day  bool // dated to the day only
	Read bool
}

// kindSwitch is one mail switch of the settings form.
type kindSwitch struct {
	Kind string
	On   bool
}

type notificationsPage struct {
	Page
	Items    []notificationView
	Unread   int64
	Switches []kindSwitch
	Mail     bool // an SMTP server is configured
	Delayed  bool // a mail to this citizen is overdue
}

func (s *Server) notificationsPage(c echo.Context) error {
	ctx := c.Request().Context()
	me := currentCitizen(c)
	p := s.page(c, "notify.page.title")
	list, err := s.store.Notifications(ctx, me.ID, 0, 100)
	if err != nil {
		return err
	}
	t := s.locales.translator(p.Lang)
	view := notificationsPage{Page: p, Mail: s.store.MailEnabled()}
	for _, n := range list {
		view.Items = append(view.Items, notificationView{ID: n.ID, Text: t(n.Message, n.Args()...), Link: n.Link,
			At: n.CreatedAt, Day: n.Kind == store.KindDelegation, Read: n.ReadAt != nil})
		if n.ReadAt == nil {
			view.Unread++
		}
	}
	prefs, err := s.store.Prefs(ctx, me.ID)
	if err != nil {
		return err
	}
	for _, k := range store.NotificationKinds {
		view.Switches = append(view.Switches, kindSwitch{Kind: k, On: !slices.Contains(prefs.MutedKinds(), k)})
	}
	if view.Mail {
		if view.Delayed, err = s.store.MailDelayed(ctx, me.ID); err != nil {
			return err
		}
	}
	return s.render(c, http.StatusOK, "notifications", view)
}

// markNotificationsRead marks the form's id read, or all when it has none.
func (s *Server) markNotificationsRead(c echo.Context) error {
	var id int64
	if v := c.FormValue("id"); v != "" {
		var err error
		if id, err = strconv.ParseInt(v, 10, 64); err != nil || id <= 0 {
			return errorf(http.StatusBadRequest, "invalid", "id: want a notification number")
		}
	}
	if err := s.store.MarkRead(c.Request().Context(), currentCitizen(c).ID, id); err != nil {
		if store.IsNotFound(err) {
			return errorf(http.StatusNotFound, "not_found", "no such notification")
		}
		return err
	}
	return redirect(c, "/notifications")
}

// saveNotificationSettings stores which kinds are mailed: a checked box
// mail_KIND keeps the kind on.
func (s *Server) saveNotificationSettings(c echo.Context) error {
	var muted []string
	for _, k := range store.NotificationKinds {
		if c.FormValue("mail_"+k) == "" {
			muted = append(muted, k)
		}
	}
	if err := s.store.SetMuted(c.Request().Context(), currentCitizen(c).ID, muted); err != nil {
		return err
	}
	s.flash(c, s.locales.translator(s.lang(c))("notify.settings.saved"))
	return redirect(c, "/notifications")
}

type unsubscribePage struct {
	Page
	Query string // the signed link's query, posted back
	Kind  string
	Done  bool
}

// checkUnsubscribe reads a signed unsubscribe link; a bad one is 400.
func (s *Server) checkUnsubscribe(q url.Values) (int64, string, error) {
	if s.unsub == nil {
		return 0, "", errorf(http.StatusNotFound, "not_found", "mail is not configured")
	}
	id, kind, ok := s.unsub.Check(q)
	if !ok || !slices.Contains(store.NotificationKinds, kind) {
		return 0, "", errorf(http.StatusBadRequest, "unsubscribe_link", "this unsubscribe link is not valid: sign in and change your notification settings instead")
	}
	return id, kind, nil
}

// showUnsubscribe asks to confirm (a mail client that fetches the link
// must not unsubscribe anyone).
func (s *Server) showUnsubscribe(c echo.Context) error {
	_, kind, err := s.checkUnsubscribe(c.QueryParams())
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, "unsubscribe", unsubscribePage{Page: s.page(c, "notify.unsubscribe.title"),
		Query: c.QueryParams().Encode(), Kind: kind})
}

func (s *Server) unsubscribe(c echo.Context) error {
	q, err := url.ParseQuery(c.FormValue("q"))
	if err != nil {
		return errorf(http.StatusBadRequest, "unsubscribe_link", "this unsubscribe link is not valid")
	}
	id, kind, err := s.checkUnsubscribe(q)
	if err != nil {
		return err
	}
	if err := s.store.Mute(c.Request().Context(), id, kind); err != nil {
		return err
	}
	return s.render(c, http.StatusOK, "unsubscribe", unsubscribePage{Page: s.page(c, "notify.unsubscribe.title"), Kind: kind, Done: true})
}

// rememberLang stores the language a signed-in citizen uses, for mail.
func (s *Server) rememberLang(c echo.Context, citizenID int64, lang string) {
	if err := s.store.SetLang(c.Request().Context(), citizenID, lang); err != nil {
		s.log.Error("remember language", "citizen_id", citizenID, "err", err)
	}
}
