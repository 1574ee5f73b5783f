package taskrun

import (
	"encoding/json"
	"fmt"
)

// EncodeParams encodes a job's params and checks that they are a JSON
// object: a struct, a map, json.RawMessage or []byte holding an object, or
// nil for {}.
func EncodeParams(params any) (json.RawMessage, error) {
	var raw []byte
	switch p := params.(type) {
	case nil:
		return json.RawMessage("{}"), nil
	case json.RawMessage:
		raw = p
	case []byte:
		raw = p
	default:
		b, err := json.Marshal(p)
		if err != nil {
			return nil, fmt.Errorf("gigq: encode params: %w", err)
		}
		raw = b
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil || obj == nil {
		return nil, fmt.Errorf("gigq: params must be a JSON object, got %.40s", string(raw))
	}
	return json.RawMessage(raw), nil
}
