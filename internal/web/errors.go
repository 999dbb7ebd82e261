package web

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"koinon/internal/domain"
	"koinon/internal/store"
)

// apiError is the body of every API error (api.md).
type apiError struct {
	Error     apiErrorBody `json:"error"`
	RequestID string       `json:"request_id,omitempty"`
}

type apiErrorBody struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
}

// httpError is an error with its status, code and optional field.
type httpError struct {
	Status  int
	Code    string
	Message string
	Field   string
}

func (e *httpError) Error() string { return e.Message }

func errorf(status int, code, message string) error {
	return &httpError{Status: status, Code: code, Message: message}
}

func fieldError(status int, field, message string) error {
	return &httpError{Status: status, Code: "invalid", Field: field, Message: field + ": " + message}
}

// classify maps any error to status, code, message and field. Internal
// errors keep their text out of the response.
func classify(err error) (*httpError, bool) {
	var he *httpError
	var inv *domain.Invalid
	var se *domain.StateError
	var ee *echo.HTTPError
	var mbe *http.MaxBytesError
	var se2 *json.SyntaxError
	var ute *json.UnmarshalTypeError
	switch {
	case errors.As(err, &he):
		return he, false
	case errors.As(err, &inv):
		return &httpError{Status: http.StatusUnprocessableEntity, Code: "invalid", Field: inv.Field, Message: inv.Error()}, false
	case errors.As(err, &se):
		return &httpError{Status: http.StatusConflict, Code: se.Code, Message: se.Message}, false
	case errors.As(err, &mbe):
		return &httpError{Status: http.StatusRequestEntityTooLarge, Code: "too_large", Message: "request body too large"}, false
	case errors.As(err, &se2), errors.As(err, &ute), errors.Is(err, io.ErrUnexpectedEOF):
		return &httpError{Status: http.StatusBadRequest, Code: "malformed", Message: "malformed JSON body"}, false
	case errors.Is(err, domain.ErrForbidden):
		return &httpError{Status: http.StatusForbidden, Code: "forbidden", Message: "you are not allowed to do this"}, false
	case errors.Is(err, store.ErrNotFound), errors.Is(err, domain.ErrNotFound):
		return &httpError{Status: http.StatusNotFound, Code: "not_found", Message: "not found"}, false
	case errors.Is(err, store.ErrConflict):
		return &httpError{Status: http.StatusConflict, Code: "conflict", Message: "already exists"}, false
	case errors.Is(err, domain.ErrState):
		return &httpError{Status: http.StatusConflict, Code: "wrong_state", Message: err.Error()}, false
	case errors.As(err, &ee):
		msg, _ := ee.Message.(string)
		if msg == "" {
			msg = http.StatusText(ee.Code)
		}
		code := strings.ToLower(strings.ReplaceAll(http.StatusText(ee.Code), " ", "_"))
		if ee.Code == http.StatusRequestEntityTooLarge {
			code = "too_large"
		}
		return &httpError{Status: ee.Code, Code: code, Message: msg}, ee.Code >= 500
	}
	return &httpError{Status: http.StatusInternalServerError, Code: "internal", Message: "internal error"}, true
}

// isAPI reports whether the request wants JSON errors.
func isAPI(c echo.Context) bool {
	p := c.Request().URL.Path
	return strings.HasPrefix(p, "/api/") || strings.HasPrefix(p, "/.well-known/") || wantsJSON(c)
}

type errorPage struct {
	Page
	Status  int
	Message string
}

// handleError is echo's HTTPErrorHandler: one place maps errors to
// responses, and logs internal ones once.
func (s *Server) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	he, internal := classify(err)
	rid := requestID(c)
	if internal {
		s.log.Error("request failed", "request_id", rid, "method", c.Request().Method, "path", c.Request().URL.Path, "err", err)
	}
	if he.Status == http.StatusTooManyRequests && c.Response().Header().Get("Retry-After") == "" {
		c.Response().Header().Set("Retry-After", "60")
	}
	if isAPI(c) || c.Request().Method == http.MethodHead {
		if c.Request().Method == http.MethodHead {
			c.NoContent(he.Status)
			return
		}
		c.JSON(he.Status, apiError{Error: apiErrorBody{Code: he.Code, Message: he.Message, Field: he.Field}, RequestID: rid})
		return
	}
	msg := s.locales.errorText(s.lang(c), err)
	if he.Field != "" {
		msg = he.Field + ": " + msg // a page without the form: say which field
	}
	page := errorPage{Page: s.page(c, "error.title"), Status: he.Status, Message: msg}
	if rerr := s.render(c, he.Status, "errors/error", page); rerr != nil {
		s.log.Error("render error page", "request_id", rid, "err", rerr)
		c.String(he.Status, http.StatusText(he.Status))
	}
}

// errorText words err for a page in lang: a broken validation rule by its
// name (invalid.RULE with its arguments); any other refusal in English by
// its message, in another language by its code (error.code.CODE, else
// the generic error.code.status).
func (l *locales) errorText(lang string, err error) string {
	tr := l.translator(lang)
	var inv *domain.Invalid
	if errors.As(err, &inv) && inv.Rule != "" {
		return tr("invalid."+inv.Rule, inv.Args...)
	}
	he, _ := classify(err)
	if lang == defaultLang {
		if he.Field != "" {
			return strings.TrimPrefix(he.Message, he.Field+": ")
		}
		return he.Message
	}
	if key := "error.code." + he.Code; l.has(lang, key) {
		return tr(key)
	}
	return tr("error.code.status", he.Status)
}

// errorWords returns errorText in the request's language.
func (s *Server) errorWords(c echo.Context) func(error) string {
	lang := s.lang(c)
	return func(err error) string { return s.locales.errorText(lang, err) }
}
