package handlers_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gigq-go/gigq"
	"github.com/gigq-go/gigq/handlers"
)

func TestExecParams(t *testing.T) {
	t.Parallel()
	var a handlers.ExecArgs
	require.NoError(t, json.Unmarshal([]byte(`{"argv":["ls","-l"],"env":{"A":"1"},"dir":"/tmp","stdin":"x"}`), &a))
	require.Equal(t, handlers.ExecArgs{Argv: []string{"ls", "-l"}, Env: map[string]string{"A": "1"}, Dir: "/tmp", Stdin: "x"}, a)
	require.NoError(t, json.Unmarshal([]byte(`null`), &a))

	for _, tc := range []struct{ in, want string }{
		{`{"argv":"ls -l"}`, `exec: param "argv" must be a non-empty list of strings, the program and its arguments, e.g. ["echo", "hello"], not a JSON string`},
		{`{"argv":["ls",1]}`, `param "argv" must be a non-empty list of strings`},
		{`{"env":{"A":1}}`, `param "env" must be an object of variable names to string values`},
		{`{"env":["A=1"]}`, `param "env" must be an object`},
		{`{"dir":3}`, `param "dir" must be a string`},
		{`{"args":["ls"]}`, `exec: unknown param "args": the params are argv, env, dir, stdin`},
		{`["ls"]`, `exec: params must be a JSON object with argv, env, dir, stdin, not a JSON array`},
	} {
		var a handlers.ExecArgs
		require.ErrorContains(t, json.Unmarshal([]byte(tc.in), &a), tc.want, tc.in)
	}
}

func TestHTTPParams(t *testing.T) {
	t.Parallel()
	var a handlers.HTTPArgs
	require.NoError(t, json.Unmarshal([]byte(`{"method":"POST","url":"http://x","headers":{"A":"1"},"body":"b","expect_status":[200,404]}`), &a))
	require.Equal(t, handlers.HTTPArgs{Method: "POST", URL: "http://x", Headers: map[string]string{"A": "1"}, Body: "b", ExpectStatus: []int{200, 404}}, a)

	for _, tc := range []struct{ in, want string }{
		{`{"url":5}`, `http: param "url" must be a string, an http or https URL`},
		{`{"expect_status":200}`, `param "expect_status" must be a list of status codes, e.g. [200, 404]`},
		{`{"expect_status":["200"]}`, `param "expect_status" must be a list of status codes`},
		{`{"headers":{"A":["1"]}}`, `param "headers" must be an object of header names to string values`},
		{`{"uri":"http://x"}`, `http: unknown param "uri": the params are method, url, headers, body, expect_status`},
	} {
		var a handlers.HTTPArgs
		require.ErrorContains(t, json.Unmarshal([]byte(tc.in), &a), tc.want, tc.in)
	}
}

func TestBadParamsFailAtOnce(t *testing.T) {
	t.Parallel()
	n := openNode(t, handlers.Exec(handlers.ExecOptions{}), handlers.HTTPTask(t, handlers.HTTPOptions{}))
	ctx := testCtx(t)
	for _, tc := range []struct {
		task   string
		params any
		want   string
	}{
		{"http", map[string]any{"uri": "http://example.com"}, `http: unknown param "uri"`},
		{"http", map[string]any{"url": 5}, `http: param "url" must be a string`},
		{"http", map[string]any{}, `http: param "url" is required`},
		{"http", map[string]any{"url": "ftp://example.com/x"}, `param "url" must be an absolute http or https URL`},
		{"http", map[string]any{"url": "http://example.com", "expect_status": []int{42}}, `param "expect_status" has 42`},
		{"exec", map[string]any{"argv": "ls -l"}, `exec: param "argv" must be a non-empty list of strings`},
		{"exec", map[string]any{"args": []string{"ls"}}, `exec: unknown param "args"`},
		{"exec", map[string]any{}, `exec: param "argv" is required`},
		{"exec", map[string]any{"argv": []string{"true"}, "env": map[string]string{"A=B": "1"}}, `exec: param "env" has an invalid variable name "A=B"`},
	} {
		id, err := n.Submit(ctx, tc.task, tc.params, &gigq.SubmitOpts{MaxAttempts: 3})
		require.NoError(t, err)
		j := waitJob(t, n, id)
		require.Equal(t, gigq.StatusFailed, j.Status, "%s %v", tc.task, tc.params)
		require.Equal(t, 1, j.Attempts, "bad params fail the job on its first attempt: %s %v", tc.task, tc.params)
		require.Contains(t, j.Error, tc.want)
	}
}
