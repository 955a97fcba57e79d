package main

import (
	"context"
	"net"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tcikit/tci/internal/syncbuffer"
	"github.com/tcikit/tci/server"
	"github.com/tcikit/tci/wrapper"
)

// serving is a "tci serve" or "tci proxy" that runs in-process until stop.
type serving struct {
	baseURL string
	stderr  *syncbuffer.Buffer
	stop    func() outcome
}

// startServing runs the long-running command args in-process and waits for the base URL
// that it prints.
func startServing(t *testing.T, env map[string]string, args ...string) *serving {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	var stdout, stderr syncbuffer.Buffer
	done := make(chan outcome, 1)
	go func() {
		done <- invocation{args: args, env: env, ctx: ctx, stdout: &stdout, stderr: &stderr}.run(t)
	}()

	s := &serving{stderr: &stderr}
	var stopped *outcome
	s.stop = func() outcome {
		t.Helper()
		if stopped != nil {
			return *stopped
		}
		cancel()
		select {
		case o := <-done:
			o.stdout, o.stderr = stdout.String(), stderr.String()
			stopped = &o
			return o
		case <-time.After(30 * time.Second):
			t.Fatalf("%s did not stop within 30s of the interrupt; stderr:\n%s", args[0], stderr.String())
			return outcome{}
		}
	}
	t.Cleanup(func() { s.stop() })

	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		if m := baseURLLine.FindStringSubmatch(stdout.String()); m != nil {
			s.baseURL = m[1]
			return s
		}
		select {
		case o := <-done:
			t.Fatalf("%s exited with status %d before printing its base URL; stderr:\n%s",
				args[0], o.code, stderr.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
	t.Fatalf("%s printed no base URL within 15s; stderr:\n%s", args[0], stderr.String())
	return nil
}

func TestServeRunsAndStops(t *testing.T) {
	t.Parallel()
	s := startServing(t, nil, "serve", "--addr", "127.0.0.1:0")
	if !strings.HasPrefix(s.baseURL, "http://127.0.0.1:") || !strings.HasSuffix(s.baseURL, "/v1") {
		t.Errorf("base URL = %q, want http://127.0.0.1:PORT/v1", s.baseURL)
	}
	o := tciEnv(t, map[string]string{"TOGETHER_BASE_URL": s.baseURL}, "exec", "print(sum(range(10)))")
	o.expectCode(t, exitOK)
	if o.stdout != "45\n" {
		t.Errorf("stdout = %q, want %q", o.stdout, "45\n")
	}
	id := sessionOf(t, o)

	stopped := s.stop()
	stopped.expectCode(t, exitOK)
	for _, want := range []string{
		"serving the Code Interpreter API", "auth=none", "no token set",
		`msg="session started" session=` + id, "stopping", "msg=stopped",
	} {
		if !strings.Contains(stopped.stderr, want) {
			t.Errorf("log lacks %q:\n%s", want, stopped.stderr)
		}
	}
	if after := tci(t, "--base-url", s.baseURL, "--max-retries", "0", "exec", "1"); after.code != exitRequest {
		t.Errorf("exec after stop: exit status %d, want %d", after.code, exitRequest)
	}
}

func TestServeRequiresToken(t *testing.T) {
	t.Parallel()
	const token = "tci-serve-token-canary-42"
	s := startServing(t, map[string]string{"TCI_SERVER_TOKEN": token}, "serve", "--addr", "127.0.0.1:0")

	noKey := tci(t, "--base-url", s.baseURL, "exec", "1")
	noKey.expectCode(t, exitRequest)
	if !strings.Contains(noKey.stderr, "401 Unauthorized") {
		t.Errorf("stderr lacks the 401:\n%s", noKey.stderr)
	}
	withKey := tciEnv(t, map[string]string{"TOGETHER_BASE_URL": s.baseURL, "TOGETHER_API_KEY": token},
		"exec", "print('authorized')")
	withKey.expectCode(t, exitOK)
	if withKey.stdout != "authorized\n" {
		t.Errorf("stdout = %q", withKey.stdout)
	}

	stopped := s.stop()
	stopped.expectCode(t, exitOK)
	if !strings.Contains(stopped.stderr, "auth=\"bearer token\"") {
		t.Errorf("log does not say that a token is required:\n%s", stopped.stderr)
	}
	for name, text := range map[string]string{"stdout": stopped.stdout, "stderr": stopped.stderr,
		"client stderr": noKey.stderr + withKey.stderr} {
		if strings.Contains(text, token) {
			t.Errorf("%s contains the token:\n%s", name, text)
		}
	}
}

func TestServeExecTimeoutFlag(t *testing.T) {
	t.Parallel()
	s := startServing(t, nil, "serve", "--addr", "127.0.0.1:0", "--exec-timeout", "1s")
	started := time.Now()
	o := tci(t, "--base-url", s.baseURL, "exec", "import time\ntime.sleep(30)")
	o.expectCode(t, exitFailed)
	if !strings.Contains(o.stderr, "TimeoutError") {
		t.Errorf("stderr lacks the server's TimeoutError:\n%s", o.stderr)
	}
	if elapsed := time.Since(started); elapsed > 10*time.Second {
		t.Errorf("execute ran %v with --exec-timeout 1s", elapsed)
	}
}

func TestServeRejectsOpenAddressWithoutToken(t *testing.T) {
	t.Parallel()
	for _, addr := range []string{"0.0.0.0:0", ":0", "[::]:0", "example.test:8080"} {
		o := tci(t, "serve", "--addr", addr)
		o.expectCode(t, exitUsage)
		if !strings.Contains(o.stderr, "is not a loopback address and no token is set") {
			t.Errorf("--addr %s: stderr = %q", addr, o.stderr)
		}
	}
}

func TestServeUsageErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"serve", "--exec-timeout", "0"}, "--exec-timeout must be positive"},
		{[]string{"serve", "--session-ttl", "-5m"}, "negative duration"},
		{[]string{"serve", "--session-ttl", "forever"}, "not a duration"},
		{[]string{"serve", "--addr", "8080"}, `--addr "8080": address 8080: missing port in address`},
		{[]string{"serve", "now"}, `serve takes no arguments, got "now"`},
	}
	for _, tt := range tests {
		o := tci(t, tt.args...)
		o.expectCode(t, exitUsage)
		if !strings.Contains(o.stderr, tt.want) {
			t.Errorf("%v: stderr = %q, want it to contain %q", tt.args, o.stderr, tt.want)
		}
	}
}

func TestServeAddressInUseExitsOne(t *testing.T) {
	t.Parallel()
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer listener.Close()
	o := tci(t, "serve", "--addr", listener.Addr().String())
	o.expectCode(t, exitFailed)
	if !strings.Contains(o.stderr, "address already in use") {
		t.Errorf("stderr = %q", o.stderr)
	}
}

func TestServeMissingPythonExitsOne(t *testing.T) {
	t.Parallel()
	o := tci(t, "serve", "--addr", "127.0.0.1:0", "--python", "/nonexistent/python3")
	o.expectCode(t, exitFailed)
	want := `tci: python interpreter "/nonexistent/python3" not found; install Python 3, or give its ` +
		"path with --python or TCI_PYTHON\n"
	if o.stderr != want {
		t.Errorf("stderr = %q, want %q", o.stderr, want)
	}
}

func TestExecMissingPythonExitsThree(t *testing.T) {
	t.Parallel()
	o := tciEnv(t, map[string]string{"TCI_PYTHON": "/nonexistent/python3"}, "exec", "1")
	o.expectCode(t, exitRequest)
	if !strings.Contains(o.stderr, "tci: start the local reference server: ") {
		t.Errorf("stderr = %q", o.stderr)
	}
	if !strings.Contains(o.stderr, "--python or TCI_PYTHON") || goOption.MatchString(o.stderr) {
		t.Errorf("stderr = %q, want the flag and variable, and no Go option", o.stderr)
	}
}

func TestServeRejectsTokenWithSpace(t *testing.T) {
	t.Parallel()
	tests := []struct {
		env  map[string]string
		args []string
		want string
	}{
		{nil, []string{"--token", "tok en"}, "tci: --token: the token contains white space or a control " +
			"character at byte 3"},
		{map[string]string{"TCI_SERVER_TOKEN": "token\n"}, nil, "tci: TCI_SERVER_TOKEN: the token contains"},
	}
	for _, tt := range tests {
		o := tciEnv(t, tt.env, append([]string{"serve", "--addr", "127.0.0.1:0"}, tt.args...)...)
		o.expectCode(t, exitUsage)
		if !strings.HasPrefix(o.stderr, tt.want) {
			t.Errorf("stderr = %q, want it to start with %q", o.stderr, tt.want)
		}
		if goOption.MatchString(o.stderr) || strings.Contains(o.stderr, "tok en") {
			t.Errorf("stderr = %q names a Go option or shows the token", o.stderr)
		}
	}
}

func TestServeStopWaitsForRunningExecute(t *testing.T) {
	t.Parallel()
	s := startServing(t, nil, "serve", "--addr", "127.0.0.1:0")
	client := make(chan outcome, 1)
	go func() {
		client <- tci(t, "--base-url", s.baseURL, "exec", "import time\ntime.sleep(1)\nprint('finished')")
	}()
	waitForMatch(t, s.stderr, regexp.MustCompile(`msg="session started"`), 10*time.Second)

	stopped := s.stop()
	stopped.expectCode(t, exitOK)
	o := <-client
	o.expectCode(t, exitOK)
	if o.stdout != "finished\n" {
		t.Errorf("stdout of the execute running at the stop = %q, want %q", o.stdout, "finished\n")
	}
}

func TestServeWarnsAboutShortToken(t *testing.T) {
	t.Parallel()
	s := startServing(t, map[string]string{"TCI_SERVER_TOKEN": "short-token"}, "serve", "--addr", "127.0.0.1:0")
	stopped := s.stop()
	stopped.expectCode(t, exitOK)
	if !strings.Contains(stopped.stderr, "the token is shorter than 16 bytes") {
		t.Errorf("log lacks the warning about the short token:\n%s", stopped.stderr)
	}
	if strings.Contains(stopped.stderr, "short-token") {
		t.Errorf("log shows the token:\n%s", stopped.stderr)
	}
}

func TestServeWriteTimeoutCoversBusySession(t *testing.T) {
	for _, execTimeout := range []time.Duration{time.Second, server.DefaultExecTimeout, 10 * time.Minute} {
		reference, err := server.New(server.WithExecTimeout(execTimeout))
		if err != nil {
			t.Fatal(err)
		}
		defer reference.Close()
		// An execute may wait execTimeout for its session's turn, then run execTimeout.
		if got := newHTTPServer(reference).WriteTimeout; got <= 2*execTimeout {
			t.Errorf("exec timeout %v: WriteTimeout = %v, want more than %v", execTimeout, got, 2*execTimeout)
		}
	}
}

func TestDefaultTimeoutsCoverLongestRequest(t *testing.T) {
	if got := defaultGlobalFlags().timeout; got != wrapper.DefaultTimeout {
		t.Errorf("default --timeout = %v, want the wrapper's %v", got, wrapper.DefaultTimeout)
	}
	reference, err := server.New()
	if err != nil {
		t.Fatal(err)
	}
	defer reference.Close()
	if limit := reference.MaxRequestDuration(); defaultTimeout <= limit {
		t.Errorf("default --timeout = %v, want more than the longest request, %v", defaultTimeout, limit)
	}
	if limit := reference.MaxRequestDuration(); proxyShutdownGrace <= limit {
		t.Errorf("proxy grace = %v, want more than the longest request, %v", proxyShutdownGrace, limit)
	}
}
