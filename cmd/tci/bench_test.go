package main

import (
	"io"
	"strings"
	"testing"

	"github.com/tcikit/tci/internal/syncbuffer"
	"github.com/tcikit/tci/tcitest"
)

// BenchmarkExecLocal measures "tci exec" without a base URL: starting the reference server
// in-process, which runs the interpreter once to check it, one session and its shutdown.
func BenchmarkExecLocal(b *testing.B) {
	for b.Loop() {
		if code := runQuiet(b, "exec", "1"); code != exitOK {
			b.Fatalf("exit status %d", code)
		}
	}
}

// BenchmarkExecSession measures one "tci exec --session" against a running server: the
// command's own overhead plus one HTTP round trip and a trivial execute.
func BenchmarkExecSession(b *testing.B) {
	srv := tcitest.NewServer(b)
	var stderr syncbuffer.Buffer
	code := run(b.Context(), []string{"--base-url", srv.URL(), "exec", "x = 1"}, strings.NewReader(""),
		io.Discard, &stderr, fakeEnv(nil))
	if code != exitOK {
		b.Fatalf("exit status %d: %s", code, stderr.String())
	}
	id := sessionLine.FindStringSubmatch(stderr.String())[1]
	for b.Loop() {
		if code := runQuiet(b, "--base-url", srv.URL(), "exec", "--session", id, "x"); code != exitOK {
			b.Fatalf("exit status %d", code)
		}
	}
}

// runQuiet runs the CLI in-process with an empty environment and discards its output.
func runQuiet(b *testing.B, args ...string) int {
	return run(b.Context(), args, strings.NewReader(""), io.Discard, io.Discard, fakeEnv(nil))
}
