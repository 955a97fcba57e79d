package server

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"
	"unicode"
)

// Defaults of the options.
const (
	DefaultSessionTTL     = 60 * time.Minute
	DefaultExecTimeout    = 60 * time.Second
	DefaultMaxBodyBytes   = 32 << 20
	DefaultMaxOutputBytes = 32 << 20
	DefaultMaxSessions    = 32
)

// Option configures a Server. Each option checks its value and New returns the error of the
// first option that rejects its value.
type Option func(*config) error

type config struct {
	token          string
	sessionTTL     time.Duration
	execTimeout    time.Duration
	queueTimeout   time.Duration // 0 until New sets it: the execute timeout unless an option set it
	python         string
	maxBodyBytes   int64
	maxOutputBytes int64
	maxSessions    int
	workDir        string
	logger         *slog.Logger
}

func defaultConfig() config {
	python := os.Getenv("TCI_PYTHON")
	if python == "" {
		python = "python3"
	}
	return config{
		sessionTTL:     DefaultSessionTTL,
		execTimeout:    DefaultExecTimeout,
		python:         python,
		maxBodyBytes:   DefaultMaxBodyBytes,
		maxOutputBytes: DefaultMaxOutputBytes,
		maxSessions:    DefaultMaxSessions,
		logger:         slog.New(slog.DiscardHandler),
	}
}

// WithToken requires every request to carry "Authorization: Bearer token". Without this
// option the server accepts requests without authentication. The token must not be empty and
// must not contain white space or control characters.
func WithToken(token string) Option {
	return func(c *config) error {
		if token == "" {
			return errors.New("WithToken: token is empty; omit WithToken to serve without authentication")
		}
		for i, r := range token {
			if unicode.IsSpace(r) || unicode.IsControl(r) {
				// The message gives the position only, never the token.
				return fmt.Errorf("WithToken: token contains white space or a control character "+
					"at byte %d; use a token of printable characters", i)
			}
		}
		c.token = token
		return nil
	}
}

// WithSessionTTL sets how long a session may stay idle before its process is killed and its
// directory removed. The idle time counts from the end of the session's last execute. The
// default is DefaultSessionTTL.
func WithSessionTTL(ttl time.Duration) Option {
	return func(c *config) error {
		if ttl <= 0 {
			return fmt.Errorf("WithSessionTTL: TTL %s is not positive; use a duration such as 60*time.Minute", ttl)
		}
		c.sessionTTL = ttl
		return nil
	}
}

// WithExecTimeout sets how long one execute may run. When it passes, the server kills the
// session's process group and ends the session. The default is DefaultExecTimeout.
func WithExecTimeout(timeout time.Duration) Option {
	return func(c *config) error {
		if timeout <= 0 {
			return fmt.Errorf("WithExecTimeout: timeout %s is not positive; use a duration such as 60*time.Second",
				timeout)
		}
		c.execTimeout = timeout
		return nil
	}
}

// WithQueueTimeout sets how long an execute may wait for its session's turn while other
// executes of the session run. An execute that waits longer gets 409 with the code
// "session_busy", and its code does not run. The default is the execute timeout
// (WithExecTimeout), so that a request takes at most about twice that.
func WithQueueTimeout(timeout time.Duration) Option {
	return func(c *config) error {
		if timeout <= 0 {
			return fmt.Errorf("WithQueueTimeout: timeout %s is not positive; use a duration such as 60*time.Second",
				timeout)
		}
		c.queueTimeout = timeout
		return nil
	}
}

// WithPython sets the Python 3 interpreter that runs the sessions: a command looked up in PATH,
// such as "python3", or a path. The default is the value of the environment variable
// TCI_PYTHON, or "python3" when that is unset. New runs the interpreter once to check it.
func WithPython(python string) Option {
	return func(c *config) error {
		if python == "" {
			return errors.New(`WithPython: interpreter is empty; use a command such as "python3" or a path`)
		}
		c.python = python
		return nil
	}
}

// WithMaxBodyBytes sets the maximum size of a request body in bytes. Larger requests get 413.
// The default is DefaultMaxBodyBytes.
func WithMaxBodyBytes(n int64) Option {
	return func(c *config) error {
		if n <= 0 {
			return fmt.Errorf("WithMaxBodyBytes: limit %d is not positive; use a size in bytes such as 32<<20", n)
		}
		c.maxBodyBytes = n
		return nil
	}
}

// WithMaxOutputBytes sets the maximum size in bytes of the outputs of one execute, as they are
// encoded in the JSON of the response, escapes included. Output past the limit is dropped, and
// a final stderr output reports how many bytes were dropped. The response body is at most the
// limit plus MaxResponseOverhead. The default is DefaultMaxOutputBytes.
func WithMaxOutputBytes(n int64) Option {
	return func(c *config) error {
		if n <= 0 {
			return fmt.Errorf("WithMaxOutputBytes: limit %d is not positive; use a size in bytes such as 32<<20", n)
		}
		c.maxOutputBytes = n
		return nil
	}
}

// WithMaxSessions sets how many sessions may be live at once. An execute that needs a new
// session beyond the limit gets 503. The default is DefaultMaxSessions.
func WithMaxSessions(n int) Option {
	return func(c *config) error {
		if n <= 0 {
			return fmt.Errorf("WithMaxSessions: limit %d is not positive; use a count such as 32", n)
		}
		c.maxSessions = n
		return nil
	}
}

// WithWorkDir sets an existing directory in which the server creates one directory per
// session, named ses_*, and the shared matplotlib cache. The server removes what it created
// there when sessions end, and leaves the directory itself. A server that dies without Close
// leaves its session directories, which nothing removes later. By default the server creates
// a temporary directory and removes it on Close (see New).
func WithWorkDir(dir string) Option {
	return func(c *config) error {
		if dir == "" {
			return errors.New("WithWorkDir: directory is empty; use the path of an existing directory")
		}
		c.workDir = dir
		return nil
	}
}

// WithLogger sets the logger for session starts, stops, expiries, timeouts and errors. Records
// carry the session id and never a request body or token. By default nothing is logged.
func WithLogger(logger *slog.Logger) Option {
	return func(c *config) error {
		if logger == nil {
			return errors.New("WithLogger: logger is nil; omit WithLogger to log nothing")
		}
		c.logger = logger
		return nil
	}
}
