package server

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/tcikit/tci/generated"
	"github.com/tcikit/tci/validate"
)

// BasePath is the path prefix of the API. Clients use http://HOST:PORT/v1 as their base URL,
// as they used https://api.together.ai/v1.
const BasePath = "/v1"

// buildHandler wires the strict handlers into a ServeMux under BasePath, behind the bearer
// token check and the request body check.
func (s *Server) buildHandler() http.Handler {
	mux := http.NewServeMux()
	strict := generated.NewStrictHandlerWithOptions(&handlers{srv: s}, nil, generated.StrictHTTPServerOptions{
		RequestErrorHandlerFunc:  s.requestError,
		ResponseErrorHandlerFunc: s.responseError,
	})
	generated.HandlerWithOptions(strict, generated.StdHTTPServerOptions{
		BaseURL:          BasePath,
		BaseRouter:       mux,
		Middlewares:      []generated.MiddlewareFunc{s.checkBody},
		ErrorHandlerFunc: s.requestError,
	})
	mux.HandleFunc("/", s.noRoute)
	return s.authenticate(mux)
}

// authenticate rejects requests without the configured bearer token with 401. The comparison
// runs in constant time over SHA-256 digests, so neither the token nor its length leaks
// through timing.
func (s *Server) authenticate(next http.Handler) http.Handler {
	if s.cfg.token == "" {
		return next
	}
	want := sha256.Sum256([]byte(s.cfg.token))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token, found := bearerToken(r.Header.Get("Authorization"))
		got := sha256.Sum256([]byte(token))
		if found && subtle.ConstantTimeCompare(got[:], want[:]) == 1 {
			next.ServeHTTP(w, r)
			return
		}
		s.logger.Warn("request rejected: authentication failed",
			"method", r.Method, "path", r.URL.Path, "remote", r.RemoteAddr, "token_sent", found)
		e := &apiError{
			status:  http.StatusUnauthorized,
			code:    "unauthorized",
			message: `missing bearer token; send the header "Authorization: Bearer <token>" with the server's token`,
			header:  http.Header{"Www-Authenticate": {`Bearer realm="tci"`}},
		}
		if found {
			e.message = "invalid bearer token; send the token the server was started with"
			e.header.Set("Www-Authenticate", `Bearer realm="tci", error="invalid_token"`)
		}
		s.writeError(w, r, e)
	})
}

// bearerToken returns the token of an "Authorization: Bearer <token>" header value.
func bearerToken(header string) (string, bool) {
	scheme, token, ok := strings.Cut(strings.TrimSpace(header), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimSpace(token)
	return token, token != ""
}

// checkBody reads the body of an execute request up to the size limit, fills in the default
// "language" and validates the body against the spec. The strict handler then decodes the
// checked body.
func (s *Server) checkBody(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		op, err := s.validator.Route(r.Method, r.URL)
		if err != nil || op != validate.ExecuteCode {
			next.ServeHTTP(w, r)
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.cfg.maxBodyBytes))
		if err != nil {
			var tooLarge *http.MaxBytesError
			if errors.As(err, &tooLarge) {
				s.writeError(w, r, &apiError{
					status: http.StatusRequestEntityTooLarge,
					code:   "request_too_large",
					message: fmt.Sprintf("request body exceeds the server's limit of %d bytes; "+
						"send smaller code or files", tooLarge.Limit),
				})
				return
			}
			s.writeError(w, r, &apiError{
				status:  http.StatusBadRequest,
				code:    "invalid_request",
				message: fmt.Sprintf("read request body: %v", err),
			})
			return
		}
		// The spec's ExecuteRequest schema has no "type", so a JSON null passes validation and
		// would decode to an empty request that starts a session to run empty code.
		if bytes.Equal(bytes.TrimSpace(body), []byte("null")) {
			s.writeError(w, r, &apiError{
				status:  http.StatusBadRequest,
				code:    "invalid_request",
				message: "request body is null; send a JSON object such as " + exampleRequest,
			})
			return
		}
		body = withDefaultLanguage(body)
		if err := s.validator.Request(op, r.Header, body); err != nil {
			s.writeError(w, r, invalidRequest(err))
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		r.ContentLength = int64(len(body))
		next.ServeHTTP(w, r)
	})
}

// exampleRequest is the smallest valid execute request, for error messages.
const exampleRequest = `{"code": "print(1)", "language": "python"}`

// withDefaultLanguage adds "language": "python" to a JSON object that has no "language". The
// spec gives python as the default but also lists language as required, so a validator would
// reject a body that leaves it out. Any other body is returned unchanged for the validator to
// judge.
//
// The member is inserted into the original bytes. Encoding the object again would drop repeated
// members before the validator checks them, and the request decoder keeps the last of them, so a
// body could pass validation with one "code" and run another.
func withDefaultLanguage(body []byte) []byte {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(body, &fields); err != nil || fields == nil {
		return body
	}
	if _, ok := fields["language"]; ok {
		return body
	}
	open := bytes.IndexByte(body, '{')
	member := `"language":"python"`
	if len(fields) > 0 {
		member += ","
	}
	filled := make([]byte, 0, len(body)+len(member))
	filled = append(filled, body[:open+1]...)
	filled = append(filled, member...)
	return append(filled, body[open+1:]...)
}

// invalidRequest turns a validation error into a 400 with one error per violation.
func invalidRequest(err error) *apiError {
	e := &apiError{
		status:  http.StatusBadRequest,
		code:    "invalid_request",
		message: "request body does not match the ExecuteRequest schema of the API spec",
	}
	var invalid *validate.Error
	if !errors.As(err, &invalid) {
		e.message += ": " + err.Error()
		return e
	}
	for _, v := range invalid.Violations {
		e.details = append(e.details, errorDetail{code: "invalid_request", message: v.String(), pointer: v.Pointer})
	}
	return e
}

// noRoute responds to every request outside the API's operations with 404, or with 405 for an
// operation's path with another method.
func (s *Server) noRoute(w http.ResponseWriter, r *http.Request) {
	operations := map[string]string{
		BasePath + validate.ExecuteCode.Path:  validate.ExecuteCode.Method,
		BasePath + validate.ListSessions.Path: validate.ListSessions.Method,
	}
	if method, ok := operations[r.URL.Path]; ok {
		s.writeError(w, r, &apiError{
			status:  http.StatusMethodNotAllowed,
			code:    "method_not_allowed",
			message: fmt.Sprintf("method %s is not allowed on %s; use %s", shorten(r.Method), r.URL.Path, method),
			header:  http.Header{"Allow": {method}},
		})
		return
	}
	s.writeError(w, r, &apiError{
		status: http.StatusNotFound,
		code:   "not_found",
		message: fmt.Sprintf("no API operation at %s %s; the server serves POST %s%s and GET %s%s",
			shorten(r.Method), quote(r.URL.Path), BasePath, validate.ExecuteCode.Path, BasePath, validate.ListSessions.Path),
	})
}

// requestError responds to a request body that the strict handler could not decode.
func (s *Server) requestError(w http.ResponseWriter, r *http.Request, err error) {
	s.writeError(w, r, &apiError{
		status:  http.StatusBadRequest,
		code:    "invalid_request",
		message: fmt.Sprintf("invalid request: %v", err),
	})
}

// responseError responds to a handler error that has no response of its own.
func (s *Server) responseError(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, context.Canceled) {
		s.logger.Debug("request canceled by the client", "method", r.Method, "path", r.URL.Path)
		return
	}
	s.logger.Error("request failed", "method", r.Method, "path", r.URL.Path, "error", err)
	s.writeError(w, r, &apiError{
		status:  http.StatusInternalServerError,
		code:    "internal_error",
		message: "the server failed to handle the request; its log has the cause",
	})
}

func (s *Server) writeError(w http.ResponseWriter, r *http.Request, e *apiError) {
	if err := e.write(w); err != nil {
		s.logger.Debug("write error response failed", "method", r.Method, "path", r.URL.Path, "error", err)
	}
}
