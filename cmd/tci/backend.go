package main

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os/exec"
	"sync"
	"time"

	"github.com/tcikit/tci/internal/keyguard"
	"github.com/tcikit/tci/server"
	"github.com/tcikit/tci/validate"
	"github.com/tcikit/tci/wrapper"
)

// envServerToken names the variable holding the token of "tci serve".
const envServerToken = "TCI_SERVER_TOKEN"

// envPython names the variable choosing the interpreter of the reference server, as in
// package server.
const envPython = "TCI_PYTHON"

// target is the server that exec, sessions and check send requests to.
type target struct {
	baseURL string
	// baseURLSource names where baseURL came from, for error messages.
	baseURLSource string
	apiKey        string
	apiKeySource  string
	// local is the in-process reference server, nil for a remote server.
	local *localServer
}

// close stops the local server, if any, and kills its sessions.
func (t *target) close() {
	if t.local != nil {
		t.local.close()
	}
}

// resolveTarget picks the server from the global flags and the environment. It starts the
// reference server in-process with --local, and when neither a base URL nor an API key is
// configured. With a key but no base URL it uses the spec's server URL, unless
// localWithoutBaseURL, as check sets, starts the local server then too.
func (c *cli) resolveTarget(localWithoutBaseURL bool) (*target, error) {
	t := &target{baseURL: c.global.baseURL, baseURLSource: "--base-url",
		apiKey: c.global.apiKey, apiKeySource: "--api-key"}
	if t.baseURL == "" {
		t.baseURL, t.baseURLSource = c.getenv(wrapper.EnvBaseURL), wrapper.EnvBaseURL
	}
	if t.apiKey == "" {
		t.apiKey, t.apiKeySource = c.getenv(wrapper.EnvAPIKey), wrapper.EnvAPIKey
	}

	if _, err := wrapper.ParseValidationMode(c.global.validation); err != nil {
		return nil, usageErrorf("--validation: %v", err)
	}
	var reason string
	switch {
	case c.global.local && c.global.baseURL != "":
		return nil, usageErrorf("--local and --base-url %s contradict each other; give one of them",
			redactURL(c.global.baseURL))
	case c.global.local:
		reason = "--local"
	case t.baseURL == "" && t.apiKey == "":
		reason = "no TOGETHER_BASE_URL or TOGETHER_API_KEY set"
	case t.baseURL == "" && localWithoutBaseURL:
		reason = "no --base-url or TOGETHER_BASE_URL set"
	case t.baseURL == "":
		specURL, err := specServerURL()
		if err != nil {
			return nil, err
		}
		t.baseURL, t.baseURLSource = specURL, "the spec's server URL"
	}
	if reason == "" {
		c.warnShortKey(t)
		return t, nil
	}

	python := c.pythonCommand()
	if err := c.checkPython(python); err != nil {
		return nil, &exitError{code: exitRequest, err: fmt.Errorf("start the local reference server: %w", err)}
	}
	local, err := startLocalServer(python)
	if err != nil {
		return nil, &exitError{code: exitRequest, err: fmt.Errorf("start the local reference server: %w", err)}
	}
	fmt.Fprintf(c.stderr, "tci: %s; running on the local reference server (%s)\n", reason, python)
	t.baseURL, t.baseURLSource = local.url, "the local reference server"
	t.apiKey, t.apiKeySource = local.token, "the local reference server's token"
	t.local = local
	return t, nil
}

// pythonCommand returns the interpreter for a reference server that tci starts.
func (c *cli) pythonCommand() string {
	if c.global.python != "" {
		return c.global.python
	}
	if python := c.getenv(envPython); python != "" {
		return python
	}
	return "python3"
}

// checkPython fails when the interpreter cannot be found, with a message that names the flag
// and the variable that choose it. The server checks it too, but names its Go option.
func (c *cli) checkPython(python string) error {
	if _, err := exec.LookPath(python); err != nil {
		return fmt.Errorf("python interpreter %q not found; install Python 3, or give its path with "+
			"--python or %s", python, envPython)
	}
	return nil
}

// specServerURL returns the first server URL of the embedded spec.
func specServerURL() (string, error) {
	validator, err := validate.Embedded()
	if err != nil {
		return "", fmt.Errorf("load the embedded spec: %w", err)
	}
	servers := validator.Document().Servers
	if len(servers) == 0 {
		return "", usageErrorf("the spec lists no server URL; set %s or --base-url", wrapper.EnvBaseURL)
	}
	return servers[0].URL, nil
}

// localServer is a reference server that tci runs in-process on a random loopback port for
// the duration of one command, protected by a random token.
type localServer struct {
	reference *server.Server
	http      *http.Server
	served    chan struct{}
	url       string
	token     string
}

func startLocalServer(python string) (*localServer, error) {
	token, err := randomToken()
	if err != nil {
		return nil, err
	}
	reference, err := server.New(server.WithPython(python), server.WithToken(token))
	if err != nil {
		return nil, err
	}
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		reference.Close()
		return nil, fmt.Errorf("listen on a loopback port: %w", err)
	}
	l := &localServer{
		reference: reference,
		http:      newHTTPServer(reference),
		served:    make(chan struct{}),
		url:       "http://" + listener.Addr().String() + server.BasePath,
		token:     token,
	}
	go func() {
		defer close(l.served)
		_ = l.http.Serve(listener) // always ErrServerClosed or a listener error after close
	}()
	return l, nil
}

// close stops serving at once, because the command has no request left that it waits for,
// and then kills the sessions, including one whose execute a canceled request left running.
func (l *localServer) close() {
	_ = l.http.Close()
	<-l.served
	_ = l.reference.Close()
}

// newHTTPServer returns an http.Server for the reference server. Its write timeout exceeds
// the longest request, an execute that waits for its session's turn and then runs until the
// server stops it, so that such an execute still gets its response with the TimeoutError
// output.
func newHTTPServer(reference *server.Server) *http.Server {
	return &http.Server{
		Handler:           reference.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       time.Minute,
		WriteTimeout:      reference.MaxRequestDuration() + writeTimeoutMargin,
		IdleTimeout:       2 * time.Minute,
	}
}

func randomToken() (string, error) {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("generate a token: %w", err)
	}
	return "tci_" + hex.EncodeToString(b), nil
}

// newClient returns a wrapper client for t configured by the global flags. With rec, every
// response body passes through rec, for --json.
func (c *cli) newClient(t *target, rec *recorder) (*wrapper.Client, error) {
	mode, err := wrapper.ParseValidationMode(c.global.validation)
	if err != nil {
		return nil, usageErrorf("--validation: %v", err)
	}
	options := []wrapper.Option{
		// The client sees the environment of run only, never that of the process.
		wrapper.WithEnvironment(c.getenv),
		wrapper.WithBaseURL(t.baseURL),
		wrapper.WithTimeout(c.global.timeout),
		wrapper.WithMaxRetries(c.global.maxRetries),
		wrapper.WithMaxResponseBytes(int64(c.global.maxResponseBytes)),
		wrapper.WithValidation(mode),
		wrapper.WithUserAgent("tci/" + wrapper.Version),
		wrapper.WithLogger(warningLogger(c.stderr)),
	}
	if t.apiKey != "" {
		options = append(options, wrapper.WithAPIKey(t.apiKey))
	}
	if c.global.insecureHTTP {
		options = append(options, wrapper.WithInsecureHTTP())
	}
	if rec != nil {
		rec.limit = int64(c.global.maxResponseBytes)
		options = append(options, wrapper.WithMiddleware(rec.middleware))
	}
	client, err := wrapper.New(options...)
	if err != nil {
		return nil, configError(err, t)
	}
	return client, nil
}

// optionSources names, for each wrapper option that the command sets from a flag, the flag.
// The base URL and the API key come from a flag or a variable, which the target names.
var optionSources = map[string]string{
	"WithTimeout":          "--timeout",
	"WithMaxRetries":       "--max-retries",
	"WithMaxResponseBytes": "--max-response-bytes",
	"WithValidation":       "--validation",
	"WithSessionID":        "--session",
	"WithFile":             "--upload",
}

// configError turns an error of wrapper.New or of an execute option into a usage error that
// names the flag or variable that held the invalid value.
func configError(err error, t *target) error {
	if errors.Is(err, wrapper.ErrInsecureHTTP) {
		return insecureHTTPError(t.baseURL)
	}
	var optErr *wrapper.OptionError
	if !errors.As(err, &optErr) {
		return usageError(err)
	}
	source := optionSources[optErr.Option]
	switch optErr.Option {
	case "WithBaseURL":
		source = t.baseURLSource
	case "WithAPIKey":
		source = t.apiKeySource
	}
	if source == "" {
		return usageError(err)
	}
	return usageErrorf("%s: %v", source, optErr)
}

// insecureHTTPError is the usage error for an API key that would travel over plain HTTP to
// a host that is not loopback, which the wrapper client and contract.Check reject unless
// --insecure-http allows it.
func insecureHTTPError(baseURL string) error {
	return usageErrorf("refusing to send the API key over plain HTTP to %s, where anyone on the "+
		"network path can read it; use an https:// base URL or a loopback address, or allow it with "+
		"--insecure-http", hostOf(baseURL))
}

func hostOf(rawURL string) string {
	if u, err := url.Parse(rawURL); err == nil && u.Host != "" {
		return u.Host
	}
	return redactURL(rawURL)
}

// redactURL returns rawURL quoted for an error message, without the user information that a
// URL may carry.
func redactURL(rawURL string) string {
	return fmt.Sprintf("%q", keyguard.RedactURL(rawURL))
}

// warningLogger returns the logger for warnings of the wrapper client, such as the spec
// violations that --validation report lets through.
func warningLogger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{
		Level: slog.LevelWarn,
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if len(groups) == 0 && a.Key == slog.TimeKey {
				return slog.Attr{}
			}
			return a
		},
	}))
}

// recorder keeps the body of the last response that the client received, so that --json
// can print the response as the server sent it.
type recorder struct {
	// limit is the client's limit on response bodies. The recorder keeps one byte more, so
	// that a larger body still reaches the client as too large.
	limit int64
	mu    sync.Mutex
	body  []byte
}

// middleware reads the response body, keeps it and hands the client an identical body,
// including the error of a read that failed.
func (r *recorder) middleware(req *http.Request,
	next func(*http.Request) (*http.Response, error)) (*http.Response, error) {
	resp, err := next(req)
	if err != nil {
		return resp, err
	}
	body, readErr := io.ReadAll(io.LimitReader(resp.Body, r.limit+1))
	_ = resp.Body.Close()
	r.mu.Lock()
	r.body = body
	r.mu.Unlock()
	var replay io.Reader = bytes.NewReader(body)
	if readErr != nil {
		replay = io.MultiReader(replay, &failingReader{err: readErr})
	}
	resp.Body = io.NopCloser(replay)
	return resp, nil
}

func (r *recorder) last() []byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.body
}

type failingReader struct{ err error }

func (f *failingReader) Read([]byte) (int, error) { return 0, f.err }
