package server

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestOptionsRejectInvalidValues(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		option Option
		want   string // substring of the error
	}{
		{"empty token", WithToken(""), "token is empty"},
		{"token with space", WithToken("abc def"), "at byte 3"},
		{"token with newline", WithToken("abc\n"), "control character"},
		{"zero TTL", WithSessionTTL(0), "TTL 0s is not positive"},
		{"negative TTL", WithSessionTTL(-time.Second), "TTL -1s is not positive"},
		{"zero timeout", WithExecTimeout(0), "timeout 0s is not positive"},
		{"negative queue timeout", WithQueueTimeout(-time.Second), "WithQueueTimeout: timeout -1s is not positive"},
		{"empty python", WithPython(""), "interpreter is empty"},
		{"zero body limit", WithMaxBodyBytes(0), "limit 0 is not positive"},
		{"negative output limit", WithMaxOutputBytes(-5), "limit -5 is not positive"},
		{"zero sessions", WithMaxSessions(0), "limit 0 is not positive"},
		{"empty work dir", WithWorkDir(""), "directory is empty"},
		{"nil logger", WithLogger(nil), "logger is nil"},
		{"nil option", nil, "option 0 is nil"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv, err := New(tc.option)
			if err == nil {
				srv.Close()
				t.Fatal("New succeeded, want an error")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error = %q, want it to contain %q", err, tc.want)
			}
		})
	}
}

func TestTokenErrorOmitsToken(t *testing.T) {
	t.Parallel()
	_, err := New(WithToken("visible-part hidden"))
	if err == nil || strings.Contains(err.Error(), "visible-part") {
		t.Errorf("error = %v, want an error without the token", err)
	}
}

func TestNewRejectsMissingPython(t *testing.T) {
	t.Parallel()
	missing := filepath.Join(t.TempDir(), "no-such-python")
	_, err := New(WithPython(missing))
	if err == nil || !strings.Contains(err.Error(), missing) || !strings.Contains(err.Error(), "not found") {
		t.Errorf("error = %v, want it to name %s as not found", err, missing)
	}
}

func TestNewRejectsPythonThatIsNotPython3(t *testing.T) {
	t.Parallel()
	fake := filepath.Join(t.TempDir(), "python")
	if err := os.WriteFile(fake, []byte("#!/bin/sh\necho /usr/bin/python2; echo 2.7\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	_, err := New(WithPython(fake))
	if err == nil || !strings.Contains(err.Error(), `Python "2.7"`) {
		t.Errorf("error = %v, want it to reject Python 2.7", err)
	}
}

func TestNewRejectsMissingWorkDir(t *testing.T) {
	t.Parallel()
	missing := filepath.Join(t.TempDir(), "absent")
	_, err := New(WithWorkDir(missing))
	if err == nil || !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), missing) {
		t.Errorf("error = %v, want a not-exist error naming %s", err, missing)
	}
}

func TestWorkDirKeptAfterClose(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ts := startServer(t, WithWorkDir(dir))
	_, outputs := ts.execute(t, "", "import os\nos.getcwd()")
	if cwd := strings.Trim(*outputs[0].Data.TextPlain, "'"); !strings.HasPrefix(cwd, dir+string(os.PathSeparator)) {
		t.Errorf("working directory %s is not inside %s", cwd, dir)
	}
	if err := ts.srv.Close(); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatalf("work directory after Close: %v", err)
	}
	if len(entries) != 0 {
		t.Errorf("work directory after Close holds %v, want it empty", entries)
	}
}
