package web

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"koinon/internal/domain"
	"koinon/internal/store"
)

// topicsStore is what the topics handlers need of the store.
type topicsStore interface {
	CreateTopic(ctx context.Context, t *store.Topic) error
}

type topicJSON struct {
	Slug string `json:"slug"`
	Name string `json:"name"`
}

func toTopicsJSON(ts []store.Topic) []topicJSON {
	out := make([]topicJSON, len(ts))
	for i, t := range ts {
		out[i] = topicJSON{Slug: t.Slug, Name: t.Name}
	}
	return out
}

// createTopic checks and stores a topic of the route's community; a taken
// slug is 409 on "slug".
func (s *Server) createTopic(c echo.Context, slug, name string) (store.Topic, error) {
	t := store.Topic{CommunityID: routeCommunityOf(c).ID, Slug: strings.ToLower(strings.TrimSpace(slug)), Name: strings.TrimSpace(name)}
	if err := domain.CheckSlug("slug", t.Slug); err != nil {
		return t, err
	}
	if err := domain.CheckLine("name", t.Name, true, domain.MaxName); err != nil {
		return t, err
	}
	err := s.store.CreateTopic(c.Request().Context(), &t)
	if errors.Is(err, store.ErrConflict) {
		return t, &httpError{Status: http.StatusConflict, Code: "taken", Field: "slug", Message: "slug: this community already has that topic"}
	}
	return t, err
}

// POST /api/v1/communities/:slug/topics {slug, name}
func (s *Server) apiCreateTopic(c echo.Context) error {
	var r topicJSON
	if err := bindJSON(c, &r); err != nil {
		return err
	}
	t, err := s.createTopic(c, r.Slug, r.Name)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, map[string]any{"topic": topicJSON{Slug: t.Slug, Name: t.Name}})
}

// GET /api/v1/communities/:slug/topics
func (s *Server) apiListTopics(c echo.Context) error {
	ts, err := s.store.Topics(c.Request().Context(), routeCommunityOf(c).ID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"topics": toTopicsJSON(ts)})
}

// POST /communities/:slug/topics (board form on the community page).
func (s *Server) createTopicPage(c echo.Context) error {
	_, err := s.createTopic(c, c.FormValue("topic_slug"), c.FormValue("topic_name"))
	if err != nil {
		errs := fieldErrors{}
		if !errs.add(s.errorWords(c), err) {
			return err
		}
		// The form's fields are named topic_*: the community page has others.
		for _, f := range []string{"slug", "name"} {
			if m, ok := errs[f]; ok {
				errs["topic_"+f] = m
				delete(errs, f)
			}
		}
		return s.renderCommunity(c, formStatus(err), map[string]string{"topic_slug": c.FormValue("topic_slug"), "topic_name": c.FormValue("topic_name")}, errs)
	}
	s.flash(c, s.tr(c, "topics.created"))
	return redirect(c, "/communities/"+routeCommunityOf(c).Slug+"#topics")
}
