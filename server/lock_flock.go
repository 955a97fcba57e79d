//go:build darwin || dragonfly || freebsd || illumos || linux || netbsd || openbsd

package server

import (
	"errors"
	"io/fs"
	"os"
	"syscall"
)

// locksSupported reports whether tryLock works on this system.
const locksSupported = true

// tryLock takes an exclusive flock on f without waiting. It returns errLocked when another open
// file holds the lock, in this process or another.
func tryLock(f *os.File) error {
	err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
	if errors.Is(err, syscall.EWOULDBLOCK) {
		return errLocked
	}
	return err
}

// openLockFile opens the lock file at path for tryLock, failing when path is a symbolic link.
func openLockFile(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_RDWR|syscall.O_NOFOLLOW, 0)
}

// ownedByUser reports whether the file that info describes belongs to the user of this process.
func ownedByUser(info fs.FileInfo) bool {
	stat, ok := info.Sys().(*syscall.Stat_t)
	return ok && int(stat.Uid) == os.Getuid()
}
