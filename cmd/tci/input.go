package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/tcikit/tci/server"
)

// maxRequestInputBytes caps the code and the uploads of one exec together at the reference
// server's request body limit, 32 MiB, because the server rejects a larger request anyway.
// Uploads that are not UTF-8 travel base64-encoded and grow by a third, so a request below
// the cap can still be too large for the server.
const maxRequestInputBytes = server.DefaultMaxBodyBytes

// maxValidateInputBytes caps the body or HAR capture that "tci validate" reads, 256 MiB.
const maxValidateInputBytes = 256 << 20

// errInputTooLarge is the error of readInput for an input over its limit.
var errInputTooLarge = errors.New("input too large")

// readInput reads at most limit bytes from the reader that open returns and fails with
// errInputTooLarge for a longer input. Opening and reading run in their own goroutine, so
// SIGINT ends the wait for a pipe or FIFO that never delivers. readInput then returns the
// context's error and leaves the goroutine blocked until the process exits.
func readInput(ctx context.Context, open func() (io.ReadCloser, error), limit int64) ([]byte, error) {
	type result struct {
		data []byte
		err  error
	}
	done := make(chan result, 1)
	go func() {
		r, err := open()
		if err != nil {
			done <- result{err: err}
			return
		}
		defer r.Close()
		data, err := io.ReadAll(io.LimitReader(r, limit+1))
		done <- result{data: data, err: err}
	}()

	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	case r := <-done:
		if r.err != nil {
			return nil, r.err
		}
		if int64(len(r.data)) > limit {
			return nil, errInputTooLarge
		}
		return r.data, nil
	}
}

// openFile returns a function that opens path for readInput.
func openFile(path string) func() (io.ReadCloser, error) {
	return func() (io.ReadCloser, error) { return os.Open(path) }
}

// openReader returns a function that hands r to readInput, which never closes it.
func openReader(r io.Reader) func() (io.ReadCloser, error) {
	return func() (io.ReadCloser, error) { return io.NopCloser(r), nil }
}

// formatBytes returns n in MiB when it is a whole number of them, and in bytes otherwise.
func formatBytes(n int64) string {
	if n >= 1<<20 && n%(1<<20) == 0 {
		return fmt.Sprintf("%d MiB", n>>20)
	}
	return fmt.Sprintf("%d bytes", n)
}
