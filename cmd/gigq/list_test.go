package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gigq-go/gigq"
)

// TestListJSONCutsLargeValues: gigq list --json prints a large params and
// result cut to their first bytes, as a string, and flagged, a small job
// whole and not flagged, as one line of JSON; gigq status --json prints
// the whole job.
func TestListJSONCutsLargeValues(t *testing.T) {
	t.Parallel()
	db := newDB(t)
	text := strings.Repeat("x", 3*gigq.DefaultListValueLimit)
	large := submit(t, db, "echo", "-p", "text="+text)
	small := submit(t, db, "echo", "-p", "n=1")
	workOnce(t, db)

	out := gigqOK(t, db, "list", "--json")
	require.Equal(t, 1, strings.Count(out, "\n"), "one line")
	var jobs []map[string]json.RawMessage
	require.NoError(t, json.Unmarshal([]byte(out), &jobs), out)
	require.Len(t, jobs, 2)
	s, l := jobs[0], jobs[1] // newest first
	require.Equal(t, `"`+string(small)+`"`, string(s["id"]))
	require.NotContains(t, s, "params_truncated")
	require.NotContains(t, s, "result_truncated")
	require.JSONEq(t, `{"n":1}`, string(s["params"]))

	require.Equal(t, `"`+string(large)+`"`, string(l["id"]))
	require.Equal(t, "true", string(l["params_truncated"]))
	require.Equal(t, "true", string(l["result_truncated"]))
	var prefix string
	require.NoError(t, json.Unmarshal(l["params"], &prefix), "a cut value is a string")
	require.Len(t, prefix, gigq.DefaultListValueLimit)
	require.True(t, strings.HasPrefix(`{"text":"`+text, prefix), prefix)
	require.NoError(t, json.Unmarshal(l["result"], &prefix))
	require.Len(t, prefix, gigq.DefaultListValueLimit)

	var whole map[string]json.RawMessage
	require.NoError(t, json.Unmarshal([]byte(gigqOK(t, db, "status", string(large), "--json")), &whole))
	require.JSONEq(t, `{"text":"`+text+`"}`, string(whole["params"]))
	require.NotContains(t, whole, "params_truncated")
}
