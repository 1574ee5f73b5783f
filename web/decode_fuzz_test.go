package web

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gigq-go/gigq"
)

// FuzzDecodeJob feeds decodeJob, the decoder of POST /api/jobs bodies,
// with real and hostile bodies. It must never panic, and either refuse
// the body with a 4xx error or give a job the node accepts (or refuses as
// bad input, a 4xx too: an unknown dependency, a bad task name).
func FuzzDecodeJob(f *testing.F) {
	for _, seed := range []string{
		`{"function":"echo"}`,
		`{"function":"echo","params":{"n":1},"priority":5,"timeout":60}`,
		`{"function":"echo","params":{"msg":"hi"},"name":"greet","priority":5,"max_attempts":2,"timeout":60,` +
			`"retry_delay":0.5,"description":"a test","depends_on":["0190a6f0-0000-7000-8000-000000000000"]}`,
		`{"function":"echo","queue":"reports","delay":3600,"unique_key":"daily"}`,
		`{"function":"echo","run_at":"2026-01-02T15:04:05Z"}`,
		`{"function":"echo","params":null}`,
		`{"params":{}}`,
		`{"function":"echo","params":[1]}`,
		`{"function":"echo","params":"x"}`,
		`{"function":"echo","params":{}} {"function":"echo"}`,
		`{"function":"echo","max_attempts":0}`,
		`{"function":"echo","max_attempts":99999999999999999999}`,
		`{"function":"echo","timeout":-1}`,
		`{"function":"echo","timeout":1e309}`,
		`{"function":"echo","timeout":1e9,"retry_delay":1e9,"delay":1e9}`,
		`{"function":"echo","delay":-0}`,
		`{"function":"echo","retry_delay":"NaN"}`,
		`{"function":"echo","priority":"high"}`,
		`{"function":"echo","priority":-9223372036854775808}`,
		`{"function":"echo","run_at":"0001-01-01T00:00:00Z"}`,
		`{"function":"echo","run_at":"9999-12-31T23:59:59Z"}`,
		`{"function":"echo","depends_on":[""]}`,
		`{"function":"echo","depends_on":["x","x"]}`,
		`{"function":"Bad Name"}`,
		`{"function":"\u0000"}`,
		`{"function":"echo","function":"other"}`,
		`{"function":"echo","prio":1}`,
		`{"function":` + strings.Repeat(`[`, 10000),
		`{"function":"echo","params":` + strings.Repeat(`{"a":`, 1000) + `1` + strings.Repeat(`}`, 1000) + `}`,
		"{\"function\":\"echo\",\"name\":\"\xff\xfe\"}",
		`null`, `[]`, `""`, `0`, ``, `{`, `}`,
	} {
		f.Add([]byte(seed))
	}
	n, err := gigq.Open(context.Background(), gigq.Config{Path: filepath.Join(f.TempDir(), "gigq.db"), ClientOnly: true, WatchInterval: -1})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() {
		if err := n.Close(context.Background()); err != nil {
			f.Error(err)
		}
	})
	f.Fuzz(func(t *testing.T, body []byte) {
		function, params, opts, err := decodeJob(body)
		if err != nil {
			var ae *apiError
			if !errors.As(err, &ae) || ae.status < 400 || ae.status >= 500 {
				t.Fatalf("decodeJob(%q): %v is not a 4xx error", body, err)
			}
			return
		}
		if function == "" || opts == nil {
			t.Fatalf("decodeJob(%q) gave no task or no options", body)
		}
		if _, err := n.SubmitJob(t.Context(), function, params, opts); err != nil {
			if status, _ := statusOf(submitError(err)); status < 400 || status >= 500 {
				t.Fatalf("decodeJob(%q) gave a job the node refuses with %d: %v", body, status, err)
			}
		}
	})
}
