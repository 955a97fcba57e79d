package wrapper

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/tcikit/tci/internal/keyguard"
)

// Environment variables that New reads when the matching option is not given.
const (
	// EnvAPIKey names the variable holding the API key, like WithAPIKey.
	EnvAPIKey = "TOGETHER_API_KEY"
	// EnvBaseURL names the variable holding the base URL, like WithBaseURL.
	EnvBaseURL = "TOGETHER_BASE_URL"
)

// Defaults of the options.
const (
	// DefaultTimeout is the per-attempt timeout, 150 seconds. It covers connecting, waiting for
	// the response and reading its body. One execute on the reference server with its default
	// timeouts takes up to 130 seconds ((*server.Server).MaxRequestDuration). It waits up to 60
	// seconds for its session's turn, after which the server responds 409 session_busy. It then
	// runs up to 60 seconds, and the server allows 10 seconds for the work around both. The 20
	// seconds left over cover the transfer, so that code which runs too long ends with the
	// server's TimeoutError output instead of a client timeout. The official TypeScript SDK
	// (together-ai 0.52.0) times out after 60 seconds instead.
	DefaultTimeout = 150 * time.Second
	// DefaultMaxResponseBytes caps the body of a 2xx response at 48 MiB. An execute response
	// of the reference server is at most its output limit, 32 MiB by default, plus 1 KiB
	// (server.MaxResponseOverhead), so the rest is headroom for servers that size their
	// responses less strictly.
	DefaultMaxResponseBytes = 48 << 20
	// maxMaxRetries bounds WithMaxRetries, so that a typo cannot make a call retry for hours.
	maxMaxRetries = 10
)

// Option configures a Client. Each option checks its argument, and New returns the first
// error.
type Option func(*config) error

// Middleware wraps each attempt of a request: it may inspect or change req, then calls next to
// send it, or returns a response without calling next. It runs once per attempt, so retries pass through
// it again. The request carries the Authorization header, which a middleware must not log.
type Middleware func(req *http.Request, next func(*http.Request) (*http.Response, error)) (*http.Response, error)

// ValidationMode selects what the Client does with a 2xx response that breaks the spec.
type ValidationMode int

const (
	// ValidationStrict returns an *InvalidResponseError listing every violation. It is the
	// default.
	ValidationStrict ValidationMode = iota
	// ValidationReport logs the violations at warning level through the WithLogger logger and
	// returns the result when the body can still be decoded without guessing.
	ValidationReport
	// ValidationOff skips the check against the spec and only decodes.
	ValidationOff
)

// String returns "strict", "report" or "off".
func (m ValidationMode) String() string {
	switch m {
	case ValidationStrict:
		return "strict"
	case ValidationReport:
		return "report"
	case ValidationOff:
		return "off"
	}
	return fmt.Sprintf("ValidationMode(%d)", int(m))
}

// ParseValidationMode parses "strict", "report" or "off", as a command-line flag spells them.
func ParseValidationMode(s string) (ValidationMode, error) {
	for _, m := range []ValidationMode{ValidationStrict, ValidationReport, ValidationOff} {
		if strings.EqualFold(strings.TrimSpace(s), m.String()) {
			return m, nil
		}
	}
	return 0, fmt.Errorf("invalid validation mode %q: use strict, report or off", s)
}

// config is the resolved configuration of a Client. The API key is held as a secret, which
// no printing of a Client or its config can reveal.
type config struct {
	apiKey           secret
	apiKeySet        bool
	baseURL          *url.URL
	httpClient       *http.Client
	timeout          time.Duration
	maxRetries       int
	maxResponseBytes int64
	validation       ValidationMode
	logger           *slog.Logger
	middleware       []Middleware
	userAgent        string
	insecureHTTP     bool
	// getenv reads the variables that fill what the options leave unset.
	getenv func(string) string

	// Test hooks: the wait between attempts, the clock for Retry-After dates and the jitter.
	sleep  func(ctx context.Context, d time.Duration) error
	now    func() time.Time
	random func() float64
}

func defaultConfig() *config {
	return &config{
		timeout:          DefaultTimeout,
		maxRetries:       DefaultMaxRetries,
		maxResponseBytes: DefaultMaxResponseBytes,
		userAgent:        defaultUserAgent,
		getenv:           os.Getenv,
		sleep:            sleepContext,
		now:              time.Now,
		random:           rand.Float64,
	}
}

// WithAPIKey sets the API key, sent as "Authorization: Bearer KEY". Without it New reads
// TOGETHER_API_KEY, and without either no Authorization header is sent. The key must be
// printable ASCII without spaces.
func WithAPIKey(key string) Option {
	return func(c *config) error {
		if err := checkAPIKey(key); err != nil {
			return &OptionError{Option: "WithAPIKey", Err: err}
		}
		c.apiKey, c.apiKeySet = newSecret(key), true
		return nil
	}
}

// checkAPIKey rejects keys that cannot be sent in a header. The error never quotes the key.
func checkAPIKey(key string) error {
	if key == "" {
		return errors.New("API key is empty: pass the key, or leave the key unset to send no " +
			"Authorization header")
	}
	for i := 0; i < len(key); i++ {
		if key[i] <= ' ' || key[i] >= 0x7f {
			return fmt.Errorf("invalid API key: it contains a space, control or non-ASCII character "+
				"at byte %d: set the key without surrounding whitespace or line breaks", i)
		}
	}
	return nil
}

// WithBaseURL sets the server URL that the API paths are appended to, such as
// "http://127.0.0.1:8080/v1" for a local "tci serve", which serves the API under /v1. Without it New reads TOGETHER_BASE_URL,
// and without either it uses the server URL of the spec, https://api.together.ai/v1, where the
// hosted Code Interpreter was removed in 2026-09. The URL must be http or https, with a host and
// without credentials, query or fragment.
func WithBaseURL(rawURL string) Option {
	return func(c *config) error {
		u, err := parseBaseURL(rawURL, "WithBaseURL")
		if err != nil {
			return err
		}
		c.baseURL = u
		return nil
	}
}

// baseURLHint ends the errors of parseBaseURL.
const baseURLHint = "use an absolute http or https URL, such as http://127.0.0.1:8080/v1"

// parseBaseURL parses a base URL and returns it without a trailing slash, or an *OptionError
// for option, the option or variable that held rawURL. No error shows the URL's password.
func parseBaseURL(rawURL, option string) (*url.URL, error) {
	u, problem := keyguard.ParseServerURL(strings.TrimSpace(rawURL))
	if problem != nil {
		reason := problem.Reason
		if problem.UserInfo {
			reason += ", which must go in the API key instead"
		}
		return nil, &OptionError{Option: option, Value: problem.SafeURL,
			Err: fmt.Errorf("invalid base URL %s: %s: %s", quoteShort(problem.SafeURL), reason, baseURLHint)}
	}
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = strings.TrimRight(u.RawPath, "/")
	return u, nil
}

// WithHTTPClient sets the HTTP client that sends requests, for its Transport, Jar or
// CheckRedirect. The client is copied, never changed. Its CheckRedirect still runs, after this
// package removes the Authorization header from redirects that leave the base URL's origin.
// Prefer WithTimeout over the client's Timeout, which a retry cannot tell from a cancellation.
func WithHTTPClient(client *http.Client) Option {
	return func(c *config) error {
		if client == nil {
			return &OptionError{Option: "WithHTTPClient",
				Err: errors.New("HTTP client is nil: omit the option to use a default client")}
		}
		copied := *client
		c.httpClient = &copied
		return nil
	}
}

// WithTimeout sets the timeout of each attempt, covering connecting, waiting for the response
// and reading its body; 0 disables it. The default is DefaultTimeout. The whole call, retries
// and waits included, ends when its context does.
func WithTimeout(d time.Duration) Option {
	return func(c *config) error {
		if d < 0 {
			return &OptionError{Option: "WithTimeout", Value: d.String(),
				Err: fmt.Errorf("invalid timeout %v: use a positive duration, or 0 for no per-attempt "+
					"timeout", d)}
		}
		c.timeout = d
		return nil
	}
}

// WithMaxRetries sets how many times a failed attempt may be retried, from 0 to 10. The
// default is DefaultMaxRetries. Which failures are retried is fixed; see the Client
// documentation.
func WithMaxRetries(n int) Option {
	return func(c *config) error {
		if n < 0 || n > maxMaxRetries {
			return &OptionError{Option: "WithMaxRetries", Value: strconv.Itoa(n),
				Err: fmt.Errorf("invalid retry count %d: use 0 to %d", n, maxMaxRetries)}
		}
		c.maxRetries = n
		return nil
	}
}

// WithMaxResponseBytes caps the size of a 2xx response body; a larger body is an
// *InvalidResponseError wrapping ErrResponseTooLarge. The default is DefaultMaxResponseBytes
// (48 MiB).
func WithMaxResponseBytes(n int64) Option {
	return func(c *config) error {
		if n <= 0 {
			return &OptionError{Option: "WithMaxResponseBytes", Value: strconv.FormatInt(n, 10),
				Err: fmt.Errorf("invalid response size limit %d: use a positive number of bytes", n)}
		}
		c.maxResponseBytes = n
		return nil
	}
}

// WithValidation sets what happens to a 2xx response that breaks the spec. The default is
// ValidationStrict.
func WithValidation(mode ValidationMode) Option {
	return func(c *config) error {
		if mode < ValidationStrict || mode > ValidationOff {
			return &OptionError{Option: "WithValidation", Value: strconv.Itoa(int(mode)),
				Err: fmt.Errorf("invalid validation mode %d: use strict, report or off", int(mode))}
		}
		c.validation = mode
		return nil
	}
}

// WithLogger sets the logger. At debug level the Client logs each attempt with its status,
// duration and retry decision; at warning level, the violations that ValidationReport lets
// through. Headers are never logged, and the API key is removed from every logged message.
// Without this option nothing is logged.
func WithLogger(logger *slog.Logger) Option {
	return func(c *config) error {
		if logger == nil {
			return &OptionError{Option: "WithLogger",
				Err: errors.New("logger is nil: omit the option to log nothing")}
		}
		c.logger = logger
		return nil
	}
}

// WithMiddleware adds a middleware around each attempt. The first one added is the outermost.
func WithMiddleware(m Middleware) Option {
	return func(c *config) error {
		if m == nil {
			return &OptionError{Option: "WithMiddleware",
				Err: errors.New("middleware is nil: pass a function, or omit the option")}
		}
		c.middleware = append(c.middleware, m)
		return nil
	}
}

// WithUserAgent puts a product token such as "my-tool/1.2" in front of the User-Agent, which
// always names this library and its Version.
func WithUserAgent(product string) Option {
	return func(c *config) error {
		product = strings.TrimSpace(product)
		if product == "" {
			return &OptionError{Option: "WithUserAgent",
				Err: errors.New("User-Agent product is empty: pass a token such as my-tool/1.2")}
		}
		for _, r := range product {
			if r < ' ' || r >= 0x7f {
				return &OptionError{Option: "WithUserAgent", Value: product,
					Err: fmt.Errorf("invalid User-Agent product %q: it contains a control or non-ASCII "+
						"character: use printable ASCII such as my-tool/1.2", product)}
			}
		}
		c.userAgent = product + " " + defaultUserAgent
		return nil
	}
}

// WithInsecureHTTP allows sending the API key over plain http:// to a host that is not
// loopback. Without it New fails for such a base URL when a key is set, because anyone on the
// network path could read the key. Loopback hosts (127.0.0.0/8, ::1 and localhost) are always
// allowed.
func WithInsecureHTTP() Option {
	return func(c *config) error {
		c.insecureHTTP = true
		return nil
	}
}

// WithEnvironment sets the function that New reads TOGETHER_API_KEY and TOGETHER_BASE_URL with,
// in place of os.Getenv, such as a lookup in a map that a test or a command controls. With a
// nil getenv New reads no variable, so only the options configure the Client.
func WithEnvironment(getenv func(string) string) Option {
	return func(c *config) error {
		if getenv == nil {
			getenv = func(string) string { return "" }
		}
		c.getenv = getenv
		return nil
	}
}
