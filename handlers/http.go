package handlers

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/gigq-go/gigq"
)

// bodyStartBytes is how much of a response body the error for an
// unexpected status carries.
const bodyStartBytes = 512

// HTTPOptions configure the http task. The zero value is ready to use.
type HTTPOptions struct {
	// MaxBodyBytes caps what is read of a response body; the rest is not
	// read and the result's body_truncated is true. Zero or less:
	// DefaultMaxOutputBytes (1 MiB).
	MaxBodyBytes int
	// Client sends the requests. Its Timeout, if any, should not be
	// shorter than the jobs' timeouts: the job's timeout already bounds
	// each request. Default: a client of its own (a clone of
	// http.DefaultTransport, no Timeout, up to 10 redirects followed).
	Client *http.Client
}

// HTTPArgs are the params of the http task.
type HTTPArgs struct {
	// Method is the request method. Default GET.
	Method string `json:"method,omitempty"`
	// URL is the request URL, http or https; required.
	URL string `json:"url"`
	// Headers are the request headers, one value each.
	Headers map[string]string `json:"headers,omitempty"`
	// Body is the request body. Default: none.
	Body string `json:"body,omitempty"`
	// ExpectStatus lists the statuses that complete the attempt; any
	// other fails it. Default: any 2xx.
	ExpectStatus []int `json:"expect_status,omitempty"`
}

var httpParams = []param{
	{"method", `a string, the request method, e.g. "POST" (default "GET")`},
	{"url", `a string, an http or https URL, e.g. "https://example.com/hook"`},
	{"headers", `an object of header names to string values, e.g. {"Content-Type": "application/json"}`},
	{"body", "a string, the request body"},
	{"expect_status", "a list of status codes, e.g. [200, 404] (default any 2xx)"},
}

// UnmarshalJSON decodes the params strictly: an unknown param or a value
// of the wrong type is an error that names the param and what it must be.
func (a *HTTPArgs) UnmarshalJSON(b []byte) error {
	type plain HTTPArgs
	return decodeParams("http", httpParams, b, (*plain)(a))
}

// HTTPResult is the result of the http task. Headers holds each response
// header under its canonical name, several values joined with ", ". The
// body is kept as text: bytes that are not valid UTF-8 are stored as
// U+FFFD.
type HTTPResult struct {
	Status        int               `json:"status"`
	Headers       map[string]string `json:"headers"`
	Body          string            `json:"body"`
	BodyTruncated bool              `json:"body_truncated"`
}

// StatusError is the error of an attempt whose response had a status
// outside the expected ones.
type StatusError struct {
	Method, URL string
	Status      int
	Expected    []int  // nil: any 2xx
	BodyStart   string // the first 512 bytes (at most) of the body
}

func (e *StatusError) Error() string {
	want := "2xx"
	if len(e.Expected) > 0 {
		want = strings.Trim(fmt.Sprint(e.Expected), "[]")
	}
	msg := fmt.Sprintf("http: %s %s: status %d %s, expected %s", e.Method, e.URL, e.Status, http.StatusText(e.Status), want)
	if body := strings.TrimSpace(e.BodyStart); body != "" {
		msg += "; body: " + body
	}
	return msg
}

// HTTP returns the task "http", which sends one HTTP request (see the
// package doc).
func HTTP(opts HTTPOptions) *gigq.Task[HTTPArgs, HTTPResult] {
	if opts.Client == nil {
		opts.Client = &http.Client{}
		if t, ok := http.DefaultTransport.(*http.Transport); ok {
			opts.Client.Transport = t.Clone() // its own connection pool
		}
	}
	return gigq.NewTask("http", opts.run)
}

// run sends one request. It fails on bad args, on a transport error
// (including ctx ending: the error wraps the context's error) and on an
// unexpected status (a *StatusError).
func (o HTTPOptions) run(ctx context.Context, a HTTPArgs) (HTTPResult, error) {
	req, err := a.request(ctx)
	if err != nil {
		return HTTPResult{}, err
	}
	resp, err := o.Client.Do(req)
	if err != nil {
		return HTTPResult{}, fmt.Errorf("http: %w", err)
	}
	defer resp.Body.Close()
	limit := capOrDefault(o.MaxBodyBytes)
	body := &headBuffer{max: limit}
	if _, err := io.Copy(body, io.LimitReader(resp.Body, int64(limit)+1)); err != nil {
		return HTTPResult{}, fmt.Errorf("http: %s %s: read body: %w", req.Method, a.URL, err)
	}
	res := HTTPResult{
		Status:  resp.StatusCode,
		Headers: make(map[string]string, len(resp.Header)),
		Body:    body.String(), BodyTruncated: body.truncated,
	}
	for name, values := range resp.Header {
		res.Headers[name] = strings.Join(values, ", ")
	}
	if !a.expected(resp.StatusCode) {
		return res, &StatusError{
			Method: req.Method, URL: a.URL, Status: resp.StatusCode, Expected: a.ExpectStatus,
			BodyStart: firstBytes(res.Body, bodyStartBytes),
		}
	}
	return res, nil
}

// request validates the args and builds the request.
func (a *HTTPArgs) request(ctx context.Context) (*http.Request, error) {
	if a.URL == "" {
		return nil, requireParam("http", httpParams[1])
	}
	u, err := url.Parse(a.URL)
	if err != nil {
		return nil, fmt.Errorf("http: param \"url\" is not a valid URL: %w", err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("http: param \"url\" must be an absolute http or https URL, e.g. \"https://example.com/hook\", not %q", a.URL)
	}
	for _, s := range a.ExpectStatus {
		if s < 100 || s > 999 {
			return nil, fmt.Errorf("http: param \"expect_status\" has %d: status codes are 100 to 999", s)
		}
	}
	method := a.Method
	if method == "" {
		method = http.MethodGet
	}
	var body io.Reader
	if a.Body != "" {
		body = strings.NewReader(a.Body)
	}
	req, err := http.NewRequestWithContext(ctx, method, a.URL, body)
	if err != nil {
		return nil, fmt.Errorf("http: param \"method\" %q: %w", method, err)
	}
	for name, value := range a.Headers {
		if http.CanonicalHeaderKey(name) == "Host" {
			req.Host = value // net/http sends req.Host, not a Host header
			continue
		}
		req.Header.Set(name, value)
	}
	return req, nil
}

// expected tells whether status completes the attempt.
func (a *HTTPArgs) expected(status int) bool {
	if len(a.ExpectStatus) == 0 {
		return status >= 200 && status <= 299
	}
	return slices.Contains(a.ExpectStatus, status)
}
