package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tcikit/tci/internal/syncbuffer"
)

// invocation is one in-process run of the CLI.
type invocation struct {
	args  []string
	env   map[string]string
	stdin string
	// stdinReader, when set, is standard input instead of stdin.
	stdinReader io.Reader
	ctx         context.Context
	// stdout and stderr, when set, receive the output instead of fresh buffers, for tests
	// that read it while the command runs.
	stdout, stderr io.Writer
}

// outcome is the exit status and output of one run.
type outcome struct {
	code   int
	stdout string
	stderr string
}

// tci runs the CLI in-process with args and an empty environment.
func tci(t *testing.T, args ...string) outcome {
	t.Helper()
	return invocation{args: args}.run(t)
}

// tciEnv runs the CLI in-process with args and env as its whole environment.
func tciEnv(t *testing.T, env map[string]string, args ...string) outcome {
	t.Helper()
	return invocation{args: args, env: env}.run(t)
}

func (in invocation) run(t *testing.T) outcome {
	t.Helper()
	ctx := in.ctx
	if ctx == nil {
		ctx = t.Context()
	}
	var stdout, stderr syncbuffer.Buffer
	var out, errOut io.Writer = &stdout, &stderr
	if in.stdout != nil {
		out = in.stdout
	}
	if in.stderr != nil {
		errOut = in.stderr
	}
	var stdin io.Reader = strings.NewReader(in.stdin)
	if in.stdinReader != nil {
		stdin = in.stdinReader
	}
	code := run(ctx, in.args, stdin, out, errOut, fakeEnv(in.env))
	return outcome{code: code, stdout: stdout.String(), stderr: stderr.String()}
}

// fakeEnv returns a getenv over env only, so that the variables of the test process, such
// as a real TOGETHER_API_KEY, never reach the CLI through getenv.
func fakeEnv(env map[string]string) func(string) string {
	return func(name string) string { return env[name] }
}

// expectCode fails t when the run did not exit with want, showing its output.
func (o outcome) expectCode(t *testing.T, want int) {
	t.Helper()
	if o.code != want {
		t.Fatalf("exit status %d, want %d\nstdout:\n%s\nstderr:\n%s", o.code, want, o.stdout, o.stderr)
	}
}

// waitForMatch polls the output in b until re matches it and returns the first submatch, or
// the whole match when re has no group.
func waitForMatch(t *testing.T, b *syncbuffer.Buffer, re *regexp.Regexp, timeout time.Duration) string {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if m := re.FindStringSubmatch(b.String()); m != nil {
			return m[len(m)-1]
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("no match for %s within %v in output:\n%s", re, timeout, b.String())
	return ""
}

var (
	sessionLine = regexp.MustCompile(`(?m)^tci: session (ses_\w+)`)
	baseURLLine = regexp.MustCompile(`(?m)^TOGETHER_BASE_URL=(\S+)\n`)
)

// sessionOf returns the session id that a run of exec printed on stderr.
func sessionOf(t *testing.T, o outcome) string {
	t.Helper()
	m := sessionLine.FindStringSubmatch(o.stderr)
	if m == nil {
		t.Fatalf("no session line on stderr:\n%s", o.stderr)
	}
	return m[1]
}

// fakeServer starts a loopback server whose every response comes from handler.
func fakeServer(t *testing.T, handler http.HandlerFunc) string {
	t.Helper()
	srv := httptest.NewServer(handler)
	t.Cleanup(srv.Close)
	return srv.URL + "/v1"
}

// respond returns a handler that responds to every request with status, contentType and body.
func respond(status int, contentType, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if contentType != "" {
			w.Header().Set("Content-Type", contentType)
		}
		w.WriteHeader(status)
		io.WriteString(w, body)
	}
}

// matplotlibPython returns an interpreter that can import matplotlib: TCI_PYTHON, then
// Debian's /usr/bin/python3. It skips the test when there is none, unless
// TCI_REQUIRE_MATPLOTLIB=1 makes that a failure.
func matplotlibPython(t *testing.T) string {
	t.Helper()
	for _, python := range []string{os.Getenv("TCI_PYTHON"), "/usr/bin/python3", "python3"} {
		if python == "" {
			continue
		}
		if exec.Command(python, "-c", "import matplotlib").Run() == nil {
			return python
		}
	}
	if os.Getenv("TCI_REQUIRE_MATPLOTLIB") == "1" {
		t.Fatal("no Python interpreter with matplotlib, and TCI_REQUIRE_MATPLOTLIB=1 requires one")
	}
	t.Skip("no Python interpreter with matplotlib; set TCI_PYTHON to one")
	return ""
}
