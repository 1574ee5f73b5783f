package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/gigq-go/gigq"
)

// apiError is an error with its HTTP status and, for bad input, the
// request field it is about.
type apiError struct {
	status int
	field  string
	msg    string
}

func (e *apiError) Error() string { return e.msg }

// errorf returns an error answered with status, about field ("" for
// none).
func errorf(status int, field, format string, args ...any) error {
	return &apiError{status: status, field: field, msg: fmt.Sprintf(format, args...)}
}

// badField returns a 400 about one field of the request.
func badField(field, format string, args ...any) error {
	return errorf(http.StatusBadRequest, field, "invalid %q: %s", field, fmt.Sprintf(format, args...))
}

// errorBody is the JSON of every error answer.
type errorBody struct {
	Error string `json:"error"`
	Field string `json:"field,omitempty"`
}

// fail answers err with its status (statusOf) as {"error": ...}. Server
// errors are logged; their text still goes to the client, which is
// trusted as far as the token allows.
func (s *server) fail(w http.ResponseWriter, r *http.Request, err error) {
	status, field := statusOf(err)
	if status >= 500 {
		s.log.Error().Err(err).Str("method", r.Method).Str("path", r.URL.Path).Int("status", status).Msg("request failed")
	}
	s.reply(w, status, errorBody{Error: strings.TrimPrefix(err.Error(), "gigq: "), Field: field})
}

// statusOf maps an error to its HTTP status and field.
func statusOf(err error) (int, string) {
	var ae *apiError
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &ae):
		return ae.status, ae.field
	case errors.As(err, &mbe):
		return http.StatusRequestEntityTooLarge, ""
	case errors.Is(err, gigq.ErrNotFound):
		return http.StatusNotFound, ""
	case errors.Is(err, gigq.ErrInvalidTransition):
		return http.StatusConflict, ""
	case errors.Is(err, gigq.ErrInvalidWorkflow):
		return http.StatusBadRequest, ""
	case errors.Is(err, gigq.ErrUnknownDependency):
		return http.StatusBadRequest, "depends_on"
	case errors.Is(err, gigq.ErrClosed), errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return http.StatusServiceUnavailable, ""
	case errors.Is(err, gigq.ErrCorrupt):
		return http.StatusServiceUnavailable, ""
	case errors.Is(err, gigq.ErrFull):
		return http.StatusInsufficientStorage, ""
	}
	return http.StatusInternalServerError, ""
}

// reply writes v as JSON with status.
func (s *server) reply(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		s.log.Debug().Err(err).Msg("writing the response failed")
	}
}
