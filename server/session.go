package server

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/tcikit/tci/generated"
)

// session is one Python process with its own directory.
type session struct {
	id     string
	dir    string // removed when the session stops
	work   string // working directory and HOME of the process, inside dir
	interp *interpreter
	turn   chan struct{} // holds a value while an execute runs; capacity 1

	// The fields below are guarded by sessionStore.mu.
	startedAt     time.Time
	lastExecuteAt time.Time
	idleSince     time.Time
	executeCount  int
	users         int    // requests that hold the session or wait for its turn
	endReason     string // reason the session ended; empty while it is live
	expiry        *time.Timer
}

// sessionStore owns the live sessions, starts them and ends them.
type sessionStore struct {
	cfg    *config
	python string // absolute path of the interpreter
	root   string // directory that holds the session directories
	logger *slog.Logger

	mu       sync.Mutex
	live     map[string]*session
	ended    endedSessions
	starting int
	closed   bool
	starts   sync.WaitGroup // sessions being started
}

func newSessionStore(cfg *config, python, root string) *sessionStore {
	return &sessionStore{
		cfg:    cfg,
		python: python,
		root:   root,
		logger: cfg.logger,
		live:   map[string]*session{},
		ended:  endedSessions{reasons: map[string]string{}},
	}
}

// create starts a new session and returns it held for one request, as acquire does.
func (st *sessionStore) create() (*session, error) {
	st.mu.Lock()
	if st.closed {
		st.mu.Unlock()
		return nil, errServerClosed
	}
	if len(st.live)+st.starting >= st.cfg.maxSessions {
		st.mu.Unlock()
		return nil, &apiError{
			status: http.StatusServiceUnavailable,
			code:   "too_many_sessions",
			message: fmt.Sprintf("the server already runs its maximum of %d sessions; "+
				"reuse a session_id or retry when idle sessions have expired", st.cfg.maxSessions),
		}
	}
	st.starting++
	st.starts.Add(1)
	st.mu.Unlock()
	defer st.starts.Done()

	s, err := st.start()

	st.mu.Lock()
	st.starting--
	if err != nil {
		st.mu.Unlock()
		st.logger.Error("session start failed", "error", err)
		return nil, &apiError{
			status:  http.StatusInternalServerError,
			code:    "session_start_failed",
			message: "the server could not start a Python session; its log has the cause",
		}
	}
	if st.closed {
		st.mu.Unlock()
		st.stopSession(s, "the server was closed")
		return nil, errServerClosed
	}
	now := time.Now()
	s.startedAt, s.lastExecuteAt, s.idleSince = now, now, now
	s.users = 1
	s.expiry = time.AfterFunc(st.cfg.sessionTTL, func() { st.expire(s) })
	st.live[s.id] = s
	st.mu.Unlock()
	st.logger.Info("session started", "session", s.id, "pid", s.interp.pid())
	go st.watchExit(s)
	return s, nil
}

// watchExit ends s when its process exits while no request holds it, for example when a
// background thread of the code calls os._exit. Requests that hold s handle the exit
// themselves, because they must collect the outputs, and release ends s when none of them did.
func (st *sessionStore) watchExit(s *session) {
	<-s.interp.exited
	st.mu.Lock()
	reason, ended := st.markExitedIdle(s)
	st.mu.Unlock()
	if ended {
		st.stopExited(s, reason)
	}
}

// markExitedIdle marks s ended when its process has exited and no request holds it. The caller
// holds st.mu and calls stopExited when markExitedIdle returns true.
func (st *sessionStore) markExitedIdle(s *session) (reason string, ended bool) {
	if s.endReason != "" || s.users > 0 || !s.interp.hasExited() {
		return "", false
	}
	reason = fmt.Sprintf("its Python process exited (%s)", s.interp.exitStatus())
	st.markEnded(s, reason)
	return reason, true
}

// stopExited logs and stops a session that markExitedIdle ended.
func (st *sessionStore) stopExited(s *session, reason string) {
	st.logger.Warn("python process exited between executes", "session", s.id, "status", s.interp.exitStatus())
	st.stopSession(s, reason)
}

// start creates the session directory and starts the process.
func (st *sessionStore) start() (*session, error) {
	id, err := newSessionID()
	if err != nil {
		return nil, err
	}
	dir := filepath.Join(st.root, id)
	work, tmp := filepath.Join(dir, "work"), filepath.Join(dir, "tmp")
	for _, d := range []string{dir, work, tmp} {
		if err := os.Mkdir(d, 0o700); err != nil {
			removeDir(dir)
			return nil, fmt.Errorf("create session directory: %w", err)
		}
	}
	interp, err := startInterpreter(interpreterConfig{
		python:         st.python,
		dir:            work,
		env:            sessionEnv(st.python, work, tmp, filepath.Join(st.root, mplConfigDir)),
		maxOutputBytes: st.cfg.maxOutputBytes,
		serverPID:      os.Getpid(),
		logger:         st.logger.With("session", id),
	})
	if err != nil {
		removeDir(dir)
		return nil, err
	}
	return &session{id: id, dir: dir, work: work, interp: interp, turn: make(chan struct{}, 1)}, nil
}

// mplConfigDir is the directory, inside the server's root, that all sessions share as
// MPLCONFIGDIR. Matplotlib builds its font cache there once instead of once per session.
const mplConfigDir = "matplotlib"

// sessionEnv returns the whole environment of a session's process. Nothing else of the
// server's environment reaches user code: PATH is the server's PATH behind the interpreter's
// own directory, so that "python3" and "pip" in a subprocess find the session's interpreter.
func sessionEnv(python, work, tmp, mplConfig string) []string {
	path := os.Getenv("PATH")
	if path == "" {
		path = "/usr/local/bin:/usr/bin:/bin"
	}
	return []string{
		"HOME=" + work,
		"LANG=C.UTF-8",
		"MPLBACKEND=Agg",
		"MPLCONFIGDIR=" + mplConfig,
		"PATH=" + filepath.Dir(python) + string(os.PathListSeparator) + path,
		"PYTHONUNBUFFERED=1",
		"TMPDIR=" + tmp,
	}
}

// acquire returns the live session id, held for one request until release.
func (st *sessionStore) acquire(id string) (*session, error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.closed {
		return nil, errServerClosed
	}
	s := st.live[id]
	if s == nil {
		return nil, st.notFound(id)
	}
	s.users++
	return s, nil
}

// checkLive returns an error when s ended while the request waited for its turn.
func (st *sessionStore) checkLive(s *session) error {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.closed {
		return errServerClosed
	}
	if s.endReason != "" {
		return st.notFound(s.id)
	}
	return nil
}

// recordExecute counts an execute that is about to run in s.
func (st *sessionStore) recordExecute(s *session) {
	st.mu.Lock()
	defer st.mu.Unlock()
	s.lastExecuteAt = time.Now()
	s.executeCount++
}

// release ends a request's hold on s and restarts its idle clock. When the process of s
// exited while requests held it, and no execute of theirs reported that, release ends s.
func (st *sessionStore) release(s *session) {
	st.mu.Lock()
	s.users--
	s.idleSince = time.Now()
	reason, ended := st.markExitedIdle(s)
	if !ended && s.users == 0 && s.endReason == "" {
		s.expiry.Reset(st.cfg.sessionTTL)
	}
	st.mu.Unlock()
	if ended {
		st.stopExited(s, reason)
	}
}

// end ends s for reason, stops its process and removes its directory. If s had ended already,
// end returns the first reason and does nothing else.
func (st *sessionStore) end(s *session, reason string) string {
	st.mu.Lock()
	if s.endReason != "" {
		st.mu.Unlock()
		return s.endReason
	}
	st.markEnded(s, reason)
	st.mu.Unlock()
	st.stopSession(s, reason)
	return reason
}

// expire ends s when it has been idle for the session TTL.
func (st *sessionStore) expire(s *session) {
	st.mu.Lock()
	idle := time.Since(s.idleSince)
	if s.endReason != "" || s.users > 0 || idle < st.cfg.sessionTTL {
		st.mu.Unlock()
		return
	}
	reason := fmt.Sprintf("it expired after %s without executes", st.cfg.sessionTTL)
	st.markEnded(s, reason)
	st.mu.Unlock()
	st.logger.Info("session expired", "session", s.id, "idle", idle.Round(time.Millisecond))
	st.stopSession(s, reason)
}

// markEnded removes s from the live sessions. The caller holds st.mu.
func (st *sessionStore) markEnded(s *session, reason string) {
	s.endReason = reason
	delete(st.live, s.id)
	st.ended.add(s.id, reason)
	if s.expiry != nil {
		s.expiry.Stop()
	}
}

// stopSession kills the process group of s and removes its directory.
func (st *sessionStore) stopSession(s *session, reason string) {
	s.interp.stop()
	if err := removeDir(s.dir); err != nil {
		st.logger.Error("remove session directory failed", "session", s.id, "error", err)
	}
	st.logger.Info("session stopped", "session", s.id, "reason", reason, "status", s.interp.exitStatus())
}

// close ends every session and waits until their processes are gone.
func (st *sessionStore) close() {
	st.mu.Lock()
	if st.closed {
		st.mu.Unlock()
		return
	}
	st.closed = true
	sessions := make([]*session, 0, len(st.live))
	for _, s := range st.live {
		st.markEnded(s, "the server was closed")
		sessions = append(sessions, s)
	}
	st.mu.Unlock()

	var wg sync.WaitGroup
	for _, s := range sessions {
		wg.Go(func() { st.stopSession(s, s.endReason) })
	}
	wg.Wait()
	st.starts.Wait()
}

// list returns the live sessions in the order they started.
func (st *sessionStore) list() ([]generated.Session, error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.closed {
		return nil, errServerClosed
	}
	now := time.Now()
	sessions := make([]generated.Session, 0, len(st.live))
	for _, s := range st.live {
		expiresAt := s.idleSince.Add(st.cfg.sessionTTL)
		if s.users > 0 {
			expiresAt = now.Add(st.cfg.sessionTTL)
		}
		sessions = append(sessions, generated.Session{
			ID:            s.id,
			ExecuteCount:  s.executeCount,
			StartedAt:     generated.DateTime{Time: s.startedAt.UTC()},
			LastExecuteAt: generated.DateTime{Time: s.lastExecuteAt.UTC()},
			ExpiresAt:     generated.DateTime{Time: expiresAt.UTC()},
		})
	}
	slices.SortFunc(sessions, func(a, b generated.Session) int { return a.StartedAt.Compare(b.StartedAt.Time) })
	return sessions, nil
}

// notFound returns the error for an execute in a session that is not live. The caller holds
// st.mu.
func (st *sessionStore) notFound(id string) error {
	message := fmt.Sprintf("session %s not found; omit session_id to start a new session", quote(id))
	if reason, ok := st.ended.reasons[id]; ok {
		message = fmt.Sprintf("session %s has ended because %s; omit session_id to start a new session",
			id, reason)
	}
	return &apiError{status: http.StatusNotFound, code: "session_not_found", message: message}
}

// endedSessions remembers why recent sessions ended, so that a late execute gets the reason.
type endedSessions struct {
	reasons map[string]string
	order   []string
}

// maxEndedSessions bounds the sessions that endedSessions remembers.
const maxEndedSessions = 1024

func (e *endedSessions) add(id, reason string) {
	if len(e.order) == maxEndedSessions {
		delete(e.reasons, e.order[0])
		e.order = e.order[1:]
	}
	e.reasons[id] = reason
	e.order = append(e.order, id)
}

const base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// sessionIDLength is the number of random base62 characters after "ses_", about 131 bits.
const sessionIDLength = 22

// newSessionID returns "ses_" and sessionIDLength characters drawn uniformly from base62 with
// crypto/rand.
func newSessionID() (string, error) {
	id := make([]byte, 0, len("ses_")+sessionIDLength)
	id = append(id, "ses_"...)
	random := make([]byte, 2*sessionIDLength)
	for len(id) < cap(id) {
		if _, err := rand.Read(random); err != nil {
			return "", fmt.Errorf("generate session id: %w", err)
		}
		for _, b := range random {
			// 248 is the largest multiple of 62 below 256, so b%62 is uniform for b < 248.
			if b < 248 && len(id) < cap(id) {
				id = append(id, base62[b%62])
			}
		}
	}
	return string(id), nil
}

// removeDir removes dir and everything in it. User code may leave directories without write
// permission, so a failed removal is retried after making every directory writable.
func removeDir(dir string) error {
	if err := os.RemoveAll(dir); err == nil {
		return nil
	}
	_ = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			_ = os.Chmod(path, 0o700)
		}
		return nil
	})
	if err := os.RemoveAll(dir); err != nil {
		return errors.Join(fmt.Errorf("remove %s", dir), err)
	}
	return nil
}
