package web

import (
	"context"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"koinon/internal/store"
)

// offersStore is what the offers handlers need of the store.
type offersStore interface {
	AcceptBoardOffer(ctx context.Context, communityID, citizenID int64) (store.Membership, error)
	DeclineBoardOffer(ctx context.Context, communityID, citizenID int64) error
}

// Board seats are offered, not imposed: a board member who adds someone
// to the board makes an offer (store.ChangeRole), shown on the roll with
// the role "offered", and the seat is theirs only when they accept it on
// their profile page or through the API.

// roleOffered is the role the roll shows for a board seat not yet accepted.
const roleOffered = "offered"

type offerJSON struct {
	Community   string    `json:"community"`
	Name        string    `json:"name"`
	Handle      string    `json:"handle"`
	DisplayName string    `json:"display_name"`
	Role        string    `json:"role"` // always "offered"
	Weight      int64     `json:"weight"`
	Since       time.Time `json:"since"`
}

func toOffersJSON(os []store.OfferedSeat) []offerJSON {
	out := make([]offerJSON, len(os))
	for i, o := range os {
		out[i] = offerJSON{Community: o.Slug, Name: o.Name, Handle: o.Handle, DisplayName: o.DisplayName,
			Role: roleOffered, Weight: o.Weight, Since: o.CreatedAt.UTC()}
	}
	return out
}

// answerOffer accepts or declines the caller's board offer in the
// community named by :community. No such community or offer: 404.
func (s *Server) answerOffer(c echo.Context, accept bool) (store.Community, store.Membership, error) {
	ctx := c.Request().Context()
	cm, err := s.store.CommunityBySlug(ctx, c.Param("community"))
	if err != nil {
		return cm, store.Membership{}, err
	}
	me := currentCitizen(c).ID
	if accept {
		m, err := s.store.AcceptBoardOffer(ctx, cm.ID, me)
		return cm, m, err
	}
	return cm, store.Membership{}, s.store.DeclineBoardOffer(ctx, cm.ID, me)
}

// POST /api/v1/me/board-offers/:community/accept: 200 {member}.
func (s *Server) apiAcceptOffer(c echo.Context) error {
	_, m, err := s.answerOffer(c, true)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"member": memberJSON{Handle: currentCitizen(c).Handle,
		DisplayName: currentCitizen(c).DisplayName, Role: m.Role, Weight: m.Weight, Since: m.StartedAt.UTC()}})
}

// POST /api/v1/me/board-offers/:community/decline: 204.
func (s *Server) apiDeclineOffer(c echo.Context) error {
	if _, _, err := s.answerOffer(c, false); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// POST /profile/board-offers/:community/accept
func (s *Server) acceptOfferPage(c echo.Context) error { return s.answerOfferPage(c, true) }

// POST /profile/board-offers/:community/decline
func (s *Server) declineOfferPage(c echo.Context) error { return s.answerOfferPage(c, false) }

func (s *Server) answerOfferPage(c echo.Context, accept bool) error {
	cm, _, err := s.answerOffer(c, accept)
	if err != nil {
		return err
	}
	key := "offer.declined"
	if accept {
		key = "offer.accepted"
	}
	s.flash(c, s.tr(c, key, cm.Name))
	return redirect(c, "/profile")
}
