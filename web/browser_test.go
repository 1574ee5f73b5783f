package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/stretchr/testify/require"

	"github.com/gigq-go/gigq"
	"github.com/gigq-go/gigq/web"
)

// browserWorkflow is a diamond: a → b, a → c, b + c → d.
const browserWorkflow = `{"name": "diamond", "jobs": [
  {"key": "fetch", "function": "echo", "params": {"n": 1}},
  {"key": "resize", "function": "echo", "depends_on": ["fetch"]},
  {"key": "classify", "function": "echo", "depends_on": ["fetch"]},
  {"key": "publish", "function": "echo", "depends_on": ["resize", "classify"]}
]}`

// TestBrowserDashboard drives the dashboard in headless Chromium against a
// real node: the job table and the workflow graph follow the jobs live,
// keys open and leave a job, and screenshots of the table and of the
// workflow are saved (GIGQ_SCREENSHOT=docs/dashboard.png also writes them
// to docs/dashboard.png and docs/dashboard-workflow.png).
//
// Without a working Chromium the test is skipped, saying why, or fails
// when GIGQ_REQUIRE_BROWSER=1 (as .ci/run sets it).
func TestBrowserDashboard(t *testing.T) {
	chromium := findChromium(t)
	t.Parallel()
	start := time.Now()

	reg := gigq.NewRegistry().MustAdd(gigq.NewTask("echo", echo)).
		MustAdd(gigq.NewTask("flaky", func(context.Context, json.RawMessage) (json.RawMessage, error) {
			return nil, errors.New("upstream answered 503")
		}))
	n, err := gigq.Open(context.Background(), gigq.Config{Path: filepath.Join(t.TempDir(), "gigq.db"),
		Registry: reg, Workers: 2, WatchInterval: -1})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, n.Close(context.Background())) })
	done := make(chan struct{})
	ts := httptest.NewServer(web.New(n, web.Options{Done: done}))
	t.Cleanup(ts.Close)
	t.Cleanup(func() { close(done) }) // ends the page's event stream before the server closes
	s := &testServer{Server: ts, node: n}

	ctx, cancel := context.WithTimeout(browser(t, chromium), testTimeout)
	defer cancel()
	poll := func(expr string, args ...any) chromedp.Action[chromedp.Void] {
		return chromedp.Poll[chromedp.Void](fmt.Sprintf(expr, args...), chromedp.WithPollingTimeout(testTimeout))
	}
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Navigate(ts.URL+"/"),
		chromedp.WaitVisible(chromedp.CSS("#jobs")),
		poll(`document.querySelector('#live').classList.contains('on')`),
		chromedp.Evaluate[chromedp.Void](`window.notReloaded = true`),
	))

	// Jobs submitted after the page loaded show up and complete live.
	var wf struct {
		WorkflowID gigq.WorkflowID       `json:"workflow_id"`
		Jobs       map[string]gigq.JobID `json:"jobs"`
	}
	s.doType(t, http.MethodPost, "/api/workflows", "application/json", browserWorkflow).decode(t, http.StatusCreated, &wf)
	one := s.submit(t, map[string]any{"function": "echo", "name": "thumbnail", "params": map[string]any{"size": 128}})
	failed := s.submit(t, map[string]any{"function": "flaky", "name": "notify", "max_attempts": 1})
	require.NoError(t, chromedp.Do(ctx,
		poll(`document.querySelectorAll('#jobs tbody tr[data-status="completed"]').length === 5`),
		poll(`document.querySelector('#jobs tr[data-id="%s"]')?.dataset.status === 'completed'`, one),
		poll(`document.querySelector('#jobs tr[data-id="%s"]')?.dataset.status === 'failed'`, failed),
		poll(`document.querySelector('[data-count="completed"] .n').textContent === '5'`),
		poll(`document.querySelector('[data-count="failed"] .n').textContent === '1'`),
	))
	require.True(t, evaluate[bool](t, ctx, `window.notReloaded === true`), "updated without a reload")

	// Keys: Enter opens the focused row, Esc comes back to the table.
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Focus(chromedp.CSS(fmt.Sprintf(`#jobs tr[data-id="%s"]`, wf.Jobs["publish"]))),
		chromedp.KeyEvent(kb.Enter),
		chromedp.WaitVisible(chromedp.CSS("#executions")),
		poll(`location.hash === '#/jobs/%s'`, wf.Jobs["publish"]),
		chromedp.KeyEvent(kb.Escape),
		chromedp.WaitVisible(chromedp.CSS("#jobs")),
		poll(`location.hash === '' || location.hash === '#/'`),
		poll(`document.activeElement?.dataset.id === '%s'`, wf.Jobs["publish"]),
		chromedp.KeyEvent("/"),
		poll(`document.activeElement?.id === 'filter'`),
	))

	// The workflow page, reached from a job's workflow link, draws the DAG.
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`location.hash = '#/jobs/%s'`, wf.Jobs["fetch"])),
		chromedp.WaitVisible(chromedp.CSS("#workflow-link")),
		chromedp.Click(chromedp.CSS("#workflow-link")),
		chromedp.WaitVisible(chromedp.CSS("#dag")),
		poll(`document.querySelectorAll('#dag g.node[data-status="completed"]').length === 4`),
	))
	require.Equal(t, 4, evaluate[int](t, ctx, `document.querySelectorAll('#dag g.node').length`))
	require.Equal(t, 4, evaluate[int](t, ctx, `document.querySelectorAll('#dag path.edge').length`))
	for _, e := range [][2]string{{"fetch", "resize"}, {"fetch", "classify"}, {"resize", "publish"}, {"classify", "publish"}} {
		require.True(t, evaluate[bool](t, ctx, fmt.Sprintf(`!!document.querySelector('#dag path.edge[data-from="%s"][data-to="%s"]')`,
			wf.Jobs[e[0]], wf.Jobs[e[1]])), "edge %s → %s", e[0], e[1])
	}
	// Layers by longest path: fetch, then resize and classify, then publish.
	xs := evaluate[map[string]float64](t, ctx, `Object.fromEntries([...document.querySelectorAll('#dag g.node')].map(
		g => [g.dataset.id, g.transform.baseVal[0].matrix.e]))`)
	require.Less(t, xs[string(wf.Jobs["fetch"])], xs[string(wf.Jobs["resize"])])
	require.Equal(t, xs[string(wf.Jobs["resize"])], xs[string(wf.Jobs["classify"])])
	require.Less(t, xs[string(wf.Jobs["classify"])], xs[string(wf.Jobs["publish"])])

	workflowPNG := screenshot(t, ctx, "dashboard-workflow.png")

	// Back on the table for the screenshot.
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Evaluate[chromedp.Void](`location.hash = '#/'`),
		chromedp.WaitVisible(chromedp.CSS("#jobs tbody tr")),
		chromedp.Evaluate[chromedp.Void](`document.activeElement.blur()`),
	))
	png := screenshot(t, ctx, "dashboard.png")
	t.Logf("browser test took %s", time.Since(start).Round(time.Millisecond))
	if out := os.Getenv("GIGQ_SCREENSHOT"); out != "" {
		require.NoError(t, os.WriteFile(out, png, 0o644))
		wfOut := strings.TrimSuffix(out, ".png") + "-workflow.png"
		require.NoError(t, os.WriteFile(wfOut, workflowPNG, 0o644))
		t.Logf("screenshots also written to %s and %s", out, wfOut)
	}
}

// screenshot saves a full-page screenshot of the page in the test's
// temporary directory, logs its path and returns it.
func screenshot(t *testing.T, ctx context.Context, name string) []byte {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.WriteFile(path, png, 0o644))
	t.Logf("screenshot: %s", path)
	return png
}

// envRequireBrowser names the environment variable that makes a missing
// or broken Chromium fail the browser test instead of skipping it (.ci/run
// sets it to 1).
const envRequireBrowser = "GIGQ_REQUIRE_BROWSER"

// chromiumNames are the commands the browser test looks for, in order.
var chromiumNames = []string{"chromium", "chromium-browser", "google-chrome"}

// Bounds on a Chromium that does not work, so that it ends the test
// instead of hanging the suite.
const (
	chromiumVersionTimeout = 30 * time.Second // "chromium --version"
	browserStartTimeout    = 2 * time.Minute  // the first chromedp action, which starts the browser
)

// findChromium returns the path of a Chromium that answers --version. When
// there is none, or it does not answer, the test ends: see noBrowser.
func findChromium(t *testing.T) string {
	t.Helper()
	path := ""
	for _, name := range chromiumNames {
		if p, err := exec.LookPath(name); err == nil {
			path = p
			break
		}
	}
	if path == "" {
		noBrowser(t, fmt.Sprintf("Chromium not found (looked for %s)", strings.Join(chromiumNames, ", ")))
	}
	ctx, cancel := context.WithTimeout(context.Background(), chromiumVersionTimeout)
	defer cancel()
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, path, "--version")
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.WaitDelay = 5 * time.Second // a child left holding the output does not hold the test
	err := cmd.Run()
	if ctx.Err() != nil {
		err = fmt.Errorf("no answer within %s", chromiumVersionTimeout)
	}
	if err != nil {
		noBrowser(t, fmt.Sprintf("Chromium at %s does not work (%s --version: %v; output %q)",
			path, path, err, strings.TrimSpace(stdout.String()+stderr.String())))
	}
	t.Logf("browser: %s (%s)", strings.TrimSpace(stdout.String()), path)
	return path
}

// noBrowser ends the test because Chromium cannot run, saying why and how
// to run it: the test fails when GIGQ_REQUIRE_BROWSER=1, and is skipped
// otherwise.
func noBrowser(t *testing.T, why string) {
	t.Helper()
	if os.Getenv(envRequireBrowser) == "1" {
		t.Fatalf("%s, and %s=1 requires the dashboard's browser test to run. Install Chromium (apt-get install chromium), "+
			"or unset %s to skip the test without a browser.", why, envRequireBrowser, envRequireBrowser)
	}
	t.Skipf("%s: the dashboard's browser test is skipped. Install it (apt-get install chromium) to run it; "+
		"%s=1 makes a missing browser a failure (.ci/run sets it).", why, envRequireBrowser)
}

// browser starts headless Chromium for the test and returns its context;
// the browser is closed (and its process waited for) when the test ends.
//
// The first chromedp action starts the browser and binds the browser's
// life to the context it is given, so it cannot take a timeout of its own
// (see chromedp.NewContext). It runs in a goroutine instead: when it has
// not finished within browserStartTimeout, the browser is killed and the
// test fails.
func browser(t *testing.T, path string) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path), chromedp.Headless,
		chromedp.NoSandbox, chromedp.DisableGPU, chromedp.WindowSize(1280, 860),
		chromedp.Flag("lang", "en-US"), chromedp.Flag("hide-scrollbars", true))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelBrowser := chromedp.NewContext(actx, chromedp.WithLogf(t.Logf))
	t.Cleanup(func() {
		cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		_ = chromedp.Cancel(cctx) // closes the browser gracefully
		cancelBrowser()
		cancelAlloc() // kills the process if it is still there, and waits for it
	})
	started := make(chan error, 1)
	go func() { started <- chromedp.Do(ctx) }()
	select {
	case err := <-started:
		require.NoError(t, err, "start Chromium (%s)", path)
	case <-time.After(browserStartTimeout):
		cancelBrowser()
		cancelAlloc()
		select {
		case <-started:
		case <-time.After(10 * time.Second):
		}
		t.Fatalf("Chromium (%s) did not start within %s: killed it. Check that it runs headless: "+
			"%s --headless --no-sandbox --dump-dom about:blank", path, browserStartTimeout, path)
	}
	return ctx
}

// evaluate runs a JavaScript expression in the page and returns its value.
func evaluate[T any](t *testing.T, ctx context.Context, expr string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	require.NoError(t, err, "%s", expr)
	return v
}

// TestBrowserCrossOriginRefused: a page served from another origin (another
// loopback port) makes a real Chromium POST to the node, as an attacker's
// page would: a no-cors fetch of a job, a no-cors fetch of /api/clear, and
// an HTML form posting a job. Each request reaches the node and is
// refused with 403; no job is created and none is deleted.
func TestBrowserCrossOriginRefused(t *testing.T) {
	chromium := findChromium(t)
	t.Parallel()
	n := openNode(t, false)
	kept, err := n.Submit(t.Context(), "echo", nil, nil)
	require.NoError(t, err)
	require.NoError(t, n.Cancel(t.Context(), kept)) // what a clear would delete
	before, err := n.Stats(t.Context())
	require.NoError(t, err)

	var mu sync.Mutex
	var posts []string // "path status" of each POST the node answered
	h := web.New(n, web.Options{})
	node := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := httptest.NewRecorder() // the page opens no event stream: every answer ends
		h.ServeHTTP(rec, r)
		if r.Method == http.MethodPost {
			mu.Lock()
			posts = append(posts, fmt.Sprintf("%s %d", r.URL.Path, rec.Code))
			mu.Unlock()
		}
		maps.Copy(w.Header(), rec.Header())
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())
	}))
	t.Cleanup(node.Close)
	page := fmt.Sprintf(`<!doctype html><html><body>
<iframe name="sink"></iframe>
<form id="job" method="post" action="%[1]s/api/jobs" enctype="text/plain" target="sink">
<input name='{"function":"echo","params":{"x":"' value='"}}'>
</form>
<script>
const node = %[1]q;
window.fetched = 0;
const post = (path, body) => fetch(node + path, {method: 'POST', mode: 'no-cors', body})
  .then(() => { window.fetched++ }, e => { window.fetched = 'error: ' + e });
post('/api/jobs', JSON.stringify({function: 'echo', params: {from: 'evil'}}));
post('/api/clear?before=now', '');
document.getElementById('job').submit();
</script></body></html>`, node.URL)
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte(page))
	}))
	t.Cleanup(evil.Close)
	require.NotEqual(t, evil.URL, node.URL)

	ctx, cancel := context.WithTimeout(browser(t, chromium), testTimeout)
	defer cancel()
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Navigate(evil.URL+"/"),
		chromedp.Poll[chromedp.Void](`window.fetched === 2`, chromedp.WithPollingTimeout(testTimeout)),
	))
	require.Eventually(t, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(posts) >= 3
	}, testTimeout, 20*time.Millisecond, "the page's three POSTs did not all reach the node")
	mu.Lock()
	got := slices.Clone(posts)
	mu.Unlock()
	slices.Sort(got)
	require.Equal(t, []string{"/api/clear 403", "/api/jobs 403", "/api/jobs 403"}, got)

	after, err := n.Stats(t.Context())
	require.NoError(t, err)
	require.Equal(t, before, after, "no job created, none deleted")
	j, err := n.Status(t.Context(), kept)
	require.NoError(t, err)
	require.Equal(t, gigq.StatusCancelled, j.Status)
}
