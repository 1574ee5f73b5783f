package mcpserver_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gigq-go/gigq"
)

// TestListCutsLargeValues: gigq_list_jobs gives a large params and result
// cut to their first bytes, as a string, and flagged; a small job whole
// and not flagged; gigq_get_job_status and gigq_get_job_result give the
// whole values.
func TestListCutsLargeValues(t *testing.T) {
	t.Parallel()
	b := setup(t)
	text := strings.Repeat("x", 3*gigq.DefaultListValueLimit)
	large := b.submit(t, map[string]any{"function": "echo", "params": map[string]any{"text": text}})
	small := b.submit(t, map[string]any{"function": "echo", "params": map[string]any{"n": 1}})
	b.waitStatus(t, large, "completed")
	b.waitStatus(t, small, "completed")

	type listed struct {
		ID              string          `json:"id"`
		Params          json.RawMessage `json:"params"`
		ParamsTruncated bool            `json:"params_truncated"`
		Result          json.RawMessage `json:"result"`
		ResultTruncated bool            `json:"result_truncated"`
	}
	var list struct {
		Jobs []listed `json:"jobs"`
	}
	b.call(t, "gigq_list_jobs", map[string]any{}, &list)
	require.Len(t, list.Jobs, 2)
	s, l := list.Jobs[0], list.Jobs[1] // newest first
	require.Equal(t, small, s.ID)
	require.JSONEq(t, `{"n":1}`, string(s.Params))
	require.False(t, s.ParamsTruncated || s.ResultTruncated)

	require.Equal(t, large, l.ID)
	require.True(t, l.ParamsTruncated && l.ResultTruncated)
	for _, v := range []json.RawMessage{l.Params, l.Result} {
		var prefix string
		require.NoError(t, json.Unmarshal(v, &prefix), "a cut value is a string: %.60s", v)
		require.Len(t, prefix, gigq.DefaultListValueLimit)
		require.True(t, strings.HasPrefix(`{"text":"`+text, prefix))
	}

	whole := b.status(t, large)
	require.JSONEq(t, `{"text":"`+text+`"}`, string(whole.Params))
	var res struct {
		Result json.RawMessage `json:"result"`
	}
	b.call(t, "gigq_get_job_result", map[string]any{"job_id": large}, &res)
	require.JSONEq(t, `{"text":"`+text+`"}`, string(res.Result))
}
