//go:build !(darwin || dragonfly || freebsd || illumos || linux || netbsd || openbsd)

package server

import (
	"errors"
	"io/fs"
	"os"
)

// locksSupported reports whether tryLock works on this system. Without flock, a server cannot
// tell whether the directory of another server is still in use, so it leaves them all.
const locksSupported = false

func tryLock(f *os.File) error { return errors.New("file locks are not supported on this system") }

func openLockFile(path string) (*os.File, error) { return nil, fs.ErrNotExist }

func ownedByUser(info fs.FileInfo) bool { return false }
