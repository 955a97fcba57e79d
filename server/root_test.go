package server

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// makeRoot creates parent/name as a server's temporary directory with a session directory in
// it, and with a lock file unless withLock is false.
func makeRoot(t *testing.T, parent, name string, withLock bool) string {
	t.Helper()
	dir := filepath.Join(parent, name)
	if err := os.MkdirAll(filepath.Join(dir, "ses_x", "work"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "ses_x", "work", "data.txt"), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	if withLock {
		if err := os.WriteFile(filepath.Join(dir, rootLockName), nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func exists(t *testing.T, path string) bool {
	t.Helper()
	_, err := os.Lstat(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	return err == nil
}

func TestRemoveStaleRoots(t *testing.T) {
	t.Parallel()
	if !locksSupported {
		t.Skip("this system has no flock, so no directory counts as stale")
	}
	parent := t.TempDir()
	stale := makeRoot(t, parent, rootPrefix+"stale", true)
	withoutLock := makeRoot(t, parent, rootPrefix+"starting", false)
	otherName := makeRoot(t, parent, "other-stale", true)

	// A lock held through another open file, as a live server holds it.
	live := makeRoot(t, parent, rootPrefix+"live", true)
	held, err := openLockFile(filepath.Join(live, rootLockName))
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	if err := tryLock(held); err != nil {
		t.Fatal(err)
	}

	// A link with the prefix to a stale directory elsewhere is not followed.
	target := makeRoot(t, t.TempDir(), "target", true)
	link := filepath.Join(parent, rootPrefix+"link")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}

	removeStaleRoots(parent, slog.New(slog.DiscardHandler))
	if exists(t, stale) {
		t.Errorf("%s is left, want the directory with a free lock removed", stale)
	}
	for _, kept := range []string{withoutLock, otherName, live, link, target} {
		if !exists(t, kept) {
			t.Errorf("%s was removed, want it kept", kept)
		}
	}
}

func TestRemoveStaleRootsKilledServer(t *testing.T) {
	t.Parallel()
	if !locksSupported {
		t.Skip("this system has no flock, so no directory counts as stale")
	}
	// A server process in its own temporary directory, which it creates in parent.
	parent := t.TempDir()
	helper := exec.Command(os.Args[0], "-test.run=^$")
	helper.Env = append(os.Environ(), helperEnv+"=serve", "TCI_SERVER_TEST_SESSION=idle", "TMPDIR="+parent)
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
	defer helper.Wait()
	defer helper.Process.Kill()
	var driverPID, childPID int
	if _, err := fmt.Fscan(stdout, &driverPID, &childPID); err != nil {
		t.Fatalf("read the pids from the helper server: %v", err)
	}
	roots, err := filepath.Glob(filepath.Join(parent, rootPrefix+"*"))
	if err != nil || len(roots) != 1 {
		t.Fatalf("directories of the helper server = %v, %v; want one", roots, err)
	}

	removeStaleRoots(parent, slog.New(slog.DiscardHandler))
	if !exists(t, roots[0]) {
		t.Fatalf("%s was removed while its server runs", roots[0])
	}

	if err := helper.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	helper.Wait()
	var log strings.Builder
	removeStaleRoots(parent, slog.New(slog.NewTextHandler(&log, nil)))
	if exists(t, roots[0]) {
		t.Errorf("%s is left after its server was killed, want it removed", roots[0])
	}
	if !strings.Contains(log.String(), "removed directory of a stopped server") {
		t.Errorf("log = %q, want a record of the removal", log.String())
	}
	for _, pid := range []int{driverPID, childPID} {
		if !processGone(t, pid) {
			// The session notices its server's death within about a second; end it here so
			// that the test leaves no process behind.
			syscall.Kill(pid, syscall.SIGKILL)
		}
	}
}

func TestNewOwnDirectoryLifecycle(t *testing.T) {
	parent := t.TempDir()
	t.Setenv("TMPDIR", parent)
	stale := makeRoot(t, parent, rootPrefix+"stale", true)
	python, err := resolvedPython()
	if err != nil {
		t.Fatal(err)
	}

	srv, err := New(WithPython(python))
	if err != nil {
		t.Fatal(err)
	}
	if locksSupported && exists(t, stale) {
		t.Errorf("%s is left after New, want the directory of the stopped server removed", stale)
	}
	if filepath.Dir(srv.root) != parent || !strings.HasPrefix(filepath.Base(srv.root), rootPrefix) {
		t.Errorf("root = %s, want a %s* directory in %s", srv.root, rootPrefix, parent)
	}
	if locksSupported && !exists(t, filepath.Join(srv.root, rootLockName)) {
		t.Errorf("root %s has no lock file", srv.root)
	}

	// A second server leaves the first one's directory alone.
	other, err := New(WithPython(python))
	if err != nil {
		t.Fatal(err)
	}
	if !exists(t, srv.root) {
		t.Errorf("New removed the directory %s of a live server", srv.root)
	}
	for _, s := range []*Server{other, srv} {
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		if exists(t, s.root) {
			t.Errorf("%s is left after Close", s.root)
		}
	}
}
