package wrapper

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/tcikit/tci/generated"
	"github.com/tcikit/tci/internal/keyguard"
	"github.com/tcikit/tci/validate"
)

// Client calls the Code Interpreter API. It is safe for concurrent use.
//
// Every call validates a 2xx response against the embedded spec before decoding it (see
// ValidationMode). A call is retried only where repeating it is safe (see WithMaxRetries).
// GET /tci/sessions is retried after network errors, 408, 409, 429 and 5xx. POST /tci/execute
// is retried only when the server cannot have run the code: when the connection was never
// established, on 429, and on 503 with Retry-After or Retry-After-Ms. A server's
// "x-should-retry" header overrides that rule.
type Client struct {
	cfg  *config
	doer *doer
	api  *generated.Client
}

// New returns a Client configured by opts, then by TOGETHER_API_KEY and TOGETHER_BASE_URL for
// what the options leave unset, read with os.Getenv unless WithEnvironment replaces it. It
// fails when an option or variable is invalid, and when the API key would travel over plain
// HTTP to a host that is not loopback (see WithInsecureHTTP).
func New(opts ...Option) (*Client, error) {
	cfg := defaultConfig()
	for i, opt := range opts {
		if opt == nil {
			return nil, fmt.Errorf("option %d is nil: pass an option, or leave it out", i)
		}
		if err := opt(cfg); err != nil {
			return nil, err
		}
	}
	validator, err := validate.Embedded()
	if err != nil {
		return nil, fmt.Errorf("load the embedded spec: %w", err)
	}
	if err := cfg.applyEnvironment(validator); err != nil {
		return nil, err
	}
	if cfg.apiKeySet && !cfg.insecureHTTP {
		if err := keyguard.CheckURL(cfg.baseURL, "WithInsecureHTTP"); err != nil {
			return nil, err
		}
	}

	d := newDoer(cfg, validator)
	api, err := generated.NewClient(cfg.baseURL.String(),
		generated.WithHTTPClient(d),
		generated.WithRequestEditorFn(cfg.editRequest))
	if err != nil {
		return nil, fmt.Errorf("create the generated client: %w", err)
	}
	return &Client{cfg: cfg, doer: d, api: api}, nil
}

// applyEnvironment fills the API key and base URL from the environment when no option set them,
// and falls back to the spec's server URL.
func (c *config) applyEnvironment(validator *validate.Validator) error {
	if key := c.getenv(EnvAPIKey); !c.apiKeySet && key != "" {
		if err := checkAPIKey(key); err != nil {
			return &OptionError{Option: EnvAPIKey, Err: err}
		}
		c.apiKey, c.apiKeySet = newSecret(key), true
	}
	if raw := c.getenv(EnvBaseURL); c.baseURL == nil && raw != "" {
		u, err := parseBaseURL(raw, EnvBaseURL)
		if err != nil {
			return err
		}
		c.baseURL = u
	}
	if c.baseURL == nil {
		servers := validator.Document().Servers
		if len(servers) == 0 {
			return fmt.Errorf("the spec lists no server URL; set %s or use WithBaseURL", EnvBaseURL)
		}
		u, err := parseBaseURL(servers[0].URL, "")
		if err != nil {
			return fmt.Errorf("the spec's server URL is invalid: %v", err) // not an option of the caller
		}
		c.baseURL = u
	}
	return nil
}

// editRequest sets the headers of every request: User-Agent, Accept and, when a key is set,
// Authorization.
func (c *config) editRequest(_ context.Context, req *http.Request) error {
	req.Header.Set("User-Agent", c.userAgent)
	req.Header.Set("Accept", "application/json")
	if c.apiKeySet {
		req.Header.Set("Authorization", "Bearer "+c.apiKey.value())
	}
	return nil
}

// BaseURL returns the server URL that the API paths are appended to.
func (c *Client) BaseURL() string { return c.cfg.baseURL.String() }

// ValidationMode returns the mode that 2xx responses are checked with.
func (c *Client) ValidationMode() ValidationMode { return c.cfg.validation }

// errNilContext is returned for a nil context, which the generated client would panic on.
var errNilContext = errors.New("context is nil; pass context.Background() or a request's context")

// Execute runs code in a Python session on the server and returns its outputs. Without
// WithSessionID the server starts a new session; Result.SessionID names it for later calls.
//
// Code that raises an exception still returns a Result, whose Err method reports it. The error
// is an *APIError when no 2xx response arrived, an *InvalidResponseError when the response
// cannot be used, and a *FailedError when the server reports that the execution failed.
func (c *Client) Execute(ctx context.Context, code string, opts ...ExecuteOption) (*Result, error) {
	if ctx == nil {
		return nil, errNilContext
	}
	body, err := newExecuteRequest(code, opts)
	if err != nil {
		return nil, err
	}
	resp, err := c.api.ExecuteCode(ctx, body)
	if err != nil {
		return nil, err
	}
	buffered, err := bufferedBodyOf(resp)
	if err != nil {
		return nil, err
	}
	result, err := DecodeExecuteResponse(buffered.data)
	if err != nil {
		return nil, c.doer.decodeError(err, resp, buffered)
	}
	result.redact = c.doer.redact
	return result, nil
}

// ListSessions returns the caller's active sessions. Errors are typed as for Execute; a
// *FailedError means the list came back with errors instead of sessions.
func (c *Client) ListSessions(ctx context.Context) ([]Session, error) {
	if ctx == nil {
		return nil, errNilContext
	}
	resp, err := c.api.ListSessions(ctx)
	if err != nil {
		return nil, err
	}
	buffered, err := bufferedBodyOf(resp)
	if err != nil {
		return nil, err
	}
	sessions, err := DecodeSessionList(buffered.data)
	if err != nil {
		return nil, c.doer.decodeError(err, resp, buffered)
	}
	return sessions, nil
}

func bufferedBodyOf(resp *http.Response) (*bufferedBody, error) {
	buffered, ok := resp.Body.(*bufferedBody)
	if !ok {
		// Only the doer creates responses for the generated client, so this is a bug here.
		_ = resp.Body.Close()
		return nil, fmt.Errorf("internal error: response body of type %T was not read by the doer", resp.Body)
	}
	return buffered, nil
}

// decodeError completes an error of DecodeExecuteResponse or DecodeSessionList with the
// request, the response and the violations that ValidationReport let through, and removes the
// API key from it.
func (d *doer) decodeError(err error, resp *http.Response, body *bufferedBody) error {
	var failed *FailedError
	if errors.As(err, &failed) {
		for i, item := range failed.Errors {
			failed.Errors[i] = d.redactErrorItem(item)
		}
		return failed
	}
	var invalidErr *InvalidResponseError
	if !errors.As(err, &invalidErr) {
		return d.redact.error(err)
	}
	invalidErr.Violations = append(append([]validate.Violation(nil), body.reported...), invalidErr.Violations...)
	return d.describe(invalidErr, body.method, body.url, resp, body.data)
}

func (d *doer) redactErrorItem(item generated.ResponseError) generated.ResponseError {
	raw, err := item.MarshalJSON()
	if err != nil {
		return item
	}
	clean := d.redact.bytes(raw)
	if bytes.Equal(clean, raw) {
		return item
	}
	var out generated.ResponseError
	if out.UnmarshalJSON(clean) != nil {
		return item
	}
	return out
}
