package server

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/tcikit/tci/validate"
)

// Server is the reference server of the Code Interpreter API. Create it with New, serve
// Handler with an http.Server and call Close when done. A Server is safe for concurrent use.
type Server struct {
	cfg       config
	logger    *slog.Logger
	validator *validate.Validator
	store     *sessionStore
	handler   http.Handler
	root      string   // directory of the session directories
	ownsRoot  bool     // whether Close removes root
	rootLock  *os.File // lock file of an owned root, held until Close; nil without flock

	closeOnce sync.Once
	closeErr  error
}

// New checks the options and the Python interpreter and returns a Server with no sessions.
// Sessions start with the first execute that has no session_id.
//
// Without WithWorkDir, New creates a temporary directory named tci-server-* and holds a flock
// on a lock file in it until Close. It first removes the tci-server-* directories of this
// user that servers left behind when they died without Close: those whose lock file exists and
// is not locked, since the kernel releases the lock of a process that exits. Directories
// without a lock file are kept, as are all directories on systems without flock.
func New(opts ...Option) (*Server, error) {
	if !processSupported {
		return nil, errors.New("server: sessions need a Unix system (process groups and inherited pipes)")
	}
	cfg := defaultConfig()
	for i, opt := range opts {
		if opt == nil {
			return nil, fmt.Errorf("server: option %d is nil", i)
		}
		if err := opt(&cfg); err != nil {
			return nil, fmt.Errorf("server: %w", err)
		}
	}
	if cfg.queueTimeout == 0 {
		cfg.queueTimeout = cfg.execTimeout
	}
	validator, err := validate.Embedded()
	if err != nil {
		return nil, fmt.Errorf("server: load the API spec: %w", err)
	}
	python, err := resolvePython(cfg.python)
	if err != nil {
		return nil, fmt.Errorf("server: %w", err)
	}
	ownsRoot := cfg.workDir == ""
	if ownsRoot {
		removeStaleRoots(os.TempDir(), cfg.logger)
	}
	root, rootLock, err := prepareRoot(cfg.workDir)
	if err != nil {
		return nil, fmt.Errorf("server: %w", err)
	}

	s := &Server{
		cfg:       cfg,
		logger:    cfg.logger,
		validator: validator,
		root:      root,
		ownsRoot:  ownsRoot,
		rootLock:  rootLock,
	}
	s.store = newSessionStore(&s.cfg, python, root)
	s.handler = s.buildHandler()
	s.logger.Debug("server ready", "python", python, "work_dir", root)
	return s, nil
}

// Handler returns the HTTP handler of the API. It serves POST /v1/tci/execute and
// GET /v1/tci/sessions and responds to every other path with a JSON 404.
func (s *Server) Handler() http.Handler { return s.handler }

// stopAllowance is an estimate of the time that a request may take besides waiting for its
// session's turn and running the code. It covers writing the uploads, stopping the processes
// and reading their last output after a timeout (drainGrace), removing the session directory
// and encoding the response.
const stopAllowance = 10 * time.Second

// MaxRequestDuration returns about the longest time that Handler takes for one request: the
// queue timeout and the execute timeout, plus an allowance of 10 seconds for the work around
// them. An http.Server that serves Handler needs a WriteTimeout longer than this plus the time
// to read a request body and to send the response, or the response of a long execute is lost.
func (s *Server) MaxRequestDuration() time.Duration {
	return s.cfg.queueTimeout + s.cfg.execTimeout + stopAllowance
}

// Close kills the process group of every session, waits for the processes to exit and removes
// the session directories. Requests after Close get 503. Close does not stop the http.Server
// that serves Handler; shut that down first so that no execute is cut off. Calling Close again
// returns the first result.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		s.store.close()
		dir := filepath.Join(s.root, mplConfigDir)
		if s.ownsRoot {
			dir = s.root
		}
		if err := removeDir(dir); err != nil {
			s.closeErr = fmt.Errorf("server: %w", err)
		}
		// The lock goes last, so that no other server removes the directory while this one
		// still uses it.
		closeLock(s.rootLock)
	})
	return s.closeErr
}

// probeScript prints the interpreter's real executable and its version.
const probeScript = `import sys; print(sys.executable); print("%d.%d" % sys.version_info[:2])`

// probeTimeout bounds the first run of the interpreter, which may be slow on a cold disk.
const probeTimeout = 60 * time.Second

// resolvePython finds python in PATH, checks that it is Python 3.8 or newer and returns the
// absolute path of the interpreter behind it. The probe runs with the server's environment, so
// that a version manager's shim such as pyenv's can still pick the interpreter. Sessions then
// run that interpreter directly with their own environment.
func resolvePython(python string) (string, error) {
	path, err := exec.LookPath(python)
	if err != nil {
		return "", fmt.Errorf("python interpreter %q not found: %w; install Python 3 or set WithPython "+
			"or TCI_PYTHON to its path", python, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), probeTimeout)
	defer cancel()
	var stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, path, "-I", "-c", probeScript)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("python interpreter %s failed to run: %w: %s", path, err,
			strings.TrimSpace(stderr.String()))
	}
	executable, version, _ := strings.Cut(strings.TrimSpace(string(out)), "\n")
	major, minor, _ := strings.Cut(strings.TrimSpace(version), ".")
	majorNumber, _ := strconv.Atoi(major)
	minorNumber, _ := strconv.Atoi(minor)
	if majorNumber != 3 || minorNumber < 8 {
		return "", fmt.Errorf("python interpreter %s is Python %q; the server needs Python 3.8 or newer",
			path, strings.TrimSpace(version))
	}
	if executable == "" {
		executable = path
	}
	return filepath.Abs(executable)
}
