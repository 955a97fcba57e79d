package tcitest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/tcikit/tci/server"
	"github.com/tcikit/tci/validate"
)

// Option configures a Server.
type Option func(*config) error

type config struct {
	token   string
	options []server.Option
}

// WithToken makes the server require "Authorization: Bearer token", as the spec's bearerAuth
// scheme does. Requests without it get 401 from the reference server. By default no token is
// required.
func WithToken(token string) Option {
	return func(c *config) error {
		if token == "" {
			return errors.New("tcitest: empty token; omit WithToken to serve without authentication")
		}
		c.token = token
		return nil
	}
}

// WithServerOptions passes options to server.New, such as server.WithExecTimeout or
// server.WithPython.
func WithServerOptions(options ...server.Option) Option {
	return func(c *config) error {
		c.options = append(c.options, options...)
		return nil
	}
}

// Server is a reference server of the Code Interpreter API on a loopback httptest server,
// for the tests of a client. It validates every request against the spec, records it, and
// applies the faults that Inject queued. A Server is safe for concurrent use.
type Server struct {
	t         testing.TB
	token     string
	reference *server.Server
	http      *httptest.Server
	validator *validate.Validator

	mu       sync.Mutex
	requests []Request
	faults   []Fault
}

// NewServer starts a Server backed by the reference implementation (server.New), which runs a
// real Python interpreter. It fails t with t.Errorf for every request that violates the spec:
// a body that breaks the request schema of its operation, or a method and path outside the
// spec's operations under URL. The server is closed with t.Cleanup, and NewServer calls
// t.Fatalf when the reference server cannot start, for example without Python 3.
func NewServer(t testing.TB, options ...Option) *Server {
	t.Helper()
	var c config
	for _, option := range options {
		if err := option(&c); err != nil {
			t.Fatalf("tcitest.NewServer: %v", err)
		}
	}
	serverOptions := c.options
	if c.token != "" {
		serverOptions = append(serverOptions, server.WithToken(c.token))
	}
	reference, err := server.New(serverOptions...)
	if err != nil {
		t.Fatalf("tcitest.NewServer: %v", err)
	}
	validator, err := validate.Embedded()
	if err != nil {
		reference.Close()
		t.Fatalf("tcitest.NewServer: load the spec validator: %v", err)
	}

	s := &Server{t: t, token: c.token, reference: reference, validator: validator}
	s.http = httptest.NewServer(http.HandlerFunc(s.serveHTTP))
	t.Cleanup(func() {
		s.http.Close()
		if err := reference.Close(); err != nil {
			t.Errorf("tcitest: close the reference server: %v", err)
		}
	})
	return s
}

// URL returns the base URL of the API, such as "http://127.0.0.1:41234/v1", to configure the
// client under test with.
func (s *Server) URL() string { return s.http.URL + server.BasePath }

// Token returns the token set with WithToken, or "" when the server requires none.
func (s *Server) Token() string { return s.token }

// Client returns an HTTP client for the server, as httptest.Server.Client does.
func (s *Server) Client() *http.Client { return s.http.Client() }

// Requests returns a copy of every request received so far, in arrival order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Request, len(s.requests))
	for i, r := range s.requests {
		out[i] = r.clone()
	}
	return out
}

// serveHTTP records and validates r, then applies the next queued fault or passes r to the
// reference server.
func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		s.t.Errorf("tcitest: read the body of %s %s: %v", r.Method, r.URL.Path, err)
		http.Error(w, "tcitest: read request body: "+err.Error(), http.StatusBadRequest)
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))

	record := Request{
		Method: r.Method,
		Path:   r.URL.Path,
		Header: redact(r.Header),
		Body:   body,
	}
	op, routeErr := s.route(r)
	if routeErr == nil {
		record.Operation = op.ID
	}
	fault, faulted := s.nextFault()
	if faulted {
		record.Fault = &fault
	}
	s.mu.Lock()
	s.requests = append(s.requests, record)
	s.mu.Unlock()

	s.check(r, op, routeErr, body)
	if !faulted {
		s.reference.Handler().ServeHTTP(w, r)
		return
	}
	s.applyFault(w, r, op, fault)
}

// route returns the spec operation of r, which must be under the base path of URL. The error
// describes what the client under test did wrong.
func (s *Server) route(r *http.Request) (validate.Operation, error) {
	if !strings.HasPrefix(r.URL.Path, server.BasePath+"/") {
		return validate.Operation{}, fmt.Errorf("%s %s is outside the base URL %s; "+
			"configure the client with Server.URL()", r.Method, r.URL.Path, s.URL())
	}
	op, err := s.validator.Route(r.Method, r.URL)
	if err != nil {
		var known []string
		for _, op := range s.validator.Operations() {
			known = append(known, op.Method+" "+server.BasePath+op.Path)
		}
		return validate.Operation{}, fmt.Errorf("%s %s matches no operation of the spec; it has %s",
			r.Method, r.URL.Path, strings.Join(known, " and "))
	}
	return op, nil
}

// check fails the test when r violates the spec.
func (s *Server) check(r *http.Request, op validate.Operation, routeErr error, body []byte) {
	if routeErr != nil {
		s.t.Errorf("tcitest: %v", routeErr)
		return
	}
	if err := s.validator.Request(op, r.Header, body); err != nil {
		s.t.Errorf("tcitest: %s %s: %v", r.Method, r.URL.Path, err)
	}
}
