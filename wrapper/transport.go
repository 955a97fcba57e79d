package wrapper

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/tcikit/tci/internal/keyguard"
	"github.com/tcikit/tci/validate"
)

// doer is the generated client's HTTP doer. For each request it runs the attempts through the
// middleware, retries by shouldRetry, reads the body once under the size limit, checks 2xx
// responses against the spec and logs. It returns an *APIError or *InvalidResponseError
// itself, so the generated client passes them through unchanged.
type doer struct {
	cfg       *config
	validator *validate.Validator
	redact    redactor
	// send is the middleware chain around the HTTP client.
	send func(*http.Request) (*http.Response, error)
}

func newDoer(cfg *config, validator *validate.Validator) *doer {
	client := cfg.httpClient
	if client == nil {
		client = &http.Client{}
	}
	client.CheckRedirect = keyguard.StripOnRedirect(client.CheckRedirect)

	d := &doer{cfg: cfg, validator: validator, redact: redactor{key: cfg.apiKey}}
	d.send = client.Do
	for i := len(cfg.middleware) - 1; i >= 0; i-- {
		middleware, next := cfg.middleware[i], d.send
		d.send = func(req *http.Request) (*http.Response, error) { return middleware(req, next) }
	}
	return d
}

// attempt is the outcome of one try of a request.
type attempt struct {
	resp *http.Response
	// body is the body of a 2xx response, read in full; tooLarge is set instead when it
	// exceeds the limit.
	body     []byte
	tooLarge bool
	err      error
	// connected reports that a connection was obtained, so the request may have been sent.
	connected bool
	// timedOut reports that the per-attempt timeout ended the attempt.
	timedOut bool
	duration time.Duration
	cancel   context.CancelFunc
}

// Do sends req, retrying as shouldRetry allows within the retry limit and the context.
func (d *doer) Do(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	if err := d.checkTransportSecurity(req); err != nil {
		return nil, err
	}
	for number := 1; ; number++ {
		a := d.try(ctx, req, number)

		retry, reason := shouldRetry(retryInput{
			method: req.Method, status: statusOf(a.resp), header: headerOf(a.resp),
			err: a.err, connected: a.connected,
		})
		var wait time.Duration
		if retry {
			retry, reason, wait = d.limitRetry(ctx, req, number, a, reason)
		}
		d.logAttempt(ctx, req, number, a, retry, reason, wait)
		if !retry {
			return d.finish(ctx, req, number, a)
		}

		a.discard()
		if err := d.cfg.sleep(ctx, wait); err != nil {
			return nil, d.transportError(req, number, &attempt{err: err})
		}
	}
}

// try makes attempt number of req under the per-attempt timeout. A 2xx body is read here, so
// that a connection lost while reading it counts as a failed attempt.
func (d *doer) try(ctx context.Context, req *http.Request, number int) *attempt {
	a := &attempt{cancel: func() {}}
	attemptCtx := ctx
	if d.cfg.timeout > 0 {
		attemptCtx, a.cancel = context.WithTimeout(ctx, d.cfg.timeout)
	}
	var connected atomic.Bool
	trace := &httptrace.ClientTrace{GotConn: func(httptrace.GotConnInfo) { connected.Store(true) }}
	r := req.Clone(httptrace.WithClientTrace(attemptCtx, trace))
	if number > 1 && req.GetBody != nil {
		body, err := req.GetBody()
		if err != nil {
			a.err = fmt.Errorf("replay request body: %w", err)
			return a
		}
		r.Body = body
	}

	start := time.Now()
	a.resp, a.err = d.sendRecovering(r)
	if a.err == nil && a.resp == nil {
		a.err = errors.New("middleware returned neither a response nor an error")
	}
	if a.resp != nil && a.resp.Body == nil {
		a.resp.Body = http.NoBody
	}
	if a.err == nil && is2xx(a.resp.StatusCode) {
		a.body, a.tooLarge, a.err = readBody(a.resp, d.cfg.maxResponseBytes)
	}
	a.duration = time.Since(start)
	a.connected = connected.Load()
	a.timedOut = errors.Is(attemptCtx.Err(), context.DeadlineExceeded) && ctx.Err() == nil
	return a
}

// sendRecovering sends r through the middleware and turns a panic in a middleware into an
// error, with the API key removed from the panic value.
func (d *doer) sendRecovering(r *http.Request) (resp *http.Response, err error) {
	if len(d.cfg.middleware) > 0 {
		defer func() {
			if v := recover(); v != nil {
				resp, err = nil, fmt.Errorf("middleware panicked: %s", d.redact.string(fmt.Sprint(v)))
			}
		}()
	}
	return d.send(r)
}

// limitRetry applies the limits that shouldRetry leaves to the caller: retries left, a body
// that can be replayed, and a wait that ends before the context's deadline.
func (d *doer) limitRetry(ctx context.Context, req *http.Request, number int, a *attempt,
	reason string) (bool, string, time.Duration) {
	switch {
	case ctx.Err() != nil:
		return false, "context ended: " + ctx.Err().Error(), 0
	case number > d.cfg.maxRetries:
		return false, reason + "; no retries left", 0
	case req.Body != nil && req.Body != http.NoBody && req.GetBody == nil:
		return false, reason + "; the request body cannot be replayed", 0
	}
	now := d.cfg.now()
	wait := retryWait(headerOf(a.resp), now, number, d.cfg.random())
	if deadline, ok := ctx.Deadline(); ok && now.Add(wait).After(deadline) {
		return false, fmt.Sprintf("%s; waiting %v would pass the context deadline", reason, wait), 0
	}
	return true, reason, wait
}

// finish turns the last attempt into the result of Do.
func (d *doer) finish(ctx context.Context, req *http.Request, number int, a *attempt) (*http.Response, error) {
	defer a.cancel()
	switch {
	case a.err != nil:
		return nil, d.transportError(req, number, a)
	case !is2xx(a.resp.StatusCode):
		return nil, d.statusError(req, number, a)
	case a.tooLarge:
		reason := fmt.Sprintf("body exceeds the client's limit of %d bytes",
			d.cfg.maxResponseBytes)
		return nil, d.describe(invalid("", reason, ErrResponseTooLarge), req.Method, redactURL(req.URL), a.resp, nil)
	}
	return d.check(ctx, req, a)
}

// check validates a 2xx response against the spec according to the validation mode, and
// returns it with its body buffered for decoding.
func (d *doer) check(ctx context.Context, req *http.Request, a *attempt) (*http.Response, error) {
	resp := a.resp
	var reported []validate.Violation
	if d.cfg.validation != ValidationOff {
		if err := checkJSONText(a.body); err != nil {
			return nil, d.describe(err, req.Method, redactURL(req.URL), resp, a.body)
		}
		if op, err := d.validator.Route(req.Method, req.URL); err == nil {
			if err := d.validator.Response(op, resp.StatusCode, resp.Header, a.body); err != nil {
				invalidErr := fromValidation(err)
				if d.cfg.validation == ValidationStrict {
					return nil, d.describe(invalidErr, req.Method, redactURL(req.URL), resp, a.body)
				}
				reported = d.redact.violations(invalidErr.Violations)
				d.logViolations(ctx, op, resp.StatusCode, reported)
			}
		}
		contentType := resp.Header.Get("Content-Type")
		if d.cfg.validation == ValidationReport && !isJSONMediaType(contentType) {
			reason := fmt.Sprintf("content type %s is not JSON", quoteShort(contentType))
			invalidErr := invalid("", reason, nil)
			invalidErr.Violations = append(reported, invalidErr.Violations...)
			return nil, d.describe(invalidErr, req.Method, redactURL(req.URL), resp, a.body)
		}
	}
	resp.Body = &bufferedBody{
		Reader: bytes.NewReader(a.body), data: a.body,
		method: req.Method, url: redactURL(req.URL), reported: reported,
	}
	resp.ContentLength = int64(len(a.body))
	return resp, nil
}

// bufferedBody is the body of a checked 2xx response, read once and kept for decoding.
type bufferedBody struct {
	*bytes.Reader
	data        []byte
	method, url string
	// reported are the violations that ValidationReport let through.
	reported []validate.Violation
}

// Close does nothing: the network body is already closed.
func (b *bufferedBody) Close() error { return nil }

func fromValidation(err error) *InvalidResponseError {
	var validationErr *validate.Error
	if errors.As(err, &validationErr) {
		violations := append([]validate.Violation(nil), validationErr.Violations...)
		return &InvalidResponseError{Violations: violations, Err: validationErr}
	}
	return invalid("", "validation failed: "+err.Error(), err)
}

// describe fills in the request and response fields of an *InvalidResponseError and removes
// the API key from the body, the violations and the cause.
func (d *doer) describe(e *InvalidResponseError, method, target string, resp *http.Response,
	body []byte) *InvalidResponseError {
	e.Method, e.URL = method, target
	e.StatusCode = resp.StatusCode
	e.ContentType = d.redact.string(resp.Header.Get("Content-Type"))
	e.RequestID = d.redact.string(requestID(resp.Header))
	e.Body = d.redact.bytes(body)
	e.Violations = d.redact.violations(e.Violations)
	e.Err = d.redact.error(e.Err)
	return e
}

// transportError returns the *APIError for an attempt that got no usable response.
func (d *doer) transportError(req *http.Request, attempts int, a *attempt) *APIError {
	e := &APIError{Method: req.Method, URL: redactURL(req.URL), Attempts: attempts, Err: d.redact.error(a.err)}
	if a.resp != nil {
		e.StatusCode, e.Status = a.resp.StatusCode, a.resp.Status
		e.Header = d.redact.header(a.resp.Header)
		e.RequestID = d.redact.string(requestID(a.resp.Header))
		e.Err = d.redact.error(fmt.Errorf("read response body: %w", a.err))
	}
	if a.timedOut {
		e.Hint = fmt.Sprintf("each attempt times out after %v; raise the client's per-attempt timeout "+
			"if the server needs longer", d.cfg.timeout)
	}
	return e
}

// statusError returns the *APIError for a response outside 2xx, with the start of its body and
// the errors that a body in the failure shape reports.
func (d *doer) statusError(req *http.Request, attempts int, a *attempt) *APIError {
	body, _ := io.ReadAll(io.LimitReader(a.resp.Body, maxErrorBodyBytes))
	drainAndClose(a.resp.Body)
	h := a.resp.Header
	e := &APIError{
		Method: req.Method, URL: redactURL(req.URL),
		StatusCode: a.resp.StatusCode, Status: a.resp.Status,
		RequestID: d.redact.string(requestID(h)), Attempts: attempts,
		Header: d.redact.header(h), Body: d.redact.bytes(body),
	}
	e.Errors = failureErrors(e.Body)
	e.RetryAfter, _ = serverWait(h, d.cfg.now())
	notFound := e.StatusCode == http.StatusNotFound && strings.Contains(req.URL.Path, "/tci/")
	switch {
	case notFound && e.Errors == nil:
		e.Err = ErrEndpointNotFound
		e.Hint = endpointNotFoundHint(baseOf(req.URL))
	case notFound && slices.Contains(e.Codes(), "not_found") && !hasV1Suffix(baseOf(req.URL)):
		// The reference server sends the code not_found for a path outside the API.
		e.Hint = appendV1Hint(baseOf(req.URL))
	case e.StatusCode == http.StatusUnauthorized && !d.cfg.apiKeySet:
		e.Hint = fmt.Sprintf("no API key was sent; give the client the server's key, such as in %s",
			EnvAPIKey)
	}
	return e
}

// endpointNotFoundHint returns the Hint for a 404 from a base URL that serves no Code
// Interpreter API.
func endpointNotFoundHint(base *url.URL) string {
	if !hasV1Suffix(base) {
		return appendV1Hint(base)
	}
	return fmt.Sprintf("the Code Interpreter API does not exist at %s: the hosted service was "+
		"removed in 2026-09, so set %s to a compatible server such as \"tci serve\"",
		redactURL(base), EnvBaseURL)
}

// hasV1Suffix reports whether the path of base ends in /v1, where the spec's server URL and
// "tci serve" put the API. A base URL without it most likely lacks it.
func hasV1Suffix(base *url.URL) bool { return strings.HasSuffix(base.Path, "/v1") }

func appendV1Hint(base *url.URL) string {
	return fmt.Sprintf("the Code Interpreter API does not exist at %s: servers such as \"tci serve\" "+
		"serve it under /v1, so try the base URL %s/v1", redactURL(base), redactURL(base))
}

// baseOf returns the URL of a request without the API path, which starts at the last "/tci/".
func baseOf(u *url.URL) *url.URL {
	base := *u
	base.Path = base.Path[:strings.LastIndex(base.Path, "/tci/")]
	base.RawPath = ""
	if i := strings.LastIndex(u.RawPath, "/tci/"); i >= 0 {
		base.RawPath = u.RawPath[:i] // keeps escapes such as %2F
	}
	return &base
}

// discard drains and closes the body of an attempt that is retried, so that its connection
// can be reused, and releases its timeout.
func (a *attempt) discard() {
	if a.resp != nil && a.body == nil && !a.tooLarge {
		drainAndClose(a.resp.Body)
	}
	a.cancel()
}

// maxDrainBytes bounds how much of an unwanted body is read to keep its connection alive.
const maxDrainBytes = 64 << 10

func drainAndClose(body io.ReadCloser) {
	_, _ = io.CopyN(io.Discard, body, maxDrainBytes)
	_ = body.Close()
}

// readBody reads and closes the body of resp. It stops at limit bytes and reports tooLarge
// instead of reading on. A known Content-Length is allocated once.
func readBody(resp *http.Response, limit int64) (body []byte, tooLarge bool, err error) {
	defer func() { _ = resp.Body.Close() }()
	if resp.ContentLength > limit {
		return nil, true, nil
	}
	if resp.ContentLength >= 0 {
		body = make([]byte, resp.ContentLength)
		if _, err := io.ReadFull(resp.Body, body); err != nil {
			return nil, false, err
		}
		return body, false, nil
	}
	body, err = io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if int64(len(body)) > limit {
		return nil, true, nil
	}
	return body, false, err
}

func (d *doer) logAttempt(ctx context.Context, req *http.Request, number int, a *attempt,
	retry bool, reason string, wait time.Duration) {
	logger := d.cfg.logger
	if logger == nil || !logger.Enabled(ctx, slog.LevelDebug) {
		return
	}
	attrs := []slog.Attr{
		slog.String("method", req.Method),
		slog.String("url", redactURL(req.URL)),
		slog.Int("attempt", number),
		slog.Duration("duration", a.duration),
	}
	if a.resp != nil {
		attrs = append(attrs, slog.Int("status", a.resp.StatusCode))
	}
	if a.err != nil {
		attrs = append(attrs, slog.String("error", d.redact.string(a.err.Error())))
	}
	attrs = append(attrs, slog.Bool("retry", retry), slog.String("reason", d.redact.string(reason)))
	if retry {
		attrs = append(attrs, slog.Duration("wait", wait))
	}
	logger.LogAttrs(ctx, slog.LevelDebug, "tci attempt", attrs...)
}

func (d *doer) logViolations(ctx context.Context, op validate.Operation, status int,
	violations []validate.Violation) {
	logger := d.cfg.logger
	if logger == nil || !logger.Enabled(ctx, slog.LevelWarn) {
		return
	}
	listed := make([]string, 0, maxViolationsInMessage)
	for _, v := range violations[:min(len(violations), maxViolationsInMessage)] {
		listed = append(listed, v.String())
	}
	logger.LogAttrs(ctx, slog.LevelWarn, "tci response violates the spec",
		slog.String("operation", op.String()),
		slog.Int("status", status),
		slog.Int("violations", len(violations)),
		slog.String("first", strings.Join(listed, "; ")))
}

// checkTransportSecurity rejects a request that would carry the API key over plain HTTP to a
// host that is not loopback, unless WithInsecureHTTP allows it.
func (d *doer) checkTransportSecurity(req *http.Request) error {
	if req.Header.Get("Authorization") == "" || d.cfg.insecureHTTP {
		return nil
	}
	return keyguard.CheckURL(req.URL, "WithInsecureHTTP")
}

// redactURL returns u as text without user information or query.
func redactURL(u *url.URL) string {
	clean := *u
	clean.User = nil
	clean.RawQuery = ""
	clean.ForceQuery = false
	return clean.String()
}

func isJSONMediaType(contentType string) bool {
	mediaType, _, err := mime.ParseMediaType(contentType)
	return err == nil && (mediaType == "application/json" || strings.HasSuffix(mediaType, "+json"))
}

func statusOf(resp *http.Response) int {
	if resp == nil {
		return 0
	}
	return resp.StatusCode
}

func headerOf(resp *http.Response) http.Header {
	if resp == nil {
		return nil
	}
	return resp.Header
}
