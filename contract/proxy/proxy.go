package proxy

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strconv"
	"time"

	"github.com/tcikit/tci/internal/keyguard"
	"github.com/tcikit/tci/validate"
)

// DefaultListenAddr is the default listen address of a proxy command. It is a loopback
// address, so that the proxy is not reachable from other hosts.
const DefaultListenAddr = "127.0.0.1:8788"

// DefaultMaxBodyBytes caps the request and response bodies of spec operations that the proxy
// buffers to validate, unless WithMaxBodyBytes sets another cap. It is 48 MiB: the reference
// server accepts request bodies up to 32 MiB, and its execute responses are at most its
// output limit, 32 MiB, plus 1 KiB (server.MaxResponseOverhead). The rest is headroom for
// servers that size their responses less strictly.
const DefaultMaxBodyBytes int64 = 48 << 20

// ViolationsHeader is the response header that carries the number of spec violations found in
// the request and the response of a spec operation. Responses of other paths never carry it.
// The validator does not judge a response whose status the spec does not declare, and the spec
// declares only 200, so for a 401 or a 404 the count covers the request alone.
const ViolationsHeader = "Tci-Contract-Violations"

// Mode selects what the proxy does with a message that violates the spec.
type Mode string

// The modes of a Proxy.
const (
	// ModeReport forwards every message, logs each violation and counts the violations in
	// ViolationsHeader.
	ModeReport Mode = "report"
	// ModeEnforce responds with 400 to a request that violates the spec, without forwarding
	// it, and replaces a response that violates the spec with a 502. Both carry a spec-shaped error
	// body, {"data": null, "errors": [...]}.
	ModeEnforce Mode = "enforce"
)

// ParseMode returns the Mode named s, "report" or "enforce".
func ParseMode(s string) (Mode, error) {
	switch Mode(s) {
	case ModeReport, ModeEnforce:
		return Mode(s), nil
	}
	return "", fmt.Errorf("invalid proxy mode %q; use %q or %q", s, ModeReport, ModeEnforce)
}

// Option configures a Proxy.
type Option func(*config) error

type config struct {
	mode      Mode
	logger    *slog.Logger
	maxBody   int64
	transport http.RoundTripper
}

// WithMode sets the mode. The default is ModeReport.
func WithMode(mode Mode) Option {
	return func(c *config) error {
		if _, err := ParseMode(string(mode)); err != nil {
			return err
		}
		c.mode = mode
		return nil
	}
}

// WithLogger logs violations, upstream failures and, at debug level, every judged exchange to
// logger. The proxy logs nothing by default. It never logs headers or bodies, so the
// Authorization header stays out of the log.
func WithLogger(logger *slog.Logger) Option {
	return func(c *config) error {
		if logger == nil {
			return errors.New("nil logger; omit the option to log nothing")
		}
		c.logger = logger
		return nil
	}
}

// WithMaxBodyBytes sets the largest request or response body of a spec operation that the
// proxy buffers and validates. The default is DefaultMaxBodyBytes. A larger body is not
// validated: report mode forwards it whole and logs a warning, and enforce mode rejects a
// request body with 413 and replaces a response with a 502.
func WithMaxBodyBytes(n int64) Option {
	return func(c *config) error {
		if n <= 0 {
			return fmt.Errorf("invalid maximum body size %d bytes: it must be positive", n)
		}
		c.maxBody = n
		return nil
	}
}

// WithTransport sends upstream requests through transport instead of
// http.DefaultTransport.
func WithTransport(transport http.RoundTripper) Option {
	return func(c *config) error {
		if transport == nil {
			return errors.New("nil transport; omit the option to use http.DefaultTransport")
		}
		c.transport = transport
		return nil
	}
}

// Proxy is a reverse proxy that validates the requests and responses of the spec's operations
// as they pass. It is an http.Handler and is safe for concurrent use.
type Proxy struct {
	upstream  *url.URL
	config    config
	validator *validate.Validator
	reverse   *httputil.ReverseProxy
}

// New returns a Proxy that forwards every request to upstream, an absolute http or https URL.
// The upstream URL's path is prepended to each request's path, as
// httputil.ProxyRequest.SetURL does. With the upstream "http://127.0.0.1:8787", clients use
// the proxy's address followed by "/v1" as their base URL.
func New(upstream string, options ...Option) (*Proxy, error) {
	c := config{mode: ModeReport, logger: slog.New(slog.DiscardHandler), maxBody: DefaultMaxBodyBytes}
	for _, option := range options {
		if err := option(&c); err != nil {
			return nil, err
		}
	}
	target, err := parseUpstream(upstream)
	if err != nil {
		return nil, err
	}
	validator, err := validate.Embedded()
	if err != nil {
		return nil, fmt.Errorf("load the spec validator: %w", err)
	}

	p := &Proxy{upstream: target, config: c, validator: validator}
	p.reverse = &httputil.ReverseProxy{
		Rewrite:        p.rewrite,
		Transport:      c.transport,
		FlushInterval:  -1,
		ModifyResponse: p.modifyResponse,
		ErrorHandler:   p.handleUpstreamError,
		ErrorLog:       slog.NewLogLogger(c.logger.Handler(), slog.LevelError),
	}
	return p, nil
}

// parseUpstream checks that raw is an absolute http or https URL without user information,
// which the proxy would not send upstream. Its errors quote raw with any user information
// replaced, so that no password reaches a message.
func parseUpstream(raw string) (*url.URL, error) {
	const hint = "use the server's address, such as http://127.0.0.1:8787"
	u, problem := keyguard.ParseServerURL(raw)
	if problem != nil {
		reason := problem.Reason
		if problem.UserInfo {
			reason += ", which the proxy does not send; clients send their own Authorization header"
		}
		return nil, fmt.Errorf("invalid upstream URL %q: %s; %s", problem.SafeURL, reason, hint)
	}
	return u, nil
}

// Upstream returns the URL that the proxy forwards to.
func (p *Proxy) Upstream() *url.URL {
	u := *p.upstream
	return &u
}

// Mode returns the proxy's mode.
func (p *Proxy) Mode() Mode { return p.config.mode }

// exchangeKey is the context key of the *exchange of a spec operation's request.
type exchangeKey struct{}

// exchange is what the proxy carries from a spec operation's request to its response.
type exchange struct {
	operation         validate.Operation
	method            string
	path              string
	started           time.Time
	requestViolations int
	// requestUnjudged is set when the request body exceeded the cap and was forwarded
	// without validation.
	requestUnjudged bool
}

// ServeHTTP forwards r upstream. Requests that match a spec operation, under any base path,
// are validated on the way in and their responses on the way out. Other requests and their
// bodies pass through untouched and streamed.
func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	op, err := p.validator.Route(r.Method, r.URL)
	if err != nil {
		p.reverse.ServeHTTP(w, r)
		return
	}
	ex := &exchange{operation: op, method: r.Method, path: r.URL.Path, started: time.Now()}
	if !p.judgeRequest(w, r, ex) {
		return
	}
	p.reverse.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), exchangeKey{}, ex)))
}

func (p *Proxy) rewrite(pr *httputil.ProxyRequest) {
	pr.SetURL(p.upstream)
	pr.SetXForwarded()
	if pr.In.Context().Value(exchangeKey{}) != nil {
		// Without Accept-Encoding, the transport requests gzip itself and decompresses the
		// response, so that the validator reads JSON whatever encoding the client accepts.
		pr.Out.Header.Del("Accept-Encoding")
	}
}

// writeCount sets ViolationsHeader to n.
func writeCount(header http.Header, n int) {
	header.Set(ViolationsHeader, strconv.Itoa(n))
}
