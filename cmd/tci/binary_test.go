package main

import (
	"bufio"
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/tcikit/tci/internal/syncbuffer"
)

var (
	buildOnce sync.Once
	binary    string
	buildErr  error
)

// buildTCI builds the tci binary once per test run, into a temporary directory.
func buildTCI(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		goTool, err := exec.LookPath("go")
		if err != nil {
			buildErr = err
			return
		}
		dir, err := os.MkdirTemp("", "tci-binary-")
		if err != nil {
			buildErr = err
			return
		}
		binary = filepath.Join(dir, "tci")
		out, err := exec.Command(goTool, "build", "-o", binary, ".").CombinedOutput()
		if err != nil {
			buildErr = errors.New(err.Error() + ": " + string(out))
		}
	})
	if buildErr != nil {
		t.Fatalf("build tci: %v", buildErr)
	}
	return binary
}

// TestMain removes the binary that buildTCI built.
func TestMain(m *testing.M) {
	code := m.Run()
	if binary != "" {
		os.RemoveAll(filepath.Dir(binary))
	}
	os.Exit(code)
}

// userEnv is the environment of a user who has set nothing for tci: PATH and HOME only,
// which a python3 from a version manager such as pyenv needs.
func userEnv(extra ...string) []string {
	return append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}, extra...)
}

func TestBinaryExecWithoutEnvironment(t *testing.T) {
	t.Parallel()
	cmd := exec.Command(buildTCI(t), "exec", "print(sum(range(10)))")
	cmd.Env = userEnv()
	cmd.Dir = t.TempDir()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("tci exec: %v\nstderr:\n%s", err, stderr.String())
	}
	if stdout.String() != "45\n" {
		t.Errorf("stdout = %q, want %q", stdout.String(), "45\n")
	}
}

func TestBinaryExecSavesToWorkingDirectory(t *testing.T) {
	t.Parallel()
	url := fakeServer(t, respond(200, "application/json",
		displayResponse(map[string]string{"image/gif": "R0lGODlh", "text/plain": "gif"})))
	dir := t.TempDir()
	cmd := exec.Command(buildTCI(t), "exec", "show()")
	cmd.Env = userEnv("TOGETHER_BASE_URL=" + url)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("tci exec: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "tci: saved display-1.gif (image/gif, 6 bytes)") {
		t.Errorf("output does not name the saved file:\n%s", out)
	}
	if _, err := os.Stat(filepath.Join(dir, "display-1.gif")); err != nil {
		t.Errorf("default --out is not the working directory: %v", err)
	}
}

func TestBinaryExecInterruptExits130(t *testing.T) {
	t.Parallel()
	cmd := exec.Command(buildTCI(t), "exec", "import time\nprint('sleeping', flush=True)\ntime.sleep(60)")
	cmd.Env = userEnv()
	cmd.Dir = t.TempDir()
	stderr := startWithStderr(t, cmd)
	waitForMatch(t, stderr, localLine, 15*time.Second)
	children := waitForChildren(t, cmd.Process.Pid, 10*time.Second)

	started := time.Now()
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	err := waitTimeout(t, cmd, 15*time.Second)
	var exitErr *exec.ExitError
	if !errors.As(err, &exitErr) || exitErr.ExitCode() != exitInterrupted {
		t.Fatalf("tci exec after SIGINT: %v, want exit status %d\nstderr:\n%s",
			err, exitInterrupted, stderr.String())
	}
	if elapsed := time.Since(started); elapsed > 5*time.Second {
		t.Errorf("tci took %v to exit after SIGINT", elapsed)
	}
	if !strings.Contains(stderr.String(), "tci: interrupted: interrupt signal received") {
		t.Errorf("stderr lacks the interrupt line:\n%s", stderr.String())
	}
	expectGone(t, children)
}

func TestBinaryExecStdinInterruptExits130(t *testing.T) {
	t.Parallel()
	// Standard input is a pipe that stays open without data, as in "sleep 8 | tci exec -".
	cmd := exec.Command(buildTCI(t), "exec", "-")
	cmd.Env = userEnv()
	cmd.Dir = t.TempDir()
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	defer stdin.Close()
	stderr := startWithStderr(t, cmd)
	time.Sleep(500 * time.Millisecond) // let tci install its signal handler

	started := time.Now()
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	err = waitTimeout(t, cmd, 15*time.Second)
	var exitErr *exec.ExitError
	if !errors.As(err, &exitErr) || exitErr.ExitCode() != exitInterrupted {
		t.Fatalf("tci exec - after SIGINT: %v, want exit status %d\nstderr:\n%s",
			err, exitInterrupted, stderr.String())
	}
	if elapsed := time.Since(started); elapsed > 5*time.Second {
		t.Errorf("tci took %v to exit after SIGINT", elapsed)
	}
}

func TestBinaryServeStopsOnSignal(t *testing.T) {
	t.Parallel()
	for _, signal := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		t.Run(signal.String(), func(t *testing.T) {
			t.Parallel()
			cmd, baseURL, stderr := startServeBinary(t)

			for i := range 2 {
				o := tci(t, "--base-url", baseURL, "exec", "print("+strconv.Itoa(i)+")")
				o.expectCode(t, exitOK)
			}
			children := waitForChildren(t, cmd.Process.Pid, 10*time.Second)
			if len(children) != 2 {
				t.Errorf("serve has %d child processes, want one python per session", len(children))
			}

			if err := cmd.Process.Signal(signal); err != nil {
				t.Fatal(err)
			}
			if err := waitTimeout(t, cmd, 15*time.Second); err != nil {
				t.Fatalf("tci serve after %v: %v\nstderr:\n%s", signal, err, stderr.String())
			}
			expectGone(t, children)
			if !strings.Contains(stderr.String(), "msg=stopped") {
				t.Errorf("log lacks the stop:\n%s", stderr.String())
			}
		})
	}
}

var localLine = regexp.MustCompile("running on the local reference server")

// startServeBinary starts "tci serve" on a random loopback port and returns the command, the
// base URL it printed and its stderr.
func startServeBinary(t *testing.T) (*exec.Cmd, string, *syncbuffer.Buffer) {
	t.Helper()
	cmd := exec.Command(buildTCI(t), "serve", "--addr", "127.0.0.1:0")
	cmd.Env = userEnv()
	cmd.Dir = t.TempDir()
	stdoutPipe, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr := startWithStderr(t, cmd)
	line, err := bufio.NewReader(stdoutPipe).ReadString('\n')
	if err != nil {
		t.Fatalf("read the base URL: %v\nstderr:\n%s", err, stderr.String())
	}
	return cmd, strings.TrimPrefix(strings.TrimSpace(line), "TOGETHER_BASE_URL="), stderr
}

// startWithStderr starts cmd with its stderr in the returned buffer, and kills it at the end
// of the test if it still runs.
func startWithStderr(t *testing.T, cmd *exec.Cmd) *syncbuffer.Buffer {
	t.Helper()
	var stderr syncbuffer.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})
	return &stderr
}

// waitTimeout waits for cmd to exit and returns its error, failing t after timeout.
func waitTimeout(t *testing.T, cmd *exec.Cmd, timeout time.Duration) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		return err
	case <-time.After(timeout):
		cmd.Process.Kill()
		<-done
		t.Fatalf("%s did not exit within %v", cmd.Args[1], timeout)
		return nil
	}
}

// waitForChildren polls until the process pid has at least one child and returns the pids
// of its children. It reads /proc, so it skips the test elsewhere than on Linux.
func waitForChildren(t *testing.T, pid int, timeout time.Duration) []int {
	t.Helper()
	if runtime.GOOS != "linux" {
		t.Skip("finding child processes needs Linux's /proc")
	}
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if children := childrenOf(pid); len(children) > 0 {
			return children
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("process %d started no child process within %v", pid, timeout)
	return nil
}

func childrenOf(pid int) []int {
	entries, _ := os.ReadDir("/proc")
	var children []int
	for _, entry := range entries {
		child, err := strconv.Atoi(entry.Name())
		if err != nil {
			continue
		}
		if parent, state, ok := procStat(child); ok && parent == pid && state != "Z" {
			children = append(children, child)
		}
	}
	return children
}

// procStat returns the parent pid and the state of a process from /proc/PID/stat.
func procStat(pid int) (parent int, state string, ok bool) {
	data, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return 0, "", false
	}
	// The command name in parentheses may contain spaces, so the fields start after ")".
	fields := strings.Fields(string(data[bytes.LastIndexByte(data, ')')+1:]))
	if len(fields) < 2 {
		return 0, "", false
	}
	parent, err = strconv.Atoi(fields[1])
	return parent, fields[0], err == nil
}

// expectGone fails t unless every process in pids has exited within a few seconds. A zombie
// counts as exited.
func expectGone(t *testing.T, pids []int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for _, pid := range pids {
		for {
			_, state, ok := procStat(pid)
			if !ok || state == "Z" {
				break
			}
			if time.Now().After(deadline) {
				t.Errorf("python process %d still runs after tci exited", pid)
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
}

func TestBinaryServeSecondSignalStopsAtOnce(t *testing.T) {
	t.Parallel()
	cmd, baseURL, stderr := startServeBinary(t)

	client := make(chan outcome, 1)
	go func() { client <- tci(t, "--base-url", baseURL, "exec", "import time\ntime.sleep(60)") }()
	children := waitForChildren(t, cmd.Process.Pid, 10*time.Second)

	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	waitForMatch(t, stderr, regexp.MustCompile("stopping: waiting for running executes"), 5*time.Second)
	time.Sleep(300 * time.Millisecond)
	// Until Wait reaps it, an exited serve is a zombie.
	if _, state, ok := procStat(cmd.Process.Pid); !ok || state == "Z" {
		t.Fatal("serve exited after one SIGINT while an execute was running")
	}

	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	err := waitTimeout(t, cmd, 5*time.Second)
	var exitErr *exec.ExitError
	if !errors.As(err, &exitErr) {
		t.Fatalf("serve after a second SIGINT: %v, want it killed by the signal", err)
	}
	// Each session's driver notices that its parent is gone within a second and ends.
	expectGone(t, children)
	if o := <-client; o.code != exitRequest {
		t.Errorf("exec whose server was stopped: exit status %d, want %d", o.code, exitRequest)
	}
}
