package web

import (
	"errors"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"koinon/internal/domain"
)

// formPage is the view model of the simple people forms (sign up, sign
// in, accept an invitation): the values typed so far, one error per field
// and an error about the whole form.
type formPage struct {
	Page
	Values  map[string]string
	Errors  map[string]string
	Problem string // a form-wide error message
	Next    string
	Action  string
	Handle  string // whose account (invitations)
}

// fieldErrors collects field errors for re-rendering a form.
type fieldErrors map[string]string

// add records err, worded by words (Server.errorWords), against its field
// when it is a field error and reports whether it was one; other errors
// are left to the caller.
func (f fieldErrors) add(words func(error) string, err error) bool {
	var inv *domain.Invalid
	var he *httpError
	switch {
	case err == nil:
		return false
	case errors.As(err, &inv):
		if _, dup := f[inv.Field]; !dup {
			f[inv.Field] = words(err)
		}
		return true
	case errors.As(err, &he) && he.Field != "":
		if _, dup := f[he.Field]; !dup {
			f[he.Field] = words(err)
		}
		return true
	}
	return false
}

// first returns the first of errs (for the API, which names one field).
func first(errs []error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// safeNext keeps a post-sign-in redirect on this site.
func safeNext(next string) string {
	if next == "" || next[0] != '/' || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") || strings.ContainsAny(next, "\r\n") {
		return "/"
	}
	return next
}

// formStatus is 422 for field errors, else the error's own status.
func formStatus(err error) int {
	if he, _ := classify(err); he.Status != http.StatusInternalServerError {
		return he.Status
	}
	return http.StatusUnprocessableEntity
}

// isPageError reports whether err should be shown on the form rather than
// handled as a failure of the request.
func isPageError(err error) bool {
	he, internal := classify(err)
	return !internal && he.Status >= 400 && he.Status < 500
}

func formValues(c echo.Context, names ...string) map[string]string {
	out := map[string]string{}
	for _, n := range names {
		out[n] = c.FormValue(n)
	}
	return out
}
