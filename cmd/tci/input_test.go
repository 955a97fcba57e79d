package main

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestReadInputLimit(t *testing.T) {
	data, err := readInput(t.Context(), openReader(strings.NewReader("0123456789")), 10)
	if err != nil || string(data) != "0123456789" {
		t.Errorf("input at the limit = %q, %v; want it whole", data, err)
	}
	_, err = readInput(t.Context(), openReader(strings.NewReader("0123456789x")), 10)
	if !errors.Is(err, errInputTooLarge) {
		t.Errorf("input over the limit: error = %v, want errInputTooLarge", err)
	}
}

func TestReadInputEndsOnCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	reader, writer := io.Pipe()
	defer writer.Close()
	time.AfterFunc(100*time.Millisecond, cancel)
	started := time.Now()
	_, err := readInput(ctx, openReader(reader), 10)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("error = %v, want context.Canceled", err)
	}
	if elapsed := time.Since(started); elapsed > 5*time.Second {
		t.Errorf("readInput took %v to return after the cancel", elapsed)
	}
}

func TestExecUploadOverLimitFails(t *testing.T) {
	t.Parallel()
	o := tci(t, "--base-url", "http://127.0.0.1:9/v1", "exec", "--upload", "/dev/zero", "1")
	o.expectCode(t, exitUsage)
	want := "tci: --upload /dev/zero: the code and the uploads together are larger than 32 MiB"
	if !strings.HasPrefix(o.stderr, want) {
		t.Errorf("stderr = %q, want it to start with %q", o.stderr, want)
	}
}

func TestExecUploadsShareLimitWithCode(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	half := filepath.Join(dir, "half.bin")
	if err := os.WriteFile(half, make([]byte, maxRequestInputBytes/2), 0o644); err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(dir, "other.bin")
	if err := os.WriteFile(other, make([]byte, maxRequestInputBytes/2), 0o644); err != nil {
		t.Fatal(err)
	}
	// Each file fits alone, but with the code the two exceed the limit.
	o := tci(t, "--base-url", "http://127.0.0.1:9/v1", "exec", "--upload", half, "--upload", other, "1")
	o.expectCode(t, exitUsage)
	if want := "--upload " + other + ": the code and the uploads together"; !strings.Contains(o.stderr, want) {
		t.Errorf("stderr = %q, want %q", o.stderr, want)
	}
}

func TestExecFileOverLimitFails(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "big.py")
	file, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	// A sparse file: its size costs no disk space.
	if err := file.Truncate(maxRequestInputBytes + 1); err != nil {
		t.Fatal(err)
	}
	file.Close()
	o := tci(t, "--base-url", "http://127.0.0.1:9/v1", "exec", "--file", path)
	o.expectCode(t, exitUsage)
	if want := "tci: --file " + path + ": the code is larger than 32 MiB"; !strings.HasPrefix(o.stderr, want) {
		t.Errorf("stderr = %q, want it to start with %q", o.stderr, want)
	}
}

func TestExecStdinOverLimitFails(t *testing.T) {
	t.Parallel()
	o := invocation{args: []string{"--base-url", "http://127.0.0.1:9/v1", "exec", "-"},
		stdinReader: io.LimitReader(zeroReader{}, maxRequestInputBytes+1)}.run(t)
	o.expectCode(t, exitUsage)
	if want := "tci: standard input: the code is larger than 32 MiB"; !strings.HasPrefix(o.stderr, want) {
		t.Errorf("stderr = %q, want it to start with %q", o.stderr, want)
	}
}

// zeroReader reads zero bytes without end, like /dev/zero.
type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

func TestValidateInputOverLimitFails(t *testing.T) {
	c := newTestCLI(t, nil)
	c.stdin = strings.NewReader(`{"data":null,"errors":["x"]}`)
	_, err := c.readValidateInput("-", "-", 8)
	if err == nil || !strings.Contains(err.Error(), "-: larger than 8 bytes, the largest input that tci "+
		"validate reads") {
		t.Errorf("error = %v, want the input named with the limit", err)
	}
	if got := c.exit(err); got != exitUsage {
		t.Errorf("exit status %d, want %d", got, exitUsage)
	}
}

func TestExecStdinInterruptExits130(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(t.Context())
	reader, writer := io.Pipe()
	defer writer.Close()
	time.AfterFunc(200*time.Millisecond, cancel)
	started := time.Now()
	o := invocation{args: []string{"exec", "-"}, stdinReader: reader, ctx: ctx}.run(t)
	o.expectCode(t, exitInterrupted)
	if elapsed := time.Since(started); elapsed > 5*time.Second {
		t.Errorf("exec took %v to stop after the interrupt", elapsed)
	}
	if !strings.Contains(o.stderr, "tci: interrupted") {
		t.Errorf("stderr lacks the interrupt line:\n%s", o.stderr)
	}
}

func TestExecFIFOInterruptExits130(t *testing.T) {
	t.Parallel()
	fifo := filepath.Join(t.TempDir(), "code.fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	// Opening the FIFO for reading and writing never blocks, and it lets the open of the
	// command, still waiting in its goroutine, return once the test ends.
	t.Cleanup(func() {
		if f, err := os.OpenFile(fifo, os.O_RDWR, 0); err == nil {
			f.Close()
		}
	})
	ctx, cancel := context.WithCancel(t.Context())
	time.AfterFunc(200*time.Millisecond, cancel)
	for _, args := range [][]string{{"exec", "--file", fifo}, {"validate", "--har", fifo}} {
		o := invocation{args: args, ctx: ctx}.run(t)
		o.expectCode(t, exitInterrupted)
	}
}
