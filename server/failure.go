package server

import (
	"encoding/json"
	"net/http"
	"strconv"
	"unicode/utf8"

	"github.com/tcikit/tci/generated"
)

// apiError is a request that the server rejects. It is sent in the API's failure shape,
// {"data": null, "errors": [...]}, with one error object per detail.
type apiError struct {
	status  int
	code    string // machine-readable kind, such as "session_not_found"
	message string
	details []errorDetail // more errors after the first, such as further spec violations
	header  http.Header   // extra response headers, such as WWW-Authenticate
}

// errorDetail is one member of "errors" in a failure response.
type errorDetail struct {
	code    string
	message string
	pointer string // JSON pointer into the request body, for spec violations
}

func (e *apiError) Error() string { return e.message }

// errServerClosed is returned for every request after Close.
var errServerClosed = &apiError{
	status:  http.StatusServiceUnavailable,
	code:    "server_closed",
	message: "the server is shutting down; retry against a running server",
}

// errorDetails returns the first error and the details as a list.
func (e *apiError) errorDetails() []errorDetail {
	return append([]errorDetail{{code: e.code, message: e.message}}, e.details...)
}

// VisitExecuteCodeResponse writes e as the response of ExecuteCode.
func (e *apiError) VisitExecuteCodeResponse(w http.ResponseWriter) error { return e.write(w) }

// VisitListSessionsResponse writes e as the response of ListSessions.
func (e *apiError) VisitListSessionsResponse(w http.ResponseWriter) error { return e.write(w) }

// write sends the failure shape that both operations' schemas accept: ExecuteResponse's
// FailedExecution and SessionListResponse's errors with a null data.
func (e *apiError) write(w http.ResponseWriter) error {
	body, err := json.Marshal(failureBody(e.errorDetails()))
	if err != nil {
		return err
	}
	for name, values := range e.header {
		w.Header()[name] = values
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(e.status)
	_, err = w.Write(append(body, '\n'))
	return err
}

func failureBody(details []errorDetail) generated.FailedExecution {
	errs := make([]generated.ResponseError, 0, len(details))
	for _, d := range details {
		object := generated.ErrorDetail{"code": d.code, "message": d.message}
		if d.pointer != "" {
			object["pointer"] = d.pointer
		}
		var item generated.ResponseError
		if err := item.FromErrorDetail(object); err != nil {
			panic("server: encode error detail: " + err.Error())
		}
		errs = append(errs, item)
	}
	return generated.FailedExecution{Data: nil, Errors: errs}
}

// maxQuotedBytes is how many bytes of a value from the request an error message repeats.
const maxQuotedBytes = 64

// quote returns s as a double-quoted Go string for an error message. A value longer than
// maxQuotedBytes is cut and followed by "...", so that a huge file name or session id does not
// make a huge message.
func quote(s string) string {
	if cut := cutIndex(s); cut < len(s) {
		return strconv.Quote(s[:cut]) + "..."
	}
	return strconv.Quote(s)
}

// shorten is quote for a value that needs no quotes, such as an HTTP method.
func shorten(s string) string {
	if cut := cutIndex(s); cut < len(s) {
		return s[:cut] + "..."
	}
	return s
}

// cutIndex returns len(s), or for a longer s than maxQuotedBytes the last character boundary
// at or before it.
func cutIndex(s string) int {
	if len(s) <= maxQuotedBytes {
		return len(s)
	}
	cut := maxQuotedBytes
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return cut
}
