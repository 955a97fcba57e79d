package server

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
)

const (
	// rootPrefix begins the name of the temporary directory that a server creates without
	// WithWorkDir.
	rootPrefix = "tci-server-"
	// rootLockName is the file in that directory on which the server holds an exclusive flock
	// while it runs. The kernel releases the lock when the process exits, however it exits, so
	// a directory whose lock is free belongs to a server that is gone.
	rootLockName = "server.lock"
)

// errLocked is returned by tryLock when another open file holds the lock.
var errLocked = errors.New("file is locked")

// prepareRoot returns the directory for session directories: dir when given, which must exist,
// or else a new temporary directory that the server owns. For a new directory it also returns
// the open lock file, or nil where the system has no flock.
func prepareRoot(dir string) (root string, lock *os.File, err error) {
	owned := dir == ""
	if owned {
		root, err = os.MkdirTemp("", rootPrefix)
		if err != nil {
			return "", nil, fmt.Errorf("create work directory: %w", err)
		}
		if lock, err = lockRoot(root); err != nil {
			removeDir(root)
			return "", nil, err
		}
	} else {
		info, err := os.Stat(dir)
		if err != nil {
			return "", nil, fmt.Errorf("work directory %q: %w; create it first", dir, err)
		}
		if !info.IsDir() {
			return "", nil, fmt.Errorf("work directory %q is not a directory", dir)
		}
		if root, err = filepath.Abs(dir); err != nil {
			return "", nil, fmt.Errorf("work directory %q: %w", dir, err)
		}
	}
	if err := os.MkdirAll(filepath.Join(root, mplConfigDir), 0o700); err != nil {
		if owned {
			removeDir(root)
			closeLock(lock)
		}
		return "", nil, fmt.Errorf("create matplotlib directory: %w", err)
	}
	return root, lock, nil
}

// lockRoot creates the lock file of root and takes its lock. The file gets its name only once
// it is locked, so that another server never finds it unlocked while this one starts.
func lockRoot(root string) (*os.File, error) {
	if !locksSupported {
		return nil, nil
	}
	path := filepath.Join(root, rootLockName)
	f, err := os.OpenFile(path+".new", os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("create lock file: %w", err)
	}
	if err := tryLock(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("lock %s: %w", f.Name(), err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		f.Close()
		return nil, fmt.Errorf("create lock file: %w", err)
	}
	return f, nil
}

// closeLock releases the lock that lockRoot took, if any.
func closeLock(lock *os.File) {
	if lock != nil {
		lock.Close()
	}
}

// removeStaleRoots removes the temporary directories in parent that servers of this user left
// behind when they died without Close. It removes only a directory whose lock file exists and
// is not locked, and it logs what it removes and what it fails to remove.
func removeStaleRoots(parent string, logger *slog.Logger) {
	if !locksSupported {
		return
	}
	entries, err := os.ReadDir(parent)
	if err != nil {
		logger.Warn("list directories of stopped servers failed", "dir", parent, "error", err)
		return
	}
	for _, entry := range entries {
		// A symbolic link is not a directory entry here, so links are never followed.
		if !entry.IsDir() || !strings.HasPrefix(entry.Name(), rootPrefix) {
			continue
		}
		dir := filepath.Join(parent, entry.Name())
		removed, err := removeIfStale(dir)
		switch {
		case err != nil:
			logger.Warn("remove directory of a stopped server failed", "dir", dir, "error", err)
		case removed:
			logger.Info("removed directory of a stopped server", "dir", dir)
		}
	}
}

// removeIfStale removes dir when it belongs to this user and holds a lock file that no process
// has locked. It reports whether it removed dir.
func removeIfStale(dir string) (bool, error) {
	info, err := os.Lstat(dir)
	if err != nil || !info.IsDir() || !ownedByUser(info) {
		return false, nil
	}
	lock, err := openLockFile(filepath.Join(dir, rootLockName))
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrPermission) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	defer lock.Close()
	if err := tryLock(lock); err != nil {
		if errors.Is(err, errLocked) {
			return false, nil
		}
		return false, err
	}
	return true, removeDir(dir)
}
