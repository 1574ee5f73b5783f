package handlers

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/gigq-go/gigq"
)

// param describes one param of a handler for error messages: its JSON
// name and what its value must be.
type param struct {
	name string
	want string
}

// decodeParams decodes a job's params (a JSON object) into v strictly: an
// unknown param or a value of the wrong type is an error that names the
// param, says what it must be, and lists the params the task takes. The
// error fails the job for good (gigq.SkipRetry): the same params will not
// decode on another attempt.
func decodeParams(task string, params []param, b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil {
		return nil
	}
	return gigq.SkipRetry(paramsError(task, params, err))
}

// paramsError says what is wrong with params that did not decode (err).
func paramsError(task string, params []param, err error) error {
	names := make([]string, len(params))
	for i, p := range params {
		names[i] = p.name
	}
	known := strings.Join(names, ", ")
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) && te.Field != "" {
		top, _, _ := strings.Cut(te.Field, ".")
		if i := slices.IndexFunc(params, func(p param) bool { return p.name == top }); i >= 0 {
			return fmt.Errorf("%s: param %q must be %s, not a JSON %s", task, top, params[i].want, te.Value)
		}
	}
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return fmt.Errorf("%s: unknown param %s: the params are %s", task, name, known)
	}
	if errors.As(err, &te) {
		return fmt.Errorf("%s: params must be a JSON object with %s, not a JSON %s", task, known, te.Value)
	}
	return fmt.Errorf("%s: params must be a JSON object with %s: %w", task, known, err)
}

// requireParam is the error for a missing required param.
func requireParam(task string, p param) error {
	return fmt.Errorf("%s: param %q is required: %s", task, p.name, p.want)
}
