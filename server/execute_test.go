package server

import (
	"bytes"
	"fmt"
	"image/png"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tcikit/tci/internal/syncbuffer"
)

func TestExecuteStdout(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	id, outputs := ts.execute(t, "", `print("hello, world")`)
	if !strings.HasPrefix(id, "ses_") {
		t.Errorf("session_id = %q, want prefix ses_", id)
	}
	wantOutputs(t, outputs, out{Type: "stdout", Text: "hello, world\n"})
}

func TestExecuteStderr(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	_, outputs := ts.execute(t, "", "import sys\nprint('careful', file=sys.stderr)")
	wantOutputs(t, outputs, out{Type: "stderr", Text: "careful\n"})
}

func TestExecuteOutputOrder(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	code := strings.Join([]string{
		"import sys",
		"print('one')",
		"print('two')",
		"print('three', file=sys.stderr)",
		"sys.stdout.write('four')",
		"sys.stderr.write('five\\n')",
		"print('six')",
		"1/0",
	}, "\n")
	_, outputs := ts.execute(t, "", code)
	if len(outputs) != 6 {
		t.Fatalf("got %d outputs %v, want 6", len(outputs), outputs)
	}
	wantOutputs(t, outputs[:5],
		out{Type: "stdout", Text: "one\ntwo\n"},
		out{Type: "stderr", Text: "three\n"},
		out{Type: "stdout", Text: "four"},
		out{Type: "stderr", Text: "five\n"},
		out{Type: "stdout", Text: "six\n"},
	)
	if outputs[5].Type != "error" || !strings.Contains(outputs[5].Text, "ZeroDivisionError") {
		t.Errorf("output 5 = %v, want the ZeroDivisionError", outputs[5])
	}
}

func TestExecuteException(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	code := "print('before')\ndef divide(a, b):\n    return a / b\ndivide(1, 0)\nprint('after')"
	_, outputs := ts.execute(t, "", code)
	if len(outputs) != 2 {
		t.Fatalf("got %d outputs %v, want stdout and error", len(outputs), outputs)
	}
	wantOutputs(t, outputs[:1], out{Type: "stdout", Text: "before\n"})
	traceback := outputs[1]
	if traceback.Type != "error" {
		t.Fatalf("output 1 type = %s, want error", traceback.Type)
	}
	for _, want := range []string{
		"Traceback (most recent call last):",
		"divide(1, 0)",
		"return a / b",
		"ZeroDivisionError: division by zero",
	} {
		if !strings.Contains(traceback.Text, want) {
			t.Errorf("traceback lacks %q:\n%s", want, traceback.Text)
		}
	}
	if strings.Contains(traceback.Text, "tci-driver") {
		t.Errorf("traceback shows the driver's frames:\n%s", traceback.Text)
	}
}

func TestExecuteSyntaxError(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	_, outputs := ts.execute(t, "", "print('never')\ndef broken(:\n")
	if len(outputs) != 1 || outputs[0].Type != "error" {
		t.Fatalf("outputs = %v, want one error", outputs)
	}
	if !strings.Contains(outputs[0].Text, "SyntaxError") {
		t.Errorf("error lacks SyntaxError:\n%s", outputs[0].Text)
	}
}

func TestExecuteTooDeepCode(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	// Code nested deeper than the parser allows fails like a syntax error, as in a script.
	// Python 3.8's parser also writes "s_push: parser stack overflow" to fd 2 first.
	for _, code := range []string{strings.Repeat("-", 100_000) + "1", strings.Repeat("[", 5000) + strings.Repeat("]", 5000)} {
		id, outputs := ts.execute(t, "", code)
		if len(outputs) == 0 {
			t.Fatal("no outputs, want an error")
		}
		last := outputs[len(outputs)-1]
		if last.Type != "error" {
			t.Fatalf("outputs = %v, want an error last", outputs)
		}
		if strings.Contains(last.Text, "DriverError") || !strings.Contains(last.Text, "Error") {
			t.Errorf("error = %.200q, want Python's error for the code", last.Text)
		}
		_, outputs = ts.execute(t, id, "print('next')")
		wantOutputs(t, outputs, out{Type: "stdout", Text: "next\n"})
	}
}

func TestExecuteTrailingExpression(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	tests := []struct {
		name string
		code string
		want string // text/plain of the execute_result; "" for none
	}{
		{"sum", "x = 41\nx + 1", "42"},
		{"string repr", "'a' + 'b'", "'ab'"},
		{"list", "[1, 'two', None]", "[1, 'two', None]"},
		{"none", "None", ""},
		{"function returning none", "print", "<built-in function print>"},
		{"call returning none", "[].clear()", ""},
		{"semicolon", "1 + 1;", ""},
		{"semicolon after line separator", "'a\u2028b';", ""},
		{"line separator in string", "'a\u2028b'", `'a\u2028b'`},
		{"assignment", "y = 3", ""},
		{"not last", "5\ny = 6", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, outputs := ts.execute(t, "", tc.code)
			if tc.want == "" {
				if len(outputs) != 0 {
					t.Fatalf("outputs = %v, want none", outputs)
				}
				return
			}
			if len(outputs) != 1 || outputs[0].Type != "execute_result" {
				t.Fatalf("outputs = %v, want one execute_result", outputs)
			}
			if got := outputs[0].Data.TextPlain; got == nil || *got != tc.want {
				t.Errorf("text/plain = %v, want %q", got, tc.want)
			}
		})
	}
}

func TestExecuteRichRepr(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	code := "class Table:\n" +
		"    def __repr__(self): return 'Table()'\n" +
		"    def _repr_html_(self): return '<table></table>'\n" +
		"    def _repr_json_(self): return ['not', 'an', 'object']\n" +
		"Table()"
	_, outputs := ts.execute(t, "", code)
	if len(outputs) != 1 || outputs[0].Type != "execute_result" {
		t.Fatalf("outputs = %v, want one execute_result", outputs)
	}
	data := outputs[0].Data
	if data.TextPlain == nil || *data.TextPlain != "Table()" {
		t.Errorf("text/plain = %v, want Table()", data.TextPlain)
	}
	if data.TextHTML == nil || *data.TextHTML != "<table></table>" {
		t.Errorf("text/html = %v, want <table></table>", data.TextHTML)
	}
	if data.ApplicationJSON != nil {
		t.Errorf("application/json = %v, want none for a list", *data.ApplicationJSON)
	}
}

func TestExecuteRichReprSkipsInvalidJSON(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	// JSON has no NaN, and a JSON number must fit a float64 for clients to decode it. Either
	// kind of application/json value is left out, and the rest of the result is kept.
	tests := []struct{ name, value string }{
		{"NaN", "{'ratio': float('nan')}"},
		{"infinity", "{'ratio': float('inf')}"},
		{"huge integer", "{'count': 10**400}"},
		{"nested", "{'rows': [{'x': -float('inf')}]}"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code := "class Value:\n" +
				"    def __repr__(self): return 'Value()'\n" +
				"    def _repr_json_(self): return " + tc.value + "\n" +
				"Value()"
			_, outputs := ts.execute(t, "", code)
			if len(outputs) != 1 || outputs[0].Type != "execute_result" {
				t.Fatalf("outputs = %v, want one execute_result", outputs)
			}
			data := outputs[0].Data
			if data.TextPlain == nil || *data.TextPlain != "Value()" {
				t.Errorf("text/plain = %v, want Value()", data.TextPlain)
			}
			if data.ApplicationJSON != nil {
				t.Errorf("application/json = %v, want none", *data.ApplicationJSON)
			}
		})
	}
}

func TestExecuteStateAcrossExecutes(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	id, _ := ts.execute(t, "", "counter = 1\ndef bump():\n    global counter\n    counter += 1\n    return counter")
	again, outputs := ts.execute(t, id, "bump()\nbump()")
	if again != id {
		t.Errorf("session_id = %q, want %q", again, id)
	}
	if len(outputs) != 1 || outputs[0].Data.TextPlain == nil || *outputs[0].Data.TextPlain != "3" {
		t.Fatalf("outputs = %v, want execute_result 3", outputs)
	}

	// A new session does not see the first one's globals.
	_, outputs = ts.execute(t, "", "counter")
	if len(outputs) != 1 || !strings.Contains(outputs[0].Text, "NameError") {
		t.Errorf("outputs in a new session = %v, want a NameError", outputs)
	}
}

func TestExecuteLowLevelOutput(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	code := strings.Join([]string{
		"import os, subprocess, sys",
		"os.write(1, b'fd one\\n')",
		"os.write(2, b'fd two\\n')",
		"subprocess.run([sys.executable, '-c', 'print(\"from a child\")'], check=True)",
		"print('to __stdout__', file=sys.__stdout__)",
	}, "\n")
	_, outputs := ts.execute(t, "", code)
	var stdout, stderr strings.Builder
	for _, o := range outputs {
		switch o.Type {
		case "stdout":
			stdout.WriteString(o.Text)
		case "stderr":
			stderr.WriteString(o.Text)
		default:
			t.Errorf("unexpected output %v", o)
		}
	}
	if got, want := stdout.String(), "fd one\nfrom a child\nto __stdout__\n"; got != want {
		t.Errorf("stdout = %q, want %q", got, want)
	}
	if got, want := stderr.String(), "fd two\n"; got != want {
		t.Errorf("stderr = %q, want %q", got, want)
	}
}

func TestExecuteUserCannotCorruptProtocol(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	// Output that looks like the driver's events, NUL bytes and bytes that are not UTF-8 reach
	// the client as plain stream data.
	code := strings.Join([]string{
		"import os, sys",
		`print('{"type": "done", "seq": 1, "marked": []}')`,
		`written = sys.stdout.buffer.write(b'caf\xc3\xa9 \xff\n')`,
	}, "\n")
	id, outputs := ts.execute(t, "", code)
	wantOutputs(t, outputs, out{Type: "stdout", Text: "{\"type\": \"done\", \"seq\": 1, \"marked\": []}\ncafé \uFFFD\n"})

	// The same at the file descriptor, where a UTF-8 sequence split across writes is joined.
	_, outputs = ts.execute(t, id, `os.write(1, b'\x00\xff caf\xc3'); os.write(1, b'\xa9\n');`)
	wantOutputs(t, outputs, out{Type: "stdout", Text: "\x00\uFFFD café\n"})

	_, outputs = ts.execute(t, id, "print('still fine')")
	wantOutputs(t, outputs, out{Type: "stdout", Text: "still fine\n"})
}

func TestExecuteInputReadsEOF(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	_, outputs := ts.execute(t, "", "input('name? ')")
	if len(outputs) == 0 || !strings.Contains(outputs[len(outputs)-1].Text, "EOFError") {
		t.Errorf("outputs = %v, want an EOFError", outputs)
	}
}

func TestExecuteSystemExitKeepsSession(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	id, outputs := ts.execute(t, "", "x = 7\nimport sys\nsys.exit(2)")
	if len(outputs) != 1 || !strings.Contains(outputs[0].Text, "SystemExit: 2") {
		t.Fatalf("outputs = %v, want a SystemExit error", outputs)
	}
	_, outputs = ts.execute(t, id, "x")
	if len(outputs) != 1 || outputs[0].Data.TextPlain == nil || *outputs[0].Data.TextPlain != "7" {
		t.Errorf("outputs after SystemExit = %v, want execute_result 7", outputs)
	}
}

func TestExecuteProcessExitEndsSession(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	id, outputs := ts.execute(t, "", "print('bye', flush=True)\nimport os\nos._exit(3)")
	if len(outputs) != 2 {
		t.Fatalf("outputs = %v, want stdout and error", outputs)
	}
	wantOutputs(t, outputs[:1], out{Type: "stdout", Text: "bye\n"})
	if outputs[1].Type != "error" || !strings.Contains(outputs[1].Text, "exit status 3") {
		t.Errorf("output 1 = %v, want an error naming exit status 3", outputs[1])
	}
	wantSessionEnded(t, ts, id, "exit status 3")
}

func TestExecuteOutputLimit(t *testing.T) {
	t.Parallel()
	ts := startServer(t, WithMaxOutputBytes(1000))
	_, outputs := ts.execute(t, "", "for i in range(100):\n    print('x' * 99)")
	var stdout int
	var note string
	for _, o := range outputs {
		switch o.Type {
		case "stdout":
			stdout += len(o.Text)
		case "stderr":
			note = o.Text
		}
	}
	if stdout > 1000 {
		t.Errorf("stdout has %d bytes, want at most 1000", stdout)
	}
	// The merged stdout output takes 28 bytes besides its data, {"data":"","type":"stdout"},
	// and each print 101, because "\n" takes two. Nine prints fit in 937 bytes, then 63 bytes
	// of the tenth, and the other 9037 bytes are dropped.
	want := "the response reached the server's limit of 1000 bytes, and 9037 bytes of output were dropped"
	if !strings.Contains(note, want) {
		t.Errorf("stderr = %q, want the truncation note %q", note, want)
	}
}

func TestExecuteOutputLimitCountsOutputs(t *testing.T) {
	t.Parallel()
	// Alternating one-byte writes make one output each. Without a share of the limit per
	// output, the response would grow to about 30 bytes of JSON per byte of output.
	const limit = 10_000
	ts := startServer(t, WithMaxOutputBytes(limit))
	code := "import sys\nfor i in range(20_000):\n    (sys.stdout, sys.stderr)[i % 2].write('x')"
	resp := ts.post(t, map[string]any{"code": code, "language": "python"})
	if resp.status != http.StatusOK {
		t.Fatalf("status %d, body %.300s", resp.status, resp.body)
	}
	if bound := limit + MaxResponseOverhead; len(resp.body) > bound {
		t.Errorf("response has %d bytes, want at most %d for an output limit of %d", len(resp.body), bound, limit)
	}
	_, outputs := decodeSuccess(t, resp.body)
	if len(outputs) == 0 {
		t.Fatal("no outputs, want the truncation note last")
	}
	last := outputs[len(outputs)-1]
	if last.Type != "stderr" || !strings.Contains(last.Text, "output truncated") {
		t.Errorf("last output = %v, want the truncation note", last)
	}
}

func TestExecuteMatplotlibFigure(t *testing.T) {
	t.Parallel()
	requireMatplotlib(t)
	ts := startServer(t)
	code := strings.Join([]string{
		"import matplotlib.pyplot as plt",
		"plt.plot([1, 2, 3], [4, 1, 9])",
		"print('drawn')",
	}, "\n")
	id, outputs := ts.execute(t, "", code)
	if len(outputs) != 2 {
		t.Fatalf("outputs = %v, want stdout and display_data", outputs)
	}
	wantOutputs(t, outputs[:1], out{Type: "stdout", Text: "drawn\n"})
	checkPNG(t, outputs[1])

	// The figure was closed after it was sent, so the next execute sends nothing.
	_, outputs = ts.execute(t, id, "len(plt.get_fignums())")
	if len(outputs) != 1 || outputs[0].Data.TextPlain == nil || *outputs[0].Data.TextPlain != "0" {
		t.Errorf("outputs = %v, want execute_result 0", outputs)
	}
}

func TestExecuteMatplotlibShow(t *testing.T) {
	t.Parallel()
	requireMatplotlib(t)
	ts := startServer(t)
	// plt.show sends the figures where it is called, as in a notebook, without a warning.
	code := strings.Join([]string{
		"import matplotlib.pyplot as plt",
		"print('before')",
		"plt.figure(); plt.bar(['a', 'b'], [3, 5])",
		"plt.show()",
		"print('after')",
		"plt.figure(); plt.plot([0, 1]);",
	}, "\n")
	_, outputs := ts.execute(t, "", code)
	if len(outputs) != 4 {
		t.Fatalf("outputs = %v, want stdout, display_data, stdout, display_data", outputs)
	}
	wantOutputs(t, []out{outputs[0], outputs[2]},
		out{Type: "stdout", Text: "before\n"},
		out{Type: "stdout", Text: "after\n"})
	checkPNG(t, outputs[1])
	checkPNG(t, outputs[3])
}

func checkPNG(t *testing.T, o out) {
	t.Helper()
	if o.Type != "display_data" {
		t.Fatalf("output type = %s, want display_data", o.Type)
	}
	if o.Data.ImagePNG == nil {
		t.Fatalf("display_data without image/png: %v", o.Data)
	}
	config, err := png.DecodeConfig(bytes.NewReader(*o.Data.ImagePNG))
	if err != nil {
		t.Fatalf("image/png does not decode: %v", err)
	}
	if config.Width < 100 || config.Height < 100 {
		t.Errorf("figure is %dx%d pixels, want at least 100x100", config.Width, config.Height)
	}
	if o.Data.TextPlain == nil || !strings.HasPrefix(*o.Data.TextPlain, "<Figure size") {
		t.Errorf("text/plain = %v, want the figure's repr", o.Data.TextPlain)
	}
}

func TestExecuteBackgroundOutputComesNext(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	dir := t.TempDir()
	printed := dir + "/printed"
	code := strings.Join([]string{
		"import os, subprocess, sys, threading, time",
		"def later():",
		"    time.sleep(0.2)",
		"    print('from a thread')",
		"    subprocess.run([sys.executable, '-c', 'print(\"from a child\")'])",
		"    open(" + pyString(printed) + ", 'w').close()",
		"threading.Thread(target=later).start()",
	}, "\n")
	id, outputs := ts.execute(t, "", code)
	wantOutputs(t, outputs)
	waitFor(t, 10*time.Second, "the background thread to print", func() bool {
		_, err := os.Stat(printed)
		return err == nil
	})

	_, outputs = ts.execute(t, id, "print('next')")
	wantOutputs(t, outputs, out{Type: "stdout", Text: "from a thread\nfrom a child\nnext\n"})
}

func TestExecuteMarkersSkipReusedDescriptor(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	// After os.close(1) the next file the code opens gets descriptor 1. The driver's execute
	// markers must not land in that file.
	id, outputs := ts.execute(t, "", "import os\nos.close(1)\nlog = open('fd1.log', 'wb', buffering=0)\nlog.fileno()")
	if len(outputs) != 1 || outputs[0].Data.TextPlain == nil || *outputs[0].Data.TextPlain != "1" {
		t.Fatalf("outputs = %v, want execute_result 1, the descriptor of the log file", outputs)
	}
	_, outputs = ts.execute(t, id, "os.write(1, b'to the file')\nlog.close()\nopen('fd1.log', 'rb').read()")
	if len(outputs) != 1 || outputs[0].Data.TextPlain == nil {
		t.Fatalf("outputs = %v, want the content of the log file", outputs)
	}
	if got, want := *outputs[0].Data.TextPlain, "b'to the file'"; got != want {
		t.Errorf("log file = %s, want %s", got, want)
	}
}

func TestExecuteDriverSurvivesPatchedModules(t *testing.T) {
	t.Parallel()
	// Code may replace functions of modules that the driver uses too. Each case must neither
	// end its session nor hang until the timeout.
	ts := startServer(t, WithExecTimeout(10*time.Second))
	tests := []struct{ name, code string }{
		{"os.write", "import os\nos.write = lambda fd, data: 0"},
		{"json.dumps", "import json\njson.dumps = lambda *args, **kwargs: 'not json'"},
		{"json.loads", "import json\njson.loads = None"},
		{"traceback", "import traceback\ntraceback.format_exception = None\n1/0"},
		{"fake pyplot", "import sys\nsys.modules['matplotlib.pyplot'] = object()"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			id, outputs := ts.execute(t, "", tc.code)
			for _, o := range outputs {
				if strings.Contains(o.Text, "TimeoutError") || strings.Contains(o.Text, "SessionEnded") {
					t.Fatalf("outputs = %v, want the session to survive", outputs)
				}
			}
			_, outputs = ts.execute(t, id, "print('still here')")
			wantOutputs(t, outputs, out{Type: "stdout", Text: "still here\n"})
		})
	}
}

func TestExecuteSignalErrorBetweenExecutes(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	fired := filepath.Join(t.TempDir(), "fired")
	// The alarm goes off while the session waits for its next execute, and the handler raises.
	code := strings.Join([]string{
		"import signal",
		"def on_alarm(signum, frame):",
		"    open(" + pyString(fired) + ", 'w').close()",
		"    raise RuntimeError('alarm went off')",
		"signal.signal(signal.SIGALRM, on_alarm)",
		"signal.setitimer(signal.ITIMER_REAL, 0.05);",
	}, "\n")
	id, outputs := ts.execute(t, "", code)
	wantOutputs(t, outputs)
	waitFor(t, 10*time.Second, "the alarm handler to run", func() bool {
		_, err := os.Stat(fired)
		return err == nil
	})

	_, outputs = ts.execute(t, id, "print('next')")
	if len(outputs) != 2 {
		t.Fatalf("outputs = %v, want the handler's error and stdout", outputs)
	}
	if outputs[0].Type != "error" || !strings.Contains(outputs[0].Text, "RuntimeError: alarm went off") {
		t.Errorf("output 0 = %v, want the RuntimeError that the handler raised", outputs[0])
	}
	wantOutputs(t, outputs[1:], out{Type: "stdout", Text: "next\n"})
}

func TestExecuteForkedChildExits(t *testing.T) {
	t.Parallel()
	// Without the fix the parent's waitpid blocks until the timeout, so keep it short.
	ts := startServer(t, WithExecTimeout(10*time.Second))
	tests := []struct {
		name, child string
		status      int
	}{
		{"falls off the end", "print('child')", 0},
		{"sys.exit", "print('child')\n    sys.exit(4)", 4},
		{"exception", "print('child')\n    raise ValueError('in the child')", 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			code := strings.Join([]string{
				"import os, sys",
				"parent = os.getpid()",
				"pid = os.fork()",
				"if pid == 0:",
				"    " + tc.child,
				"else:",
				"    _, status = os.waitpid(pid, 0)",
				"    print('parent', os.WEXITSTATUS(status))",
			}, "\n")
			id, outputs := ts.execute(t, "", code)
			var stdout, stderr string
			for _, o := range outputs {
				switch o.Type {
				case "stdout":
					stdout += o.Text
				case "stderr":
					stderr += o.Text
				default:
					t.Errorf("unexpected output %v", o)
				}
			}
			if want := fmt.Sprintf("child\nparent %d\n", tc.status); stdout != want {
				t.Errorf("stdout = %q, want %q", stdout, want)
			}
			if tc.name == "exception" && !strings.Contains(stderr, "ValueError: in the child") {
				t.Errorf("stderr = %q, want the child's traceback", stderr)
			}

			// The parent, not the child, runs the session's next execute.
			_, outputs = ts.execute(t, id, "os.getpid() == parent")
			if len(outputs) != 1 || outputs[0].Data.TextPlain == nil || *outputs[0].Data.TextPlain != "True" {
				t.Errorf("outputs = %v, want True: the parent process runs the next execute", outputs)
			}
		})
	}
}

func TestExecuteForkWhileThreadPrints(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	// A thread that writes all the time holds the driver's event lock at most moments. A child
	// forked then must not start with that lock held, or its first print waits forever.
	code := strings.Join([]string{
		"import os, sys, threading, time",
		"stop = False",
		"def chatter():",
		"    while not stop:",
		"        sys.stderr.write('.')",
		"threading.Thread(target=chatter, daemon=True).start()",
		"hung = 0",
		"for i in range(10):",
		"    pid = os.fork()",
		"    if pid == 0:",
		"        print('child')",
		"        os._exit(0)",
		"    deadline = time.time() + 2",
		"    while not os.waitpid(pid, os.WNOHANG)[0]:",
		"        if time.time() > deadline:",
		"            hung += 1",
		"            os.kill(pid, 9)",
		"            os.waitpid(pid, 0)",
		"            break",
		"        time.sleep(0.001)",
		"    if hung:",
		"        break",
		"stop = True",
		"hung",
	}, "\n")
	_, outputs := ts.execute(t, "", code)
	if len(outputs) == 0 {
		t.Fatal("no outputs, want the count of hung children last")
	}
	last := outputs[len(outputs)-1]
	if last.Type != "execute_result" || last.Data.TextPlain == nil || *last.Data.TextPlain != "0" {
		t.Errorf("last output = %v, want execute_result 0: no forked child may hang", last)
	}
}

// joinStdout joins the stdout outputs and fails the test on an error output.
func joinStdout(t *testing.T, outputs []out) string {
	t.Helper()
	var stdout strings.Builder
	for _, o := range outputs {
		switch o.Type {
		case "stdout":
			stdout.WriteString(o.Text)
		case "error":
			t.Errorf("error output: %s", o.Text)
		}
	}
	return stdout.String()
}

func TestExecutePoolWorkersKeepLongLines(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	// Forked workers print lines longer than PIPE_BUF at the same time. The lines may
	// interleave, as on a terminal, but no byte may be lost.
	code := strings.Join([]string{
		"import multiprocessing",
		"def work(i):",
		"    print(chr(ord('A') + i % 26) * 10_000)",
		"    return i",
		"with multiprocessing.get_context('fork').Pool(4) as pool:",
		"    done = pool.map(work, range(100))",
		"len(done)",
	}, "\n")
	_, outputs := ts.execute(t, "", code)
	stdout := joinStdout(t, outputs)
	for k := range 26 {
		tasks := 3
		if k < 22 {
			tasks = 4 // tasks k, k+26, k+52 and k+78 are below 100
		}
		letter := string(rune('A' + k))
		if got, want := strings.Count(stdout, letter), tasks*10_000; got != want {
			t.Errorf("stdout has %d of %s, want %d", got, letter, want)
		}
	}
	if got := strings.Count(stdout, "\n"); got != 100 {
		t.Errorf("stdout has %d lines, want 100", got)
	}
}

func TestExecuteForkedChildrenKeepOutput(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	// Children write lines longer than a pipe's capacity of 64 KiB while the parent writes too.
	const letters = "ABCDEFGHIJKLMNOPQRST"
	code := strings.Join([]string{
		"import os",
		"pids = []",
		"for letter in " + pyString(letters) + ":",
		"    pid = os.fork()",
		"    if pid == 0:",
		"        print(letter * 70_000)",
		"        os._exit(0)",
		"    pids.append(pid)",
		"for _ in range(20):",
		"    print('.' * 5_000)",
		"for pid in pids:",
		"    os.waitpid(pid, 0)",
	}, "\n")
	_, outputs := ts.execute(t, "", code)
	stdout := joinStdout(t, outputs)
	for _, letter := range letters {
		if got := strings.Count(stdout, string(letter)); got != 70_000 {
			t.Errorf("stdout has %d of %c, want 70000 from its child", got, letter)
		}
	}
	if got := strings.Count(stdout, "."); got != 100_000 {
		t.Errorf("stdout has %d dots, want 100000 from the parent", got)
	}
}

func TestExecuteInvalidEventBecomesStderr(t *testing.T) {
	t.Parallel()
	var log syncbuffer.Buffer
	ts := startServer(t, WithLogger(slog.New(slog.NewTextHandler(&log, nil))))
	// Code can find the driver's event descriptor and write a line that is not an event.
	code := strings.Join([]string{
		"import os, sys",
		"fd = type(sys.stdout).write.__globals__['_event_fd']",
		"os.write(fd, b'not an event\\n')",
		"os.write(fd, b'{\"type\": \"unknown\"}\\n')",
		"print('after')",
	}, "\n")
	_, outputs := ts.execute(t, "", code)
	wantOutputs(t, outputs,
		out{Type: "stderr", Text: "not an event\n{\"type\": \"unknown\"}\n"},
		out{Type: "stdout", Text: "after\n"})
	if got := log.String(); !strings.Contains(got, "invalid python event") {
		t.Errorf("log = %q, want a warning about the invalid event", got)
	}
	if got := log.String(); strings.Contains(got, "not an event") {
		t.Errorf("log = %q, want no user output in it", got)
	}
}

func TestExecuteOutputLimitBoundsResponse(t *testing.T) {
	t.Parallel()
	// Each case writes about four times the limit, in writes of 1024 characters that JSON
	// escapes, that are not UTF-8 or that take several bytes. The limit counts the bytes of
	// the JSON response, so the response stays within the limit and the overhead.
	const limit = 64 << 10
	ts := startServer(t, WithMaxOutputBytes(limit), WithExecTimeout(20*time.Second))
	writes := func(unit string, count int) string {
		return fmt.Sprintf("import sys\nfor _ in range(%d):\n    sys.stdout.write(%s * 1024)", count, unit)
	}
	tests := []struct {
		name, code string
		unit       string // what the stdout output repeats, cut anywhere at the end
	}{
		{"control characters", writes(`'\x01'`, 256), "\x01"},
		{"html characters", writes(`'<>&'`, 86), "<>&"},
		{"quotes and backslashes", writes(`'"\\'`, 128), `"\`},
		{"newlines", writes(`'\n'`, 256), "\n"},
		{"multi-byte characters", writes(`'\u00e9\u20ac\U0001F600'`, 32), "é€😀"},
		{"line separators", writes(`'\u2028'`, 128), "\u2028"},
		{"invalid utf-8 at fd 1", "import os\nfor _ in range(128):\n    os.write(1, b'\\xff' * 1024)", "\uFFFD"},
		{"many outputs", "import sys\nfor i in range(10_000):\n    (sys.stdout, sys.stderr)[i % 2].write('\\x02')", ""},
		{"html in a result", "class Page:\n    def _repr_html_(self): return '<' * 65000\nPage()", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			resp := ts.post(t, map[string]any{"code": tc.code, "language": "python"})
			if resp.status != http.StatusOK {
				t.Fatalf("status %d, body %.300s", resp.status, resp.body)
			}
			if bound := limit + MaxResponseOverhead; len(resp.body) > bound {
				t.Errorf("response has %d bytes, want at most %d", len(resp.body), bound)
			}
			if len(resp.body) < limit/2 {
				t.Errorf("response has %d bytes, want at least half the limit of %d to be used", len(resp.body), limit)
			}
			_, outputs := decodeSuccess(t, resp.body)
			if len(outputs) == 0 {
				t.Fatal("no outputs")
			}
			if tc.unit != "" && outputs[0].Type == "stdout" {
				if rest := strings.ReplaceAll(outputs[0].Text, tc.unit, ""); !strings.HasPrefix(tc.unit, rest) {
					t.Errorf("stdout has %.40q besides %q", rest, tc.unit)
				}
			}
		})
	}
}

func TestExecuteOutputLimitWithTimeout(t *testing.T) {
	t.Parallel()
	// The note about dropped output and the TimeoutError both come on top of the limit.
	const limit = 10_000
	ts := startServer(t, WithMaxOutputBytes(limit), WithExecTimeout(time.Second))
	code := "import sys, time\nsys.stdout.write('\\x03' * 100_000)\ntime.sleep(60)"
	resp := ts.post(t, map[string]any{"code": code, "language": "python"})
	if resp.status != http.StatusOK {
		t.Fatalf("status %d, body %.300s", resp.status, resp.body)
	}
	if bound := limit + MaxResponseOverhead; len(resp.body) > bound {
		t.Errorf("response has %d bytes, want at most %d", len(resp.body), bound)
	}
	_, outputs := decodeSuccess(t, resp.body)
	if len(outputs) != 3 {
		t.Fatalf("outputs = %d, want stdout, the truncation note and the TimeoutError", len(outputs))
	}
	if !strings.Contains(outputs[1].Text, "output truncated") {
		t.Errorf("output 1 = %.200v, want the truncation note", outputs[1])
	}
	if !strings.HasPrefix(outputs[2].Text, "TimeoutError:") {
		t.Errorf("output 2 = %.200v, want the TimeoutError", outputs[2])
	}
}
