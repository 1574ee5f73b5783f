package handlers

import (
	"context"
	"errors"
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

// HTTPOptions configure the http task. The zero value is ready to use,
// and refuses to connect to addresses that are not public (see the package
// doc).
type HTTPOptions struct {
	// MaxBodyBytes caps what is read of a response body; the rest is not
	// read and the result's body_truncated is true. Zero or less:
	// DefaultMaxOutputBytes (1 MiB).
	MaxBodyBytes int
	// Allow opens addresses the task refuses by default. Each entry is a
	// CIDR ("10.0.0.0/8": those addresses may be dialed), an IP address
	// (that address only) or a host name ("api.internal": a request to
	// that name may connect to whatever it resolves to; the name is
	// matched exactly, case aside, on the URL's host). CheckAllow says
	// what is wrong with an entry; HTTP panics on one it refuses. gigq's
	// --http-allow flag fills it.
	Allow []string
	// Client, when set, sends the requests instead of the task's own
	// guarded client: it is used as is, and Allow and the address check
	// do not apply (its transport decides where it connects). Its
	// Timeout, if any, should not be shorter than the jobs' timeouts: the
	// job's timeout already bounds each request. Default: a client of
	// the task's own (no proxy, no Timeout, up to 10 redirects followed,
	// every connection checked).
	Client *http.Client

	// dial replaces the system's resolver and sockets in tests (see
	// export_test.go); nil: systemDial.
	dial dialFunc
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
// package doc). It panics when an entry of opts.Allow is not valid (see
// CheckAllow).
func HTTP(opts HTTPOptions) *gigq.Task[HTTPArgs, HTTPResult] {
	opts, err := opts.withClient()
	if err != nil {
		panic("handlers.HTTP: HTTPOptions.Allow: " + err.Error())
	}
	return gigq.NewTask("http", opts.run)
}

// withClient returns o with its Client set: the guarded client of Allow
// when o has none.
func (o HTTPOptions) withClient() (HTTPOptions, error) {
	if o.Client != nil {
		return o, nil
	}
	g, err := parseAllow(o.Allow)
	if err != nil {
		return o, err
	}
	dial := o.dial
	if dial == nil {
		dial = systemDial
	}
	o.Client = g.client(dial)
	return o, nil
}

// run sends one request. It fails on bad args and on a refused address
// (both for good: gigq.SkipRetry), on a transport error (including ctx
// ending: the error wraps the context's error) and on an unexpected
// status (a *StatusError).
func (o HTTPOptions) run(ctx context.Context, a HTTPArgs) (HTTPResult, error) {
	req, err := a.request(ctx)
	if err != nil {
		return HTTPResult{}, gigq.SkipRetry(err)
	}
	resp, err := o.Client.Do(req)
	if err != nil {
		if be := blockedError(req, err); be != nil {
			return HTTPResult{}, gigq.SkipRetry(be)
		}
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

// blockedError is the *BlockedAddressError in err, the error of
// sending req, with the URL it was for; nil if there is none.
func blockedError(req *http.Request, err error) *BlockedAddressError {
	var be *BlockedAddressError
	if !errors.As(err, &be) {
		return nil
	}
	out := *be
	out.URL = req.URL.Redacted()
	var ue *url.Error
	if errors.As(err, &ue) {
		if u, perr := url.Parse(ue.URL); perr == nil && u.Redacted() != out.URL {
			out.URL, out.Redirect = u.Redacted(), true
		}
	}
	return &out
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
