package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"slices"
	"strings"
)

// readBody reads the request body, at most Options.MaxBody bytes, after
// checking that its Content-Type is one of types (parameters such as
// charset allowed). A bigger body gives 413; a missing Content-Type or
// another type 415, before anything is read. Requiring the type keeps
// out the bodies a page on another site can send without a CORS
// preflight (text/plain, forms), besides CrossOriginProtection.
func (s *server) readBody(w http.ResponseWriter, r *http.Request, types ...string) ([]byte, error) {
	h := r.Header.Get("Content-Type")
	if h == "" {
		return nil, errorf(http.StatusUnsupportedMediaType, "", "the request has no Content-Type: send the header %s", wantType(types))
	}
	mt, _, err := mime.ParseMediaType(h)
	if err != nil || !slices.Contains(types, mt) {
		return nil, errorf(http.StatusUnsupportedMediaType, "", "Content-Type %q is not accepted here: use %s",
			h, strings.Join(types, " or "))
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.opts.MaxBody))
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return nil, errorf(http.StatusRequestEntityTooLarge, "",
			"the request body is over the limit of %d bytes: store large data elsewhere and pass a reference", mbe.Limit)
	}
	if err != nil {
		return nil, errorf(http.StatusBadRequest, "", "reading the request body: %v", err)
	}
	return body, nil
}

// wantType names the Content-Type header a body should have: the first of
// types, and the others it may be instead.
func wantType(types []string) string {
	want := fmt.Sprintf("%q", "Content-Type: "+types[0])
	if len(types) > 1 {
		want += " (or " + strings.Join(types[1:], ", ") + ")"
	}
	return want
}

// unmarshalBody decodes a JSON request body into v. Unknown fields and
// values of the wrong type are 400s that name the field.
func unmarshalBody(body []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	var typeErr *json.UnmarshalTypeError
	switch {
	case err == nil:
		// Anything after the object (a second value, a stray } or ]) is
		// refused: Token gives io.EOF only at the end of the body.
		if _, err := dec.Token(); !errors.Is(err, io.EOF) {
			return errorf(http.StatusBadRequest, "", "the request body holds more than one JSON value, or characters after it: send one object")
		}
		return nil
	case errors.Is(err, io.EOF):
		return errorf(http.StatusBadRequest, "", "the request body is empty: send a JSON object")
	case errors.As(err, &typeErr) && typeErr.Field != "":
		return badField(typeErr.Field, "want a JSON %s, got %s", jsonKind(typeErr.Type.Kind().String()), typeErr.Value)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		field := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return errorf(http.StatusBadRequest, field, "unknown field %q", field)
	}
	return errorf(http.StatusBadRequest, "", "the request body is not valid JSON: %v", err)
}

// jsonKind names a Go kind the way a JSON user knows it.
func jsonKind(kind string) string {
	switch {
	case strings.HasPrefix(kind, "int"), strings.HasPrefix(kind, "uint"), strings.HasPrefix(kind, "float"):
		return "number"
	case kind == "slice", kind == "array":
		return "array"
	case kind == "map", kind == "struct":
		return "object"
	case kind == "bool":
		return "boolean"
	}
	return kind
}

// pathID returns the {id} of the request's path.
func pathID(r *http.Request) string { return r.PathValue("id") }

// notFound says which job or workflow does not exist.
func notFound(what, id string) error {
	return errorf(http.StatusNotFound, "", "%s %s not found", what, id)
}
