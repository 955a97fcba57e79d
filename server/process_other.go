//go:build !unix

package server

import (
	"errors"
	"syscall"
)

// processSupported reports whether sessions can run on this system. They need process groups
// and inherited pipe descriptors, which only Unix systems provide.
const processSupported = false

func newProcessGroup() *syscall.SysProcAttr { return nil }

func killProcessGroup(pid int) error {
	return errors.New("process groups are not supported on this system")
}

func readNonblocking(fd uintptr, buf []byte) (int, error) {
	return 0, errors.New("non-blocking reads are not supported on this system")
}
