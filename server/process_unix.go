//go:build unix

package server

import (
	"errors"
	"syscall"
)

// processSupported reports whether sessions can run on this system.
const processSupported = true

// newProcessGroup puts the child in a Unix session of its own, which is also a process group of
// its own, so that a timeout or a stop can kill it together with every process it started. The
// new session has no controlling terminal, so user code cannot read from the terminal that the
// server runs in, which would stop the process with SIGTTIN, or write to it.
func newProcessGroup() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setsid: true}
}

// killProcessGroup sends SIGKILL to the process group led by pid. A group that is already gone
// is not an error.
func killProcessGroup(pid int) error {
	err := syscall.Kill(-pid, syscall.SIGKILL)
	if errors.Is(err, syscall.ESRCH) {
		return nil
	}
	return err
}

// readNonblocking reads from the non-blocking descriptor fd into buf. It returns errWouldBlock
// when fd holds no data, and 0 and no error at end of file.
func readNonblocking(fd uintptr, buf []byte) (int, error) {
	for {
		n, err := syscall.Read(int(fd), buf)
		switch {
		case errors.Is(err, syscall.EINTR):
			continue
		case errors.Is(err, syscall.EAGAIN):
			return 0, errWouldBlock
		case err != nil:
			return 0, err
		}
		return n, nil
	}
}
