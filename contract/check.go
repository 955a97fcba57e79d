package contract

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/tcikit/tci/internal/keyguard"
	"github.com/tcikit/tci/validate"
)

// ErrInsecureHTTP is wrapped in the error of Check when the API key would be sent over plain
// http:// to a host that is not loopback. It is the same value as wrapper.ErrInsecureHTTP.
var ErrInsecureHTTP = keyguard.ErrInsecureHTTP

// DefaultScenarioTimeout bounds one scenario, all its requests included, unless
// WithScenarioTimeout sets another bound.
const DefaultScenarioTimeout = 60 * time.Second

// CheckOption configures Check.
type CheckOption func(*checkConfig) error

type checkConfig struct {
	apiKey       string
	insecureHTTP bool
	run          *regexp.Regexp
	client       *http.Client
	timeout      time.Duration
	progress     func(Result)
}

// WithAPIKey sends key as a bearer token with every request except those of the scenarios that
// test rejection. Without a key the auth scenarios are skipped, because they cannot tell a
// server that rejects a wrong token from one that ignores tokens.
func WithAPIKey(key string) CheckOption {
	return func(c *checkConfig) error {
		if key == "" {
			return errors.New("empty API key; omit the option to run without a key")
		}
		if strings.ContainsAny(key, "\r\n") {
			return errors.New("invalid API key: it contains a line break")
		}
		c.apiKey = key
		return nil
	}
}

// WithInsecureHTTP allows sending the API key over plain http:// to a host that is not
// loopback. Without it Check fails for such a base URL when WithAPIKey sets a key, because
// anyone on the network path could read the key. Loopback hosts (127.0.0.0/8, ::1 and
// localhost) are always allowed.
func WithInsecureHTTP() CheckOption {
	return func(c *checkConfig) error {
		c.insecureHTTP = true
		return nil
	}
}

// WithRun selects the scenarios whose name matches the regular expression pattern, unanchored
// as with "go test -run". An empty pattern selects every scenario.
func WithRun(pattern string) CheckOption {
	return func(c *checkConfig) error {
		re, err := regexp.Compile(pattern)
		if err != nil {
			return fmt.Errorf("invalid scenario pattern %q: %w", pattern, err)
		}
		c.run = re
		return nil
	}
}

// WithHTTPClient sends the requests through a copy of client. The default is a client with no
// timeout of its own; each scenario is bounded by its context instead. The client's
// CheckRedirect still runs, after Check removes the Authorization header from redirects that
// leave the base URL's origin.
func WithHTTPClient(client *http.Client) CheckOption {
	return func(c *checkConfig) error {
		if client == nil {
			return errors.New("nil HTTP client; omit the option to use the default client")
		}
		copied := *client
		c.client = &copied
		return nil
	}
}

// WithScenarioTimeout bounds each scenario, all its requests included. The default is
// DefaultScenarioTimeout.
func WithScenarioTimeout(d time.Duration) CheckOption {
	return func(c *checkConfig) error {
		if d <= 0 {
			return fmt.Errorf("invalid scenario timeout %v: it must be positive", d)
		}
		c.timeout = d
		return nil
	}
}

// WithProgress calls report with each result as soon as its scenario ends, before Check
// returns, so that a command can print results while the rest still run.
func WithProgress(report func(Result)) CheckOption {
	return func(c *checkConfig) error {
		c.progress = report
		return nil
	}
}

// Check runs the selected scenarios one after another against the server at baseURL, the API
// root that the spec's paths are relative to (such as "http://127.0.0.1:8787/v1"). It validates
// every response against the spec and returns a report with one result per scenario.
//
// Check returns an error only when it cannot run: an invalid base URL or option, a pattern that
// selects no scenario, or a validator that fails to load. It also returns one wrapping
// ErrInsecureHTTP when the API key would travel over plain HTTP to a host that is not
// loopback (see WithInsecureHTTP). A server that is down or breaks the
// spec yields failed results, not an error. When ctx ends, the remaining scenarios fail with the
// context's error.
func Check(ctx context.Context, baseURL string, options ...CheckOption) (*CheckReport, error) {
	config := checkConfig{client: &http.Client{}, timeout: DefaultScenarioTimeout}
	for _, option := range options {
		if err := option(&config); err != nil {
			return nil, err
		}
	}
	parsed, err := parseBaseURL(baseURL)
	if err != nil {
		return nil, err
	}
	base := parsed.String()
	if config.apiKey != "" && !config.insecureHTTP {
		if err := keyguard.CheckURL(parsed, "WithInsecureHTTP"); err != nil {
			return nil, err
		}
	}
	config.client.CheckRedirect = keyguard.StripOnRedirect(config.client.CheckRedirect)
	selected := selectScenarios(config.run)
	if len(selected) == 0 {
		return nil, fmt.Errorf("no scenario matches %q; scenarios: %s",
			config.run.String(), strings.Join(ScenarioNames(), ", "))
	}
	validator, err := validate.Embedded()
	if err != nil {
		return nil, fmt.Errorf("load the spec validator: %w", err)
	}

	report := &CheckReport{BaseURL: base}
	started := time.Now()
	for _, s := range selected {
		result := runScenario(ctx, s, &config, base, validator)
		report.Results = append(report.Results, result)
		if config.progress != nil {
			config.progress(result)
		}
	}
	report.Duration = time.Since(started)
	return report, nil
}

// parseBaseURL checks that raw is an absolute http or https URL without user information and
// returns it without a trailing slash in its path. Its errors quote raw with any user
// information replaced, so that no password reaches a message.
func parseBaseURL(raw string) (*url.URL, error) {
	const hint = "use the server's API root, such as http://127.0.0.1:8787/v1"
	u, problem := keyguard.ParseServerURL(raw)
	if problem != nil {
		reason := problem.Reason
		if problem.UserInfo {
			reason += "; give the server's token as the API key instead"
		}
		return nil, fmt.Errorf("invalid base URL %q: %s; %s", problem.SafeURL, reason, hint)
	}
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = strings.TrimRight(u.RawPath, "/")
	return u, nil
}

func selectScenarios(run *regexp.Regexp) []scenario {
	var selected []scenario
	for _, s := range scenarios {
		if run == nil || run.MatchString(s.name) {
			selected = append(selected, s)
		}
	}
	return selected
}

// runScenario runs s under its own timeout and turns what it returned and the violations its
// requests collected into a Result.
func runScenario(
	ctx context.Context, s scenario, config *checkConfig, base string, validator *validate.Validator,
) Result {
	ctx, cancel := context.WithTimeout(ctx, config.timeout)
	defer cancel()
	r := &runner{base: base, apiKey: config.apiKey, client: config.client, validator: validator}

	started := time.Now()
	err := s.run(ctx, r)
	result := Result{
		Scenario:   s.name,
		Duration:   time.Since(started),
		Violations: r.violations,
	}

	// Violations come first in the reason, because a response that breaks the spec often
	// makes the scenario's own assertions fail too.
	var reasons []string
	if len(r.violations) > 0 {
		reasons = append(reasons, fmt.Sprintf("%s, the first: %s",
			plural(len(r.violations), "spec violation", "spec violations"), r.violations[0].String()))
	}
	var skipped *skipError
	switch {
	case errors.As(err, &skipped):
		result.Outcome = Skip
		reasons = append(reasons, skipped.reason)
	case err != nil:
		result.Outcome = Fail
		reasons = append(reasons, err.Error())
	case len(r.violations) > 0:
		result.Outcome = Fail
	default:
		result.Outcome = Pass
	}
	result.Reason = strings.Join(reasons, "; ")
	return result
}
