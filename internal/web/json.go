package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"
)

// bindJSON decodes the request's JSON body into v. Unknown fields are
// ignored; a body that is not one JSON value, not valid UTF-8 or has an
// object with a key twice is 400 "malformed" (as proofs, proof.md); a field
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
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return jsonError(err)
	}
	if !utf8.Valid(body) {
		return errorf(http.StatusBadRequest, "malformed", "malformed JSON body: not valid UTF-8")
	}
	if key, dup := duplicateKey(body); dup {
		return fieldError(http.StatusBadRequest, key, "is given twice in one object")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
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

// duplicateKey finds the first object key given twice in one object of a
// JSON text (encoding/json would keep the last). Syntax errors are left to
// the decoder.
func duplicateKey(body []byte) (string, bool) {
	dec := json.NewDecoder(bytes.NewReader(body))
	type frame struct {
		keys   map[string]bool
		object bool
		expect bool // the next string token is a key
	}
	var stack []frame
	for {
		tok, err := dec.Token()
		if err != nil {
			return "", false
		}
		top := len(stack) - 1
		if top >= 0 && stack[top].object && stack[top].expect {
			if k, ok := tok.(string); ok {
				if stack[top].keys[k] {
					return k, true
				}
				stack[top].keys[k], stack[top].expect = true, false
				continue
			}
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, frame{keys: map[string]bool{}, object: true, expect: true})
			continue
		case json.Delim('['):
			stack = append(stack, frame{})
			continue
		case json.Delim('}'), json.Delim(']'):
			stack = stack[:top]
		}
		if n := len(stack) - 1; n >= 0 && stack[n].object {
			stack[n].expect = true // a value ended: a key comes next
		}
	}
}

// formParams reads the request's form; a body that cannot be read as one
// is a 400 (or the status echo gave, such as 413).
func formParams(c echo.Context) (url.Values, error) {
	form, err := c.FormParams()
	var he *echo.HTTPError
	switch {
	case err == nil:
		return form, nil
	case errors.As(err, &he):
		return nil, err
	}
	return nil, errorf(http.StatusBadRequest, "malformed", "the form cannot be read")
}
