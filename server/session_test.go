package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/tcikit/tci/internal/syncbuffer"
)

var sessionIDPattern = regexp.MustCompile(`^ses_[0-9A-Za-z]{22}$`)

func TestNewSessionIDFormat(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for range 1000 {
		id, err := newSessionID()
		if err != nil {
			t.Fatal(err)
		}
		if !sessionIDPattern.MatchString(id) {
			t.Fatalf("session id %q does not match %s", id, sessionIDPattern)
		}
		if seen[id] {
			t.Fatalf("session id %q repeated", id)
		}
		seen[id] = true
	}
}

func TestSessionUnknownID(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	resp := ts.post(t, map[string]any{"code": "1", "language": "python", "session_id": "ses_doesNotExist"})
	errs := decodeFailure(t, resp, http.StatusNotFound)
	if errs[0]["code"] != "session_not_found" {
		t.Errorf("code = %v, want session_not_found", errs[0]["code"])
	}
	if msg := errs[0]["message"].(string); !strings.Contains(msg, `"ses_doesNotExist" not found`) {
		t.Errorf("message = %q, want it to name the session", msg)
	}
}

func TestSessionList(t *testing.T) {
	t.Parallel()
	ts := startServer(t, WithSessionTTL(10*time.Minute))
	if sessions := ts.listSessions(t); len(sessions) != 0 {
		t.Fatalf("sessions before any execute = %v, want none", sessions)
	}
	before := time.Now()
	first, _ := ts.execute(t, "", "1")
	ts.execute(t, first, "2")
	second, _ := ts.execute(t, "", "3")

	sessions := ts.listSessions(t)
	ids := []string{}
	for _, s := range sessions {
		ids = append(ids, s.ID)
	}
	if !slices.Equal(ids, []string{first, second}) {
		t.Fatalf("session ids = %v, want %v in start order", ids, []string{first, second})
	}
	s := sessions[0]
	if s.ExecuteCount != 2 {
		t.Errorf("execute_count = %d, want 2", s.ExecuteCount)
	}
	if s.StartedAt.Before(before.Add(-time.Second)) || s.StartedAt.After(s.LastExecuteAt.Time) {
		t.Errorf("started_at %s, last_execute_at %s: want start <= last execute", s.StartedAt, s.LastExecuteAt)
	}
	if d := s.ExpiresAt.Sub(s.LastExecuteAt.Time); d < 10*time.Minute || d > 10*time.Minute+5*time.Second {
		t.Errorf("expires_at is %s after last_execute_at, want the 10m TTL", d)
	}
	if sessions[1].ExecuteCount != 1 {
		t.Errorf("second session execute_count = %d, want 1", sessions[1].ExecuteCount)
	}

	// The timestamps are RFC 3339 in UTC.
	resp := ts.do(t, http.MethodGet, "/tci/sessions", nil, nil)
	var raw struct {
		Data struct {
			Sessions []map[string]any `json:"sessions"`
		} `json:"data"`
	}
	if err := json.Unmarshal(resp.body, &raw); err != nil {
		t.Fatal(err)
	}
	for _, field := range []string{"started_at", "last_execute_at", "expires_at"} {
		value, _ := raw.Data.Sessions[0][field].(string)
		if _, err := time.Parse(time.RFC3339Nano, value); err != nil || !strings.HasSuffix(value, "Z") {
			t.Errorf("%s = %q, want an RFC 3339 time in UTC", field, value)
		}
	}
}

func TestSessionExpiry(t *testing.T) {
	t.Parallel()
	ts := startServer(t, WithSessionTTL(500*time.Millisecond))
	id, outputs := ts.execute(t, "", "import os\nos.getpid()")
	pid := pidOf(t, outputs)

	// An execute longer than the TTL does not expire its own session.
	_, outputs = ts.execute(t, id, "import time\ntime.sleep(0.8)\n'awake'")
	if len(outputs) != 1 || *outputs[0].Data.TextPlain != "'awake'" {
		t.Fatalf("outputs = %v, want 'awake'", outputs)
	}

	waitFor(t, 5*time.Second, "the idle session to expire", func() bool {
		return len(ts.listSessions(t)) == 0
	})
	waitFor(t, 5*time.Second, "the expired session's process to exit", func() bool {
		return processGone(t, pid)
	})
	wantSessionEnded(t, ts, id, "expired after 500ms")
}

func TestExecuteTimeoutKillsProcessGroup(t *testing.T) {
	t.Parallel()
	ts := startServer(t, WithExecTimeout(2*time.Second))
	code := strings.Join([]string{
		"import os, subprocess, sys, time",
		"child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'])",
		"print(os.getpid(), child.pid)",
		"time.sleep(60)",
	}, "\n")
	id, outputs := ts.execute(t, "", code)
	if len(outputs) != 2 || outputs[0].Type != "stdout" || outputs[1].Type != "error" {
		t.Fatalf("outputs = %v, want the printed pids and an error", outputs)
	}
	if !strings.Contains(outputs[1].Text, "TimeoutError") || !strings.Contains(outputs[1].Text, "2s") {
		t.Errorf("error = %q, want a TimeoutError naming the 2s timeout", outputs[1].Text)
	}
	var driverPID, childPID int
	if _, err := fmt.Sscan(outputs[0].Text, &driverPID, &childPID); err != nil {
		t.Fatalf("parse pids from %q: %v", outputs[0].Text, err)
	}
	for _, pid := range []int{driverPID, childPID} {
		waitFor(t, 5*time.Second, "process "+strconv.Itoa(pid)+" to be killed", func() bool {
			return processGone(t, pid)
		})
	}

	if sessions := ts.listSessions(t); len(sessions) != 0 {
		t.Errorf("sessions after the timeout = %v, want none", sessions)
	}
	wantSessionEnded(t, ts, id, "timed out after 2s")
}

func TestSessionSerializesExecutes(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	id, _ := ts.execute(t, "", "import time\nrunning = False\ncount = 0")

	// Each execute fails if another one runs at the same time, and prints its own token.
	const n = 8
	responses := make([]response, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			code := fmt.Sprintf("if running: raise RuntimeError('overlap')\n"+
				"running = True\ntime.sleep(0.02)\ncount += 1\nrunning = False\nprint('token-%d')", i)
			responses[i], errs[i] = ts.send(t, http.MethodPost, "/tci/execute", nil, executeBody(id, code))
		})
	}
	wg.Wait()

	for i := range n {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		if responses[i].status != http.StatusOK {
			t.Fatalf("execute %d: status %d, body %s", i, responses[i].status, responses[i].body)
		}
		_, outputs := decodeSuccess(t, responses[i].body)
		wantOutputs(t, outputs, out{Type: "stdout", Text: fmt.Sprintf("token-%d\n", i)})
	}

	_, outputs := ts.execute(t, id, "count")
	if len(outputs) != 1 || *outputs[0].Data.TextPlain != strconv.Itoa(n) {
		t.Errorf("outputs = %v, want count %d", outputs, n)
	}
	if sessions := ts.listSessions(t); len(sessions) != 1 || sessions[0].ExecuteCount != n+2 {
		t.Errorf("sessions = %v, want one with execute_count %d", sessions, n+2)
	}
}

func TestSessionsRunInParallel(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	dir := t.TempDir()

	// Each session waits for a file that only the other one creates, so both finish only when
	// they run at the same time.
	rendezvous := func(mine, theirs string) string {
		return fmt.Sprintf("import os, time\n"+
			"open(%q, 'w').close()\n"+
			"deadline = time.time() + 20\n"+
			"while not os.path.exists(%q):\n"+
			"    if time.time() > deadline: raise TimeoutError('the other session did not run')\n"+
			"    time.sleep(0.01)\n"+
			"print('met')", filepath.Join(dir, mine), filepath.Join(dir, theirs))
	}

	var responses [2]response
	var errs [2]error
	var wg sync.WaitGroup
	for i, names := range [][2]string{{"a", "b"}, {"b", "a"}} {
		wg.Go(func() {
			body := executeBody("", rendezvous(names[0], names[1]))
			responses[i], errs[i] = ts.send(t, http.MethodPost, "/tci/execute", nil, body)
		})
	}
	wg.Wait()

	for i := range responses {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		if responses[i].status != http.StatusOK {
			t.Fatalf("execute %d: status %d, body %s", i, responses[i].status, responses[i].body)
		}
		_, outputs := decodeSuccess(t, responses[i].body)
		wantOutputs(t, outputs, out{Type: "stdout", Text: "met\n"})
	}
}

func TestSessionMaxSessions(t *testing.T) {
	t.Parallel()
	ts := startServer(t, WithMaxSessions(1))
	id, _ := ts.execute(t, "", "1")
	resp := ts.post(t, map[string]any{"code": "1", "language": "python"})
	errs := decodeFailure(t, resp, http.StatusServiceUnavailable)
	if errs[0]["code"] != "too_many_sessions" {
		t.Errorf("code = %v, want too_many_sessions", errs[0]["code"])
	}
	ts.execute(t, id, "2")
}

func TestCloseStopsSessions(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	_, outputs := ts.execute(t, "", "import os\nos.getpid()")
	idle := pidOf(t, outputs)
	busy, outputs := ts.execute(t, "", "import os\nos.getpid()")
	running := pidOf(t, outputs)
	_, outputs = ts.execute(t, busy, "os.getcwd()")
	workDir := strings.Trim(*outputs[0].Data.TextPlain, "'")

	started := filepath.Join(t.TempDir(), "started")
	type result struct {
		resp response
		err  error
	}
	results := make(chan result, 1)
	go func() {
		code := fmt.Sprintf("open(%q, 'w').close()\nimport time\ntime.sleep(60)", started)
		resp, err := ts.send(t, http.MethodPost, "/tci/execute", nil, executeBody(busy, code))
		results <- result{resp, err}
	}()
	waitFor(t, 10*time.Second, "the long execute to start", func() bool {
		_, err := os.Stat(started)
		return err == nil
	})

	if err := ts.srv.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	for _, pid := range []int{idle, running} {
		if !processGone(t, pid) {
			t.Errorf("process %d still runs after Close", pid)
		}
	}
	if _, err := os.Stat(workDir); !os.IsNotExist(err) {
		t.Errorf("session directory after Close: %v, want it removed", err)
	}
	cut := <-results
	if cut.err != nil {
		t.Fatal(cut.err)
	}
	_, outputs = decodeSuccess(t, cut.resp.body)
	if len(outputs) != 1 || !strings.Contains(outputs[0].Text, "the server was closed") {
		t.Errorf("outputs of the cut execute = %v, want an error saying the server was closed", outputs)
	}
	resp := ts.post(t, map[string]any{"code": "1", "language": "python"})
	if errs := decodeFailure(t, resp, http.StatusServiceUnavailable); errs[0]["code"] != "server_closed" {
		t.Errorf("code = %v, want server_closed", errs[0]["code"])
	}
}

func TestSessionEnvironmentScrubbed(t *testing.T) {
	t.Setenv("TOGETHER_API_KEY", "secret-api-key-value")
	t.Setenv("TCI_TEST_SECRET", "secret-test-value")
	ts := startServer(t, WithToken("secret-server-token"))
	ts.token = "secret-server-token"
	code := strings.Join([]string{
		"import json, os, subprocess",
		"print(json.dumps(dict(os.environ)))",
		"print(os.getcwd())",
		"print(subprocess.run(['env'], capture_output=True, text=True).stdout)",
	}, "\n")
	_, outputs := ts.execute(t, "", code)
	if len(outputs) != 1 {
		t.Fatalf("outputs = %v, want one stdout", outputs)
	}

	text := outputs[0].Text
	for _, secret := range []string{"secret-api-key-value", "secret-test-value", "secret-server-token"} {
		if strings.Contains(text, secret) {
			t.Errorf("user code sees %q in its environment", secret)
		}
	}

	lines := strings.SplitN(text, "\n", 3)
	var env map[string]string
	if err := json.Unmarshal([]byte(lines[0]), &env); err != nil {
		t.Fatalf("decode environment %q: %v", lines[0], err)
	}
	var names []string
	for name := range env {
		names = append(names, name)
	}
	slices.Sort(names)
	want := []string{"HOME", "LANG", "MPLBACKEND", "MPLCONFIGDIR", "PATH", "PYTHONUNBUFFERED", "TMPDIR"}
	if !slices.Equal(names, want) {
		t.Errorf("environment variables = %v, want %v", names, want)
	}
	if env["HOME"] != lines[1] {
		t.Errorf("HOME = %q, want the working directory %q", env["HOME"], lines[1])
	}
	if env["MPLBACKEND"] != "Agg" || env["LANG"] != "C.UTF-8" {
		t.Errorf("MPLBACKEND = %q, LANG = %q, want Agg and C.UTF-8", env["MPLBACKEND"], env["LANG"])
	}
}

// pidOf returns the number that an execute_result shows.
func pidOf(t *testing.T, outputs []out) int {
	t.Helper()
	if len(outputs) != 1 || outputs[0].Data.TextPlain == nil {
		t.Fatalf("outputs = %v, want one execute_result", outputs)
	}
	pid, err := strconv.Atoi(*outputs[0].Data.TextPlain)
	if err != nil {
		t.Fatalf("execute_result %q is not a pid", *outputs[0].Data.TextPlain)
	}
	return pid
}

func TestSessionEndsWhenProcessExitsIdle(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	id, _ := ts.execute(t, "", "import os, threading\nthreading.Timer(0.2, os._exit, [5]).start()")
	waitFor(t, 10*time.Second, "the session to end", func() bool {
		return len(ts.listSessions(t)) == 0
	})
	wantSessionEnded(t, ts, id, "exit status 5")
}

func TestSessionHasNoControllingTerminal(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	// A session leader that opened no terminal has none, so code cannot read from or write to
	// the terminal that the server was started from.
	_, outputs := ts.execute(t, "", "import os\nos.getsid(0) == os.getpid() == os.getpgrp()")
	if len(outputs) != 1 || outputs[0].Data.TextPlain == nil || *outputs[0].Data.TextPlain != "True" {
		t.Errorf("outputs = %v, want True: the driver leads its own Unix session", outputs)
	}
}

func TestSessionEndsWhenProcessExitsWhileHeld(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	id, outputs := ts.execute(t, "", "import os\nos.getpid()")
	pid := pidOf(t, outputs)

	// A request holds the session, as while it writes uploads, and its process dies. The
	// request then ends without an execute, for example because an upload failed.
	s, err := ts.srv.store.acquire(id)
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-s.interp.exited
	// Give the exit watcher time to see the hold and leave the exit to the request.
	time.Sleep(50 * time.Millisecond)
	ts.srv.store.release(s)

	if sessions := ts.listSessions(t); len(sessions) != 0 {
		t.Errorf("sessions = %v, want none: the process of the only session has exited", sessions)
	}
	wantSessionEnded(t, ts, id, "signal: killed")
}

func TestSessionClosesInheritedDescriptors(t *testing.T) {
	t.Parallel()
	// A descriptor without close-on-exec that the server's process has, as one its own parent
	// leaked, reaches every process the server starts.
	path := filepath.Join(t.TempDir(), "leaked")
	file, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	leaked, err := syscall.Dup(int(file.Fd()))
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.Close(leaked)

	ts := startServer(t)
	// The driver may reuse the number for a descriptor of its own, so compare the files.
	code := strings.Join([]string{
		"import os",
		"try:",
		fmt.Sprintf("    print(os.path.samestat(os.fstat(%d), os.stat(%s)))", leaked, pyString(path)),
		"except OSError:",
		"    print('closed')",
	}, "\n")
	_, outputs := ts.execute(t, "", code)
	if len(outputs) != 1 || outputs[0].Text == "True\n" {
		t.Errorf("outputs = %v, want the leaked descriptor closed in the session", outputs)
	}
}

func TestCloseKeepsOutputsOfCutExecute(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	started := filepath.Join(t.TempDir(), "started")
	type result struct {
		resp response
		err  error
	}
	results := make(chan result, 1)
	go func() {
		code := fmt.Sprintf("print('before the close')\nopen(%s, 'w').close()\nimport time\ntime.sleep(60)",
			pyString(started))
		resp, err := ts.send(t, http.MethodPost, "/tci/execute", nil, executeBody("", code))
		results <- result{resp, err}
	}()
	waitFor(t, 10*time.Second, "the execute to start", func() bool {
		_, err := os.Stat(started)
		return err == nil
	})
	if err := ts.srv.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	cut := <-results
	if cut.err != nil {
		t.Fatal(cut.err)
	}
	_, outputs := decodeSuccess(t, cut.resp.body)
	if len(outputs) != 2 {
		t.Fatalf("outputs = %v, want the stdout written before Close and an error", outputs)
	}
	wantOutputs(t, outputs[:1], out{Type: "stdout", Text: "before the close\n"})
	if !strings.Contains(outputs[1].Text, "the server was closed") {
		t.Errorf("output 1 = %v, want an error saying the server was closed", outputs[1])
	}
}

func TestSessionEndsWhenServerIsKilled(t *testing.T) {
	t.Parallel()
	// An idle driver reads the end of its command pipe, a sleeping one has a thread that
	// watches the server, and a printing one fails to write to the server's pipes.
	for _, state := range []string{"idle", "sleeping", "printing"} {
		t.Run(state, func(t *testing.T) {
			t.Parallel()
			helper := exec.Command(os.Args[0], "-test.run=^$")
			helper.Env = append(os.Environ(), helperEnv+"=serve", "TCI_SERVER_TEST_SESSION="+state,
				"TCI_SERVER_TEST_WORK_DIR="+t.TempDir())
			helper.Stderr = os.Stderr
			stdin, err := helper.StdinPipe()
			if err != nil {
				t.Fatal(err)
			}
			defer stdin.Close()
			stdout, err := helper.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := helper.Start(); err != nil {
				t.Fatal(err)
			}
			var driverPID, childPID int
			if _, err := fmt.Fscan(stdout, &driverPID, &childPID); err != nil {
				helper.Process.Kill()
				helper.Wait()
				t.Fatalf("read the pids from the helper server: %v", err)
			}

			// SIGKILL gives the server no chance to stop its sessions.
			if err := helper.Process.Kill(); err != nil {
				t.Fatal(err)
			}
			helper.Wait()
			deadline := time.Now().Add(10 * time.Second)
			for _, pid := range []int{driverPID, childPID} {
				for !processGone(t, pid) && time.Now().Before(deadline) {
					time.Sleep(20 * time.Millisecond)
				}
				if !processGone(t, pid) {
					t.Errorf("process %d runs 10s after its server was killed", pid)
					syscall.Kill(pid, syscall.SIGKILL)
				}
			}
		})
	}
}

func TestSessionDriverExitsWithoutItsServer(t *testing.T) {
	t.Parallel()
	python, err := resolvedPython()
	if err != nil {
		t.Fatal(err)
	}
	// The server died before the driver ran, as when a driver stopped at its start resumes
	// after the server was killed. The pid of a process that has exited stands for the server.
	exited := exec.Command(python, "-c", "")
	if err := exited.Run(); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	p, err := startInterpreter(interpreterConfig{
		python:         python,
		dir:            dir,
		env:            sessionEnv(python, dir, dir, dir),
		maxOutputBytes: DefaultMaxOutputBytes,
		serverPID:      exited.Process.Pid,
		logger:         slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	defer p.stop()
	ran := filepath.Join(dir, "ran")
	if _, ended := p.execute("open("+pyString(ran)+", 'w').close()", 10*time.Second); ended != outcomeExited {
		t.Errorf("execute ended with outcome %d, want %d: the process exits", ended, outcomeExited)
	}
	if _, err := os.Stat(ran); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the code ran (%v), want the driver to exit before it", err)
	}
}

func TestSessionBusyAfterQueueTimeout(t *testing.T) {
	t.Parallel()
	var log syncbuffer.Buffer
	ts := startServer(t, WithQueueTimeout(300*time.Millisecond), WithExecTimeout(20*time.Second),
		WithLogger(slog.New(slog.NewTextHandler(&log, nil))))
	dir := t.TempDir()
	started, release, ran := filepath.Join(dir, "started"), filepath.Join(dir, "release"), filepath.Join(dir, "ran")
	id, _ := ts.execute(t, "", "import os, time")

	// The first execute runs until the test releases it, and the second one waits for its turn.
	type result struct {
		resp response
		err  error
	}
	first := make(chan result, 1)
	go func() {
		code := fmt.Sprintf("open(%s, 'w').close()\n"+
			"deadline = time.time() + 15\n"+
			"while not os.path.exists(%s) and time.time() < deadline:\n"+
			"    time.sleep(0.01)\n"+
			"print('first')", pyString(started), pyString(release))
		resp, err := ts.send(t, http.MethodPost, "/tci/execute", nil, executeBody(id, code))
		first <- result{resp, err}
	}()
	waitFor(t, 10*time.Second, "the first execute to start", func() bool {
		_, err := os.Stat(started)
		return err == nil
	})

	begin := time.Now()
	resp := ts.post(t, map[string]any{"code": "open(" + pyString(ran) + ", 'w').close()",
		"language": "python", "session_id": id})
	waited := time.Since(begin)
	errs := decodeFailure(t, resp, http.StatusConflict)
	if errs[0]["code"] != "session_busy" {
		t.Errorf("code = %v, want session_busy", errs[0]["code"])
	}
	msg, _ := errs[0]["message"].(string)
	if !strings.Contains(msg, "running another execute") || !strings.Contains(msg, id) {
		t.Errorf("message = %q, want it to name the session and the running execute", msg)
	}
	if waited < 300*time.Millisecond {
		t.Errorf("the busy response came after %s, want at least the queue timeout of 300ms", waited)
	}
	if !strings.Contains(log.String(), "session busy") {
		t.Errorf("log = %q, want a record of the rejected execute", log.String())
	}

	if err := os.WriteFile(release, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	done := <-first
	if done.err != nil {
		t.Fatal(done.err)
	}
	if done.resp.status != http.StatusOK {
		t.Fatalf("first execute: status %d, body %s", done.resp.status, done.resp.body)
	}
	_, outputs := decodeSuccess(t, done.resp.body)
	wantOutputs(t, outputs, out{Type: "stdout", Text: "first\n"})
	if _, err := os.Stat(ran); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the rejected execute's code ran (%v), want it not to run", err)
	}
	// The session stays usable.
	_, outputs = ts.execute(t, id, "print('next')")
	wantOutputs(t, outputs, out{Type: "stdout", Text: "next\n"})
}

func TestMaxRequestDuration(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		opts []Option
		want time.Duration
	}{
		{"defaults", nil, 2*DefaultExecTimeout + stopAllowance},
		{"execute timeout", []Option{WithExecTimeout(5 * time.Second)}, 10*time.Second + stopAllowance},
		{"queue timeout first", []Option{WithQueueTimeout(time.Second), WithExecTimeout(5 * time.Second)},
			6*time.Second + stopAllowance},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ts := startServer(t, tc.opts...)
			if got := ts.srv.MaxRequestDuration(); got != tc.want {
				t.Errorf("MaxRequestDuration = %s, want %s", got, tc.want)
			}
		})
	}
}
