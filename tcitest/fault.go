package tcitest

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"time"

	"github.com/tcikit/tci/validate"
)

// BodyFault selects a broken response body.
type BodyFault string

// The body faults.
const (
	// MalformedBody cuts the JSON body in half, so that it no longer parses.
	MalformedBody BodyFault = "malformed"
	// OffSpecBody replaces the body with JSON that parses but breaks the operation's response
	// schema, such as outputs that are not an array.
	OffSpecBody BodyFault = "off-spec"
)

// Fault describes how the server mishandles a request. Fields combine: Latency delays
// whatever else the fault does, and Body breaks the body of the reference server's response
// or of the injected Status.
type Fault struct {
	// Status, when not 0, makes the server respond with this status and the spec's failure
	// body, {"data": null, "errors": [...]}, without passing the request to the reference
	// server.
	Status int
	// RetryAfter, when not 0, sets the Retry-After header of the injected Status in whole
	// seconds, rounded up. It needs Status.
	RetryAfter time.Duration
	// Latency delays the response. The delay ends early when the client cancels the request.
	Latency time.Duration
	// Drop closes the connection without sending a response. It excludes Status, RetryAfter
	// and Body.
	//
	// NOTE: Go's http.Transport resends an idempotent request, such as a GET, on a new
	// connection when a reused connection closes before the response starts. The resent
	// request takes the next fault or reaches the reference server, so a client may never
	// see a dropped GET.
	Drop bool
	// Body, when set, breaks the response body as MalformedBody or OffSpecBody describe. The
	// request still reaches the reference server unless Status is set, so its side effects,
	// such as a new session, happen.
	Body BodyFault
}

// check returns an error naming the first invalid field of f.
func (f Fault) check() error {
	switch {
	case f == Fault{}:
		return errors.New("empty fault; set Status, Latency, Drop or Body")
	case f.Status != 0 && (f.Status < 200 || f.Status > 599):
		return fmt.Errorf("invalid Status %d: use a final status between 200 and 599", f.Status)
	case f.RetryAfter < 0:
		return fmt.Errorf("invalid RetryAfter %v: it must not be negative", f.RetryAfter)
	case f.RetryAfter > 0 && f.Status == 0:
		return errors.New("RetryAfter needs Status, the injected status to send it with")
	case f.Latency < 0:
		return fmt.Errorf("invalid Latency %v: it must not be negative", f.Latency)
	case f.Drop && (f.Status != 0 || f.Body != ""):
		return errors.New("Drop sends no response, so it cannot be combined with Status or Body")
	case f.Body != "" && f.Body != MalformedBody && f.Body != OffSpecBody:
		return fmt.Errorf("invalid Body %q: use tcitest.MalformedBody or tcitest.OffSpecBody", f.Body)
	}
	return nil
}

// Inject queues fault for the next n requests, after any faults already queued. Each request
// takes one queued fault, whatever its path. Inject calls t.Fatalf for an invalid fault or an
// n below 1, so call it from the test's goroutine.
func (s *Server) Inject(n int, fault Fault) {
	s.t.Helper()
	if n < 1 {
		s.t.Fatalf("tcitest: Inject(%d, ...): n must be at least 1", n)
	}
	if err := fault.check(); err != nil {
		s.t.Fatalf("tcitest: Inject: %v", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.faults = append(s.faults, fault)
	}
}

// PendingFaults returns how many queued faults no request has taken yet.
func (s *Server) PendingFaults() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.faults)
}

func (s *Server) nextFault() (Fault, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.faults) == 0 {
		return Fault{}, false
	}
	fault := s.faults[0]
	s.faults = s.faults[1:]
	return fault, true
}

// applyFault handles r as fault describes.
func (s *Server) applyFault(w http.ResponseWriter, r *http.Request, op validate.Operation, fault Fault) {
	if fault.Latency > 0 {
		timer := time.NewTimer(fault.Latency)
		defer timer.Stop()
		select {
		case <-timer.C:
		case <-r.Context().Done():
			return
		}
	}

	switch {
	case fault.Drop:
		drop(w)
	case fault.Status == 0 && fault.Body == "":
		s.reference.Handler().ServeHTTP(w, r)
	case fault.Status != 0 && fault.Body == "":
		writeStatus(w, fault)
	default:
		recorder := httptest.NewRecorder()
		if fault.Status != 0 {
			writeStatus(recorder, fault)
		} else {
			s.reference.Handler().ServeHTTP(recorder, r)
		}
		writeBroken(w, recorder, op, fault.Body)
	}
}

// drop closes the connection of w without a response.
func drop(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		// The connection cannot be taken over, as with HTTP/2. Aborting the handler resets
		// the stream instead, which the client also sees as a failed request.
		panic(http.ErrAbortHandler)
	}
	conn.Close()
}

// writeStatus writes the injected status of fault with a failure body.
func writeStatus(w http.ResponseWriter, fault Fault) {
	if fault.RetryAfter > 0 {
		seconds := (fault.RetryAfter + time.Second - 1) / time.Second
		w.Header().Set("Retry-After", strconv.FormatInt(int64(seconds), 10))
	}
	body, _ := json.Marshal(map[string]any{
		"data": nil,
		"errors": []map[string]string{{
			"code":    "injected_fault",
			"message": fmt.Sprintf("tcitest injected status %d", fault.Status),
		}},
	})
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(fault.Status)
	w.Write(body)
}

// offSpecBodies are bodies that parse as JSON but break the response schema of an operation.
var offSpecBodies = map[string]string{
	validate.ExecuteCode.ID:  `{"data":{"outputs":"not an array"},"errors":null}`,
	validate.ListSessions.ID: `{"data":{"sessions":[{"id":42}]}}`,
}

// writeBroken writes the response in recorder with its body broken as kind describes.
func writeBroken(w http.ResponseWriter, recorder *httptest.ResponseRecorder, op validate.Operation, kind BodyFault) {
	body := recorder.Body.Bytes()
	switch kind {
	case MalformedBody:
		if len(body) < 2 {
			body = []byte(`{"data":`)
		}
		body = body[:len(body)/2]
	case OffSpecBody:
		body = []byte(offSpecBodies[op.ID])
		if op.ID == "" {
			body = []byte(`{"data":"not an object"}`)
		}
	}
	for name, values := range recorder.Header() {
		w.Header()[name] = values
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(recorder.Code)
	w.Write(body)
}
