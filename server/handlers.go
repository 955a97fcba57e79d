package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/tcikit/tci/generated"
)

// handlers implements generated.StrictServerInterface on a Server.
type handlers struct {
	srv *Server
}

var _ generated.StrictServerInterface = (*handlers)(nil)

// ExecuteCode runs the request's code in the session it names, or in a new session, and
// returns the outputs. Executes in one session run one at a time, each waiting for its turn up
// to the queue timeout, and executes in different sessions run in parallel. An execute keeps
// running when its client disconnects.
func (h *handlers) ExecuteCode(ctx context.Context, request generated.ExecuteCodeRequestObject) (
	generated.ExecuteCodeResponseObject, error,
) {
	body := request.Body
	if body == nil {
		return &apiError{
			status:  http.StatusBadRequest,
			code:    "invalid_request",
			message: "request body is missing; send a JSON object such as " + exampleRequest,
		}, nil
	}
	uploads, err := decodeUploads(body.Files)
	if err != nil {
		return &apiError{status: http.StatusBadRequest, code: "invalid_file", message: err.Error()}, nil
	}

	store := h.srv.store
	s, created, err := h.session(body.SessionID)
	if err != nil {
		return asAPIError(err), nil
	}
	defer store.release(s)

	if err := h.waitTurn(ctx, s); err != nil {
		var busy *apiError
		if errors.As(err, &busy) {
			return busy, nil
		}
		return nil, err
	}
	defer func() { <-s.turn }()
	if err := store.checkLive(s); err != nil {
		return asAPIError(err), nil
	}

	if err := writeUploads(s.work, uploads); err != nil {
		h.srv.logger.Info("upload rejected", "session", s.id, "error", err)
		if created {
			store.end(s, "its files could not be written")
		}
		return &apiError{status: http.StatusBadRequest, code: "invalid_file", message: err.Error()}, nil
	}

	store.recordExecute(s)
	outputs := h.run(s, body.Code)
	return executeSuccess{sessionID: s.id, outputs: outputs}, nil
}

// waitTurn waits until no other execute runs in s, for at most the queue timeout. It returns a
// 409 session_busy error when the wait times out, and the context's error when the client
// goes away.
func (h *handlers) waitTurn(ctx context.Context, s *session) error {
	select {
	case s.turn <- struct{}{}:
		return nil
	default:
	}
	timeout := h.srv.cfg.queueTimeout
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case s.turn <- struct{}{}:
		return nil
	case <-timer.C:
		h.srv.logger.Info("execute rejected: session busy", "session", s.id, "waited", timeout)
		return &apiError{
			status: http.StatusConflict,
			code:   "session_busy",
			message: fmt.Sprintf("session %s is running another execute, and this one waited %s for its "+
				"turn without running; retry later, or omit session_id to run in a new session", s.id, timeout),
		}
	case <-ctx.Done():
		return ctx.Err()
	}
}

// session returns the session named by id, or a new session when id is nil.
func (h *handlers) session(id *string) (s *session, created bool, err error) {
	if id == nil {
		s, err = h.srv.store.create()
		return s, true, err
	}
	s, err = h.srv.store.acquire(*id)
	return s, false, err
}

// run executes code in s and ends s when the execute timed out or its process exited. In those
// cases the outputs end with an error output that reports it.
func (h *handlers) run(s *session, code string) []json.RawMessage {
	store, logger := h.srv.store, h.srv.logger
	timeout := h.srv.cfg.execTimeout
	started := time.Now()
	outputs, ended := s.interp.execute(code, timeout)

	switch ended {
	case outcomeTimedOut:
		logger.Warn("execute timed out", "session", s.id, "timeout", timeout)
		store.end(s, fmt.Sprintf("an execute timed out after %s", timeout))
		outputs = append(outputs, errorOutput(fmt.Sprintf(
			"TimeoutError: the execute did not finish within the server's timeout of %s. "+
				"The server killed the session's processes and session %s has ended; "+
				"send the next execute without session_id to start a new session.", timeout, s.id)))
	case outcomeExited:
		status := s.interp.exitStatus()
		logger.Warn("python process exited during an execute", "session", s.id, "status", status)
		reason := store.end(s, fmt.Sprintf("its Python process exited (%s)", status))
		outputs = append(outputs, errorOutput(fmt.Sprintf(
			"SessionEnded: session %s has ended because %s; "+
				"send the next execute without session_id to start a new session.", s.id, reason)))
	default:
		logger.Debug("execute finished", "session", s.id, "duration", time.Since(started), "outputs", len(outputs))
	}
	return outputs
}

// ListSessions returns the live sessions.
func (h *handlers) ListSessions(ctx context.Context, request generated.ListSessionsRequestObject) (
	generated.ListSessionsResponseObject, error,
) {
	sessions, err := h.srv.store.list()
	if err != nil {
		return asAPIError(err), nil
	}
	return generated.ListSessions200JSONResponse{Data: &generated.SessionList{Sessions: sessions}}, nil
}

// asAPIError returns err as an *apiError, wrapping any other error as a 500.
func asAPIError(err error) *apiError {
	var e *apiError
	if errors.As(err, &e) {
		return e
	}
	return &apiError{status: http.StatusInternalServerError, code: "internal_error", message: err.Error()}
}
