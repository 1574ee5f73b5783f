package web

import (
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"slices"
	"strings"
)

// readBody reads the request body, at most Options.MaxBody bytes, after
// checking that its Content-Type is one of types (an empty Content-Type
// passes). A bigger body gives 413, another type 415.
func (s *server) readBody(w http.ResponseWriter, r *http.Request, types ...string) ([]byte, error) {
	if h := r.Header.Get("Content-Type"); h != "" {
		mt, _, err := mime.ParseMediaType(h)
		if err != nil || !slices.Contains(types, mt) {
			return nil, errorf(http.StatusUnsupportedMediaType, "", "Content-Type %q is not accepted here: use %s",
				h, strings.Join(types, " or "))
		}
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

// decodeJSON reads a JSON request body into v. Unknown fields and values
// of the wrong type are 400s that name the field.
func (s *server) decodeJSON(w http.ResponseWriter, r *http.Request, v any) error {
	body, err := s.readBody(w, r, "application/json")
	if err != nil {
		return err
	}
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.DisallowUnknownFields()
	err = dec.Decode(v)
	var typeErr *json.UnmarshalTypeError
	switch {
	case err == nil:
		if dec.More() {
			return errorf(http.StatusBadRequest, "", "the request body holds more than one JSON value: send one object")
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
