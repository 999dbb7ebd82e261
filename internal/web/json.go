package web

import (
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
)

// bindJSON decodes the request's JSON body into v. Unknown fields are
// ignored; a body that is not one JSON value is 400 "malformed"; a field
// of the wrong type is 422 naming the field; a body over the limit is 413;
// a Content-Type other than JSON is 415.
func bindJSON(c echo.Context, v any) error {
	r := c.Request()
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
			return errorf(http.StatusUnsupportedMediaType, "unsupported_media_type", "send the body as application/json")
		}
	}
	dec := json.NewDecoder(r.Body)
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errorf(http.StatusBadRequest, "malformed", "malformed JSON body: one JSON object expected")
	}
	return nil
}

func jsonError(err error) error {
	var ute *json.UnmarshalTypeError
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		return errorf(http.StatusRequestEntityTooLarge, "too_large", "request body too large")
	case errors.As(err, &ute) && ute.Field != "":
		return fieldError(http.StatusUnprocessableEntity, ute.Field, "must be "+jsonKind(ute.Type.Kind().String()))
	case errors.Is(err, io.EOF):
		return errorf(http.StatusBadRequest, "malformed", "malformed JSON body: the body is empty")
	}
	return errorf(http.StatusBadRequest, "malformed", "malformed JSON body")
}

func jsonKind(k string) string {
	switch {
	case strings.HasPrefix(k, "int"), strings.HasPrefix(k, "uint"):
		return "a whole number"
	case strings.HasPrefix(k, "float"):
		return "a number"
	case k == "string":
		return "a string"
	case k == "bool":
		return "true or false"
	case k == "slice", k == "array":
		return "a list"
	}
	return "an object"
}
