package gigq_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/require"

	"github.com/gigq-go/gigq"
)

// TestListCutsLargeValues: Node.List cuts params, result and error longer
// than the limit to a prefix (at a UTF-8 boundary) and flags them; values
// within the limit are whole and not flagged; Status and Result give the
// whole values; ValueLimit changes the limit, a negative one lists whole
// values; and the JSON form of a cut job is valid JSON that reads back.
func TestListCutsLargeValues(t *testing.T) {
	// "é" is two bytes: at offset 1023 it straddles the 1 KiB cut.
	big := `{"text":"` + strings.Repeat("a", 1023-9) + strings.Repeat("é", 1500) + `"}`
	bigErr := strings.Repeat("e", 1023) + strings.Repeat("é", 1500)
	reg := gigq.NewRegistry().
		MustAdd(gigq.NewTask("echo", func(_ context.Context, p json.RawMessage) (json.RawMessage, error) { return p, nil })).
		MustAdd(gigq.NewTask("fail", func(context.Context, json.RawMessage) (json.RawMessage, error) {
			return nil, errors.New(bigErr)
		}))
	n := openNode(t, gigq.Config{Registry: reg, Workers: 1})
	ctx := testCtx(t)
	submit := func(fn, params string) gigq.JobID {
		id, err := n.Submit(ctx, fn, json.RawMessage(params), &gigq.SubmitOpts{MaxAttempts: 1})
		require.NoError(t, err)
		waitJob(t, n, id)
		return id
	}
	small := submit("echo", `{"n":1}`)
	large := submit("echo", big)
	failed := submit("fail", `{}`)

	list, err := n.List(ctx, nil)
	require.NoError(t, err)
	require.Len(t, list, 3)
	byID := map[gigq.JobID]*gigq.Job{}
	for _, j := range list {
		byID[j.ID] = j
	}

	s := byID[small]
	require.JSONEq(t, `{"n":1}`, string(s.Params))
	require.JSONEq(t, `{"n":1}`, string(s.Result))
	require.False(t, s.ParamsTruncated || s.ResultTruncated || s.ErrorTruncated, "a small job is whole")

	l := byID[large]
	require.True(t, l.ParamsTruncated)
	require.True(t, l.ResultTruncated)
	require.False(t, l.ErrorTruncated)
	require.Len(t, l.Params, 1023, "cut back before the é that the 1 KiB cut splits")
	require.True(t, utf8.Valid(l.Params))
	require.True(t, strings.HasPrefix(big, string(l.Params)))
	require.Equal(t, l.Params, l.Result)

	f := byID[failed]
	require.Equal(t, gigq.StatusFailed, f.Status)
	require.True(t, f.ErrorTruncated)
	require.False(t, f.ParamsTruncated || f.ResultTruncated)
	require.Len(t, f.Error, 1023)
	require.True(t, strings.HasPrefix(bigErr, f.Error))

	// The single-job routes give the whole values.
	whole := status(t, n, large)
	require.JSONEq(t, big, string(whole.Params))
	require.JSONEq(t, big, string(whole.Result))
	require.False(t, whole.ParamsTruncated || whole.ResultTruncated)
	res, err := n.Result(ctx, large)
	require.NoError(t, err)
	require.JSONEq(t, big, string(res))
	require.Contains(t, status(t, n, failed).Error, bigErr)

	// ValueLimit: another limit, or whole values.
	list, err = n.List(ctx, &gigq.ListParams{ValueLimit: 5})
	require.NoError(t, err)
	for _, j := range list {
		require.True(t, j.ParamsTruncated || j.ID == failed, "job %s", j.ID)
		require.LessOrEqual(t, len(j.Params), 5)
	}
	list, err = n.List(ctx, &gigq.ListParams{ValueLimit: -1})
	require.NoError(t, err)
	for _, j := range list {
		require.False(t, j.ParamsTruncated || j.ResultTruncated || j.ErrorTruncated, "job %s", j.ID)
		if j.ID == large {
			require.JSONEq(t, big, string(j.Params))
			require.JSONEq(t, big, string(j.Result))
		}
	}

	// JSON: a cut value is a string of its prefix, flagged; it reads back.
	raw, err := json.Marshal(l)
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(raw, &m), "valid JSON: %.200s", raw)
	require.Equal(t, string(l.Params), m["params"])
	require.Equal(t, true, m["params_truncated"])
	require.Equal(t, true, m["result_truncated"])
	require.NotContains(t, m, "error_truncated", "the flags appear only when true")
	var back gigq.Job
	require.NoError(t, json.Unmarshal(raw, &back))
	require.Equal(t, l.Params, back.Params)
	require.Equal(t, l.Result, back.Result)
	require.True(t, back.ParamsTruncated && back.ResultTruncated)
	raw, err = json.Marshal(f)
	require.NoError(t, err)
	require.Contains(t, string(raw), `"error_truncated":true`)
	raw, err = json.Marshal(s)
	require.NoError(t, err)
	require.NotContains(t, string(raw), "truncated")
}
