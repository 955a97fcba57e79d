package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tcikit/tci/internal/syncbuffer"
	"github.com/tcikit/tci/tcitest"
)

func TestExecLocalPrintsStdout(t *testing.T) {
	t.Parallel()
	o := tci(t, "exec", "print(sum(range(10)))")
	o.expectCode(t, exitOK)
	if o.stdout != "45\n" {
		t.Errorf("stdout = %q, want %q", o.stdout, "45\n")
	}
	wantLocal := "tci: no TOGETHER_BASE_URL or TOGETHER_API_KEY set; " +
		"running on the local reference server (python3)\n"
	if !strings.HasPrefix(o.stderr, wantLocal) {
		t.Errorf("stderr does not start with the local server line %q:\n%s", wantLocal, o.stderr)
	}
	if !sessionLine.MatchString(o.stderr) {
		t.Errorf("stderr has no session line:\n%s", o.stderr)
	}
}

func TestExecLocalFlagOverridesEnvironment(t *testing.T) {
	t.Parallel()
	// The base URL in the environment points at a port that nothing serves, so only the
	// local server can respond.
	env := map[string]string{"TOGETHER_BASE_URL": "http://127.0.0.1:9/v1", "TOGETHER_API_KEY": "unused-key"}
	o := tciEnv(t, env, "--local", "exec", "print('local')")
	o.expectCode(t, exitOK)
	if o.stdout != "local\n" {
		t.Errorf("stdout = %q, want %q", o.stdout, "local\n")
	}
	if !strings.Contains(o.stderr, "tci: --local; running on the local reference server") {
		t.Errorf("stderr does not name --local:\n%s", o.stderr)
	}
}

func TestExecStreamsInOutputOrder(t *testing.T) {
	t.Parallel()
	code := "import sys\nprint('one')\nsys.stdout.flush()\nprint('two', file=sys.stderr)\n" +
		"sys.stderr.flush()\nprint('three')"
	var combined syncbuffer.Buffer
	o := invocation{args: []string{"exec", code}, stdout: &combined, stderr: &combined}.run(t)
	o.expectCode(t, exitOK)

	var program []string
	for _, line := range strings.Split(strings.TrimSpace(combined.String()), "\n") {
		if !strings.HasPrefix(line, "tci: ") {
			program = append(program, line)
		}
	}
	if got := strings.Join(program, ","); got != "one,two,three" {
		t.Errorf("output order = %s, want one,two,three; whole output:\n%s", got, combined.String())
	}
}

func TestExecStderrGoesToStderr(t *testing.T) {
	t.Parallel()
	o := tci(t, "exec", "import sys; print('to stdout'); print('to stderr', file=sys.stderr)")
	o.expectCode(t, exitOK)
	if o.stdout != "to stdout\n" {
		t.Errorf("stdout = %q, want %q", o.stdout, "to stdout\n")
	}
	if !strings.Contains(o.stderr, "to stderr\n") {
		t.Errorf("stderr lacks the program's stderr:\n%s", o.stderr)
	}
}

func TestExecExceptionExitsOne(t *testing.T) {
	t.Parallel()
	o := tci(t, "exec", "print('before')\n1/0")
	o.expectCode(t, exitFailed)
	if o.stdout != "before\n" {
		t.Errorf("stdout = %q, want %q", o.stdout, "before\n")
	}
	if !strings.Contains(o.stderr, "ZeroDivisionError: division by zero\n") {
		t.Errorf("stderr lacks the traceback:\n%s", o.stderr)
	}
	if !sessionLine.MatchString(o.stderr) {
		t.Errorf("stderr has no session line after an exception:\n%s", o.stderr)
	}
}

func TestExecPrintsExpressionValue(t *testing.T) {
	t.Parallel()
	o := tci(t, "exec", "x = 6\nx * 7")
	o.expectCode(t, exitOK)
	if o.stdout != "42\n" {
		t.Errorf("stdout = %q, want %q", o.stdout, "42\n")
	}
}

func TestExecReadsFile(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "script.py")
	if err := os.WriteFile(path, []byte("print('from a file')\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	o := tci(t, "exec", "--file", path)
	o.expectCode(t, exitOK)
	if o.stdout != "from a file\n" {
		t.Errorf("stdout = %q, want %q", o.stdout, "from a file\n")
	}
}

func TestExecReadsStandardInput(t *testing.T) {
	t.Parallel()
	o := invocation{args: []string{"exec", "-"}, stdin: "print('from stdin')\n"}.run(t)
	o.expectCode(t, exitOK)
	if o.stdout != "from stdin\n" {
		t.Errorf("stdout = %q, want %q", o.stdout, "from stdin\n")
	}
}

func TestExecUploadsFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	text := filepath.Join(dir, "notes.txt")
	binary := filepath.Join(dir, "blob.bin")
	if err := os.WriteFile(text, []byte("hello upload"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(binary, []byte{0xff, 0x00, 0xfe}, 0o644); err != nil {
		t.Fatal(err)
	}
	code := "print(open('notes.txt').read())\nprint(open('blob.bin', 'rb').read().hex())"
	o := tci(t, "exec", "--upload", text, "--upload", binary, code)
	o.expectCode(t, exitOK)
	if want := "hello upload\nff00fe\n"; o.stdout != want {
		t.Errorf("stdout = %q, want %q", o.stdout, want)
	}
}

func TestExecReusesSession(t *testing.T) {
	t.Parallel()
	srv := tcitest.NewServer(t)
	first := tci(t, "--base-url", srv.URL(), "exec", "x = 41")
	first.expectCode(t, exitOK)
	id := sessionOf(t, first)
	if got := first.stderr; got != "tci: session "+id+"\n" {
		t.Errorf("stderr of a remote exec = %q, want only the session line", got)
	}

	second := tci(t, "exec", "--base-url", srv.URL(), "--session", id, "print(x + 1)")
	second.expectCode(t, exitOK)
	if second.stdout != "42\n" {
		t.Errorf("stdout = %q, want %q", second.stdout, "42\n")
	}
	if got := sessionOf(t, second); got != id {
		t.Errorf("second exec ran in session %s, want %s", got, id)
	}
}

func TestExecUnknownSessionExitsOne(t *testing.T) {
	t.Parallel()
	srv := tcitest.NewServer(t)
	o := tci(t, "--base-url", srv.URL(), "exec", "--session", "ses_doesnotexist", "print(1)")
	o.expectCode(t, exitFailed)
	if !strings.Contains(o.stderr, `tci: execution failed: session "ses_doesnotexist" not found`) {
		t.Errorf("stderr lacks the server's message:\n%s", o.stderr)
	}
	if strings.Contains(o.stderr, "2026-09") {
		t.Errorf("an unknown session is reported as a missing endpoint:\n%s", o.stderr)
	}
}

func TestExecUnknownSessionLocalHint(t *testing.T) {
	t.Parallel()
	o := tci(t, "exec", "--session", "ses_doesnotexist", "print(1)")
	o.expectCode(t, exitFailed)
	if !strings.Contains(o.stderr, `run "tci serve" and set TOGETHER_BASE_URL to reuse a session`) {
		t.Errorf("stderr lacks the hint for local sessions:\n%s", o.stderr)
	}
}

func TestExecJSONPrintsResponse(t *testing.T) {
	t.Parallel()
	srv := tcitest.NewServer(t)
	o := tci(t, "--base-url", srv.URL(), "exec", "print(sum(range(10)))", "--json")
	o.expectCode(t, exitOK)
	var body struct {
		Data struct {
			SessionID string `json:"session_id"`
			Outputs   []struct {
				Type string `json:"type"`
				Data string `json:"data"`
			} `json:"outputs"`
		} `json:"data"`
		Errors any `json:"errors"`
	}
	if err := json.Unmarshal([]byte(o.stdout), &body); err != nil {
		t.Fatalf("stdout is not JSON: %v\n%s", err, o.stdout)
	}
	if len(body.Data.Outputs) != 1 || body.Data.Outputs[0].Data != "45\n" {
		t.Errorf("outputs = %+v, want one stdout output 45", body.Data.Outputs)
	}
	if !strings.HasPrefix(body.Data.SessionID, "ses_") {
		t.Errorf("session_id = %q, want a session id", body.Data.SessionID)
	}
	if o.stderr != "" {
		t.Errorf("stderr = %q, want nothing with --json", o.stderr)
	}
}

func TestExecJSONFailureExitsOne(t *testing.T) {
	t.Parallel()
	srv := tcitest.NewServer(t)
	o := tci(t, "--base-url", srv.URL(), "exec", "--json", "--session", "ses_gone", "1")
	o.expectCode(t, exitFailed)
	if !strings.Contains(o.stdout, `"session_not_found"`) {
		t.Errorf("stdout lacks the failure body:\n%s", o.stdout)
	}
}

func TestExecInterruptExits130(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var stderr syncbuffer.Buffer
	done := make(chan outcome, 1)
	go func() {
		done <- invocation{ctx: ctx, stderr: &stderr,
			args: []string{"exec", "print('started', flush=True)\nimport time\ntime.sleep(30)"}}.run(t)
	}()
	waitForMatch(t, &stderr, regexp.MustCompile("running on the local reference server"), 10*time.Second)
	time.Sleep(500 * time.Millisecond) // let the request reach the sleeping session
	started := time.Now()
	cancel()

	select {
	case o := <-done:
		if o.code != exitInterrupted {
			t.Errorf("exit status %d, want %d; stderr:\n%s", o.code, exitInterrupted, stderr.String())
		}
		if !strings.Contains(stderr.String(), "tci: interrupted") {
			t.Errorf("stderr lacks the interrupt line:\n%s", stderr.String())
		}
		if elapsed := time.Since(started); elapsed > 5*time.Second {
			t.Errorf("exec took %v to stop after the interrupt", elapsed)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("exec did not stop within 20s of the interrupt")
	}
}

// displayResponse is an execute response with one display_data output of payloads.
func displayResponse(payloads map[string]string) string {
	data, _ := json.Marshal(payloads)
	return fmt.Sprintf(`{"data":{"session_id":"ses_display","status":"success","outputs":[`+
		`{"type":"display_data","data":%s}]},"errors":null}`, data)
}

var pngBytes = []byte("\x89PNG\r\n\x1a\nfake image")

func TestExecOutNeverOverwrites(t *testing.T) {
	t.Parallel()
	body := displayResponse(map[string]string{
		"image/png":  base64.StdEncoding.EncodeToString(pngBytes),
		"text/plain": "<Figure size 640x480 with 1 Axes>",
	})
	url := fakeServer(t, respond(200, "application/json", body))
	dir := t.TempDir()
	existing := filepath.Join(dir, "display-1.png")
	if err := os.WriteFile(existing, []byte("keep me"), 0o644); err != nil {
		t.Fatal(err)
	}

	o := tci(t, "--base-url", url, "exec", "--out", dir, "plot()")
	o.expectCode(t, exitOK)
	saved := filepath.Join(dir, "display-2.png")
	if !strings.Contains(o.stderr, "tci: saved "+saved+" (image/png, 18 bytes)\n") {
		t.Errorf("stderr does not name %s:\n%s", saved, o.stderr)
	}
	if got, _ := os.ReadFile(existing); string(got) != "keep me" {
		t.Errorf("%s was overwritten with %q", existing, got)
	}
	if got, _ := os.ReadFile(saved); !bytes.Equal(got, pngBytes) {
		t.Errorf("%s = %q, want the decoded PNG payload", saved, got)
	}
	if o.stdout != "" {
		t.Errorf("stdout = %q, want nothing: the figure's text/plain is its file's description", o.stdout)
	}
	if _, err := os.Stat(filepath.Join(dir, "display-2.txt")); err == nil {
		t.Error("text/plain of a figure was saved as a file")
	}
}

func TestExecOutCreatesDirectory(t *testing.T) {
	t.Parallel()
	body := displayResponse(map[string]string{
		"text/html":     "<b>table</b>",
		"image/svg+xml": "<svg/>",
		"text/plain":    "table",
	})
	url := fakeServer(t, respond(200, "application/json", body))
	dir := filepath.Join(t.TempDir(), "new", "figures")
	o := tci(t, "--base-url", url, "exec", "--out", dir, "show()")
	o.expectCode(t, exitOK)
	for name, want := range map[string]string{"display-1.html": "<b>table</b>", "display-1.svg": "<svg/>"} {
		if got, err := os.ReadFile(filepath.Join(dir, name)); err != nil || string(got) != want {
			t.Errorf("%s = %q, %v; want %q", name, got, err, want)
		}
	}
}

func TestExecTextDisplayDataPrinted(t *testing.T) {
	t.Parallel()
	url := fakeServer(t, respond(200, "application/json", displayResponse(map[string]string{"text/plain": "plain"})))
	dir := t.TempDir()
	o := tci(t, "--base-url", url, "exec", "--out", dir, "display('plain')")
	o.expectCode(t, exitOK)
	if o.stdout != "plain\n" {
		t.Errorf("stdout = %q, want the text/plain payload", o.stdout)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("--out has %d files, want none for text-only display data", len(entries))
	}
}

func TestExecOutSavesMatplotlibFigure(t *testing.T) {
	t.Parallel()
	python := matplotlibPython(t)
	dir := t.TempDir()
	code := "import matplotlib.pyplot as plt\nplt.plot([1, 2, 3], [1, 4, 9])\nprint('plotted')"
	env := map[string]string{"TCI_PYTHON": python}
	for run := 1; run <= 2; run++ {
		o := tciEnv(t, env, "exec", "--out", dir, code)
		o.expectCode(t, exitOK)
		name := filepath.Join(dir, fmt.Sprintf("display-%d.png", run))
		if !strings.Contains(o.stderr, "tci: saved "+name+" (image/png, ") {
			t.Errorf("run %d: stderr does not name %s:\n%s", run, name, o.stderr)
		}
		if o.stdout != "plotted\n" {
			t.Errorf("run %d: stdout = %q, want %q", run, o.stdout, "plotted\n")
		}
		data, err := os.ReadFile(name)
		if err != nil {
			t.Fatalf("run %d: %v", run, err)
		}
		if !bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")) {
			t.Errorf("run %d: %s does not start with the PNG signature", run, name)
		}
	}
}

func TestExecUsageErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing.py")
	first := filepath.Join(dir, "a", "data.csv")
	second := filepath.Join(dir, "b", "data.csv")
	for _, path := range []string{first, second} {
		os.MkdirAll(filepath.Dir(path), 0o755)
		os.WriteFile(path, []byte("x"), 0o644)
	}
	// Nothing listens on port 9 of loopback; these runs fail before any request.
	const unused = "http://127.0.0.1:9/v1"
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no code", []string{"exec"}, "missing code"},
		{"code twice", []string{"exec", "--file", missing, "print(1)"}, "both --file and a CODE argument"},
		{"two arguments", []string{"exec", "print(1)", "print(2)"}, "exec takes at most 1 argument, got 2"},
		{"missing file", []string{"exec", "--file", missing}, "--file: open " + missing},
		{"missing upload", []string{"exec", "--upload", missing, "1"}, "--upload: open " + missing},
		{"duplicate upload", []string{"exec", "--upload", first, "--upload", second, "1"},
			`would both be named "data.csv"`},
		{"session with space", []string{"--base-url", unused, "exec", "--session", "a b", "1"},
			`--session: invalid session id "a b": it contains a space`},
		{"unknown flag", []string{"exec", "--bogus", "1"}, "exec: flag provided but not defined: -bogus"},
		{"bad validation", []string{"--validation", "loose", "--base-url", unused, "exec", "1"},
			`--validation: invalid validation mode "loose"`},
		{"retries out of range", []string{"--max-retries", "11", "--base-url", unused, "exec", "1"},
			"--max-retries: invalid retry count 11: use 0 to 10"},
		{"zero response limit", []string{"--max-response-bytes", "0", "--base-url", unused, "exec", "1"},
			"--max-response-bytes: invalid response size limit 0: use a positive number of bytes"},
		{"bad timeout", []string{"exec", "--timeout", "soon", "1"}, "invalid value \"soon\" for flag -timeout"},
		{"local and base URL", []string{"--local", "--base-url", unused, "exec", "1"}, "--local and --base-url"},
		{"code not UTF-8", []string{"--base-url", unused, "exec", "print('\xff')"},
			"code is not valid UTF-8 at byte 7"},
		{"bad base URL", []string{"--base-url", "ftp://127.0.0.1/v1", "exec", "1"},
			`--base-url: invalid base URL "ftp://127.0.0.1/v1": the scheme must be http or https`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := tci(t, tt.args...)
			o.expectCode(t, exitUsage)
			lines := strings.Split(strings.TrimSuffix(o.stderr, "\n"), "\n")
			if len(lines) != 1 || !strings.HasPrefix(lines[0], "tci: ") {
				t.Errorf("stderr is not one line starting with \"tci: \":\n%s", o.stderr)
			}
			if !strings.Contains(o.stderr, tt.want) {
				t.Errorf("stderr = %q, want it to contain %q", o.stderr, tt.want)
			}
		})
	}
}

func TestExecBaseURLFromEnvironmentNamed(t *testing.T) {
	t.Parallel()
	o := tciEnv(t, map[string]string{"TOGETHER_BASE_URL": "127.0.0.1:8080"}, "exec", "1")
	o.expectCode(t, exitUsage)
	if !strings.Contains(o.stderr, "tci: TOGETHER_BASE_URL: invalid base URL") {
		t.Errorf("stderr does not name TOGETHER_BASE_URL:\n%s", o.stderr)
	}
}

func TestExecSavesExpressionImage(t *testing.T) {
	t.Parallel()
	body := `{"data":{"session_id":"ses_image","status":"success","outputs":[{"type":"execute_result",` +
		`"data":{"text/plain":"<Image 2x2>","text/html":"<img>","image/png":"` +
		base64.StdEncoding.EncodeToString(pngBytes) + `"}}]},"errors":null}`
	url := fakeServer(t, respond(200, "application/json", body))
	dir := t.TempDir()
	o := tci(t, "--base-url", url, "exec", "--out", dir, "image")
	o.expectCode(t, exitOK)
	if o.stdout != "<Image 2x2>\n" {
		t.Errorf("stdout = %q, want the text/plain form", o.stdout)
	}
	if got, err := os.ReadFile(filepath.Join(dir, "display-1.png")); err != nil || !bytes.Equal(got, pngBytes) {
		t.Errorf("display-1.png = %q, %v; want the decoded PNG payload", got, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "display-1.html")); err == nil {
		t.Error("the HTML form of an expression's value was saved")
	}
}

func TestExecOutRedactsTextPayloads(t *testing.T) {
	t.Parallel()
	// The PNG payload contains the key's bytes too, but a binary file is saved as received.
	png := append(append([]byte(nil), pngBytes...), canary...)
	// The JSON payload sends the first character of the key as an escape.
	body := fmt.Sprintf(`{"data":{"session_id":"ses_display","status":"success","outputs":[`+
		`{"type":"display_data","data":{"text/html":"<p>%s</p>","application/json":{"token":"\u%04x%s"},`+
		`"image/png":"%s"}}]},"errors":null}`,
		canary, canary[0], canary[1:], base64.StdEncoding.EncodeToString(png))
	url := fakeServer(t, respond(200, "application/json", body))
	dir := t.TempDir()
	o := tci(t, "--base-url", url, "--api-key", canary, "exec", "--out", dir, "show()")
	o.expectCode(t, exitOK)

	for name, want := range map[string]string{
		"display-1.html": "<p>[REDACTED]</p>",
		"display-1.json": `{"token":"[REDACTED]"}`,
	} {
		got, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
	if got, _ := os.ReadFile(filepath.Join(dir, "display-1.png")); !bytes.Equal(got, png) {
		t.Errorf("display-1.png = %q, want the payload unchanged", got)
	}
}

// failingWriter fails every write, as a full disk or a closed pipe does.
type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("no space left on device") }

func TestExecWriteFailureNamesSession(t *testing.T) {
	t.Parallel()
	body := fmt.Sprintf(`{"data":{"session_id":"ses_kept","status":"success","outputs":[`+
		`{"type":"stdout","data":"before\n"},{"type":"display_data","data":{"image/png":"%s"}},`+
		`{"type":"stdout","data":"after\n"}]},"errors":null}`, base64.StdEncoding.EncodeToString(pngBytes))
	url := fakeServer(t, respond(200, "application/json", body))
	notDir := filepath.Join(t.TempDir(), "afile")
	if err := os.WriteFile(notDir, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	// Every run gives --out, so that no display file lands in the package directory.
	tests := []struct {
		name   string
		args   []string
		stdout io.Writer
		want   string
	}{
		{"--out is a file", []string{"--out", notDir}, nil, "--out: mkdir " + notDir},
		{"--out is a file with --json", []string{"--json", "--out", notDir}, nil, "--out: mkdir " + notDir},
		{"stdout full", []string{"--out", t.TempDir()}, failingWriter{}, "no space left on device"},
		{"stdout full with --json", []string{"--json", "--out", t.TempDir()}, failingWriter{},
			"no space left on device"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			args := append([]string{"--base-url", url, "exec", "show()"}, tt.args...)
			o := invocation{args: args, stdout: tt.stdout}.run(t)
			o.expectCode(t, exitFailed)
			want := "tci: the code ran, but writing its outputs failed: "
			if !strings.Contains(o.stderr, want) || !strings.Contains(o.stderr, tt.want) {
				t.Errorf("stderr lacks %q with %q:\n%s", want, tt.want, o.stderr)
			}
			if !strings.HasSuffix(o.stderr, "tci: session ses_kept\n") {
				t.Errorf("stderr does not end with the session line:\n%s", o.stderr)
			}
		})
	}
}

func TestExecOutFailureKeepsPrinting(t *testing.T) {
	t.Parallel()
	body := fmt.Sprintf(`{"data":{"session_id":"ses_kept","status":"success","outputs":[`+
		`{"type":"display_data","data":{"image/png":"%s"}},{"type":"stdout","data":"after\n"}]},`+
		`"errors":null}`, base64.StdEncoding.EncodeToString(pngBytes))
	url := fakeServer(t, respond(200, "application/json", body))
	notDir := filepath.Join(t.TempDir(), "afile")
	if err := os.WriteFile(notDir, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	o := tci(t, "--base-url", url, "exec", "--out", notDir, "show()")
	o.expectCode(t, exitFailed)
	if o.stdout != "after\n" {
		t.Errorf("stdout = %q, want the output that follows the failed display", o.stdout)
	}
}
