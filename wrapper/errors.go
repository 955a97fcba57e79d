package wrapper

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tcikit/tci/generated"
	"github.com/tcikit/tci/internal/keyguard"
	"github.com/tcikit/tci/validate"
)

// Sentinel errors, matched with errors.Is through the error types below.
var (
	// ErrEndpointNotFound is the cause of an *APIError for a 404 on a /tci/ path whose body is
	// not the spec's failure shape, such as an HTML page, an empty body or {"detail": "Not
	// Found"}: the base URL serves no Code Interpreter API. A 404 in the failure shape, such as
	// the reference server's session_not_found, is an error that the server reported instead.
	ErrEndpointNotFound = errors.New("no Code Interpreter endpoint at this base URL")

	// ErrResponseTooLarge is the cause of an *InvalidResponseError for a body over the
	// WithMaxResponseBytes limit.
	ErrResponseTooLarge = errors.New("response body too large")

	// ErrInsecureHTTP is wrapped in the error of New, or of a call, when the API key would be
	// sent over plain http:// to a host that is not loopback. contract.ErrInsecureHTTP is the
	// same value.
	ErrInsecureHTTP = keyguard.ErrInsecureHTTP
)

// maxErrorBodyBytes is how much of a non-2xx body an *APIError keeps.
const maxErrorBodyBytes = 64 << 10

// APIError is a call that got no usable HTTP response: either no response arrived (StatusCode
// is 0 and Err is the transport error, such as a refused connection or a timeout) or the server
// responded with a status outside 2xx.
//
// A body outside 2xx in the spec's failure shape, {"data": null, "errors": [...]}, is an error
// that the server reported, such as an unknown session or a missing token. Errors then holds
// its items, and Error shows their messages instead of the body. Err is ErrEndpointNotFound for
// a 404 on a /tci/ path with any other body. Timeouts and cancellations match
// context.DeadlineExceeded and context.Canceled with errors.Is.
type APIError struct {
	// Method and URL are those of the request, such as "POST" and
	// "https://api.together.ai/v1/tci/execute".
	Method string
	URL    string
	// StatusCode and Status are those of the last response, such as 429 and
	// "429 Too Many Requests"; 0 and "" when no response arrived.
	StatusCode int
	Status     string
	// RequestID is the server's id for the request, from X-Request-Id or a similar header.
	RequestID string
	// Attempts is the number of times the request was sent, retries included.
	Attempts int
	// RetryAfter is the wait that the server requested with Retry-After-Ms or Retry-After,
	// capped at one minute, and 0 when it requested none.
	RetryAfter time.Duration
	// Header is the response header, nil when no response arrived.
	Header http.Header
	// Body is the start of the response body, at most 64 KiB.
	Body []byte
	// Errors are the items of "errors" when Body has the failure shape: a JSON object whose
	// "data" is null or absent and whose "errors" is a non-empty array. Otherwise Errors is nil,
	// as it is for a failure body longer than the 64 KiB that Body keeps.
	Errors []generated.ResponseError
	// Err is the cause: the transport error, ErrEndpointNotFound, or nil.
	Err error
	// Hint is advice on the next step, such as appending /v1 to a base URL that serves no API, or ""
	// when this package has no advice. Error appends it. A command may replace it with advice
	// that names its own flags.
	Hint string
}

// Error returns a line such as
// "POST https://api.together.ai/v1/tci/execute: 429 Too Many Requests: rate limited".
func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s: ", e.Method, e.URL)
	switch {
	case e.StatusCode == 0 && e.Err != nil:
		b.WriteString(transportMessage(e.Err))
	default:
		b.WriteString(e.Status)
		if e.Status == "" {
			fmt.Fprintf(&b, "%d %s", e.StatusCode, http.StatusText(e.StatusCode))
		}
		if len(e.Errors) > 0 {
			b.WriteString(": " + joinMessages(e.Messages()))
		} else if short := shortBody(e.Body, e.Header.Get("Content-Type")); short != "" {
			b.WriteString(": " + short)
		}
		if e.StatusCode != 0 && e.Err != nil && !errors.Is(e.Err, ErrEndpointNotFound) {
			b.WriteString(": " + e.Err.Error())
		}
	}
	if e.Attempts > 1 {
		fmt.Fprintf(&b, " (after %d attempts)", e.Attempts)
	}
	if e.Hint != "" {
		b.WriteString("; " + e.Hint)
	}
	return b.String()
}

// Unwrap returns Err.
func (e *APIError) Unwrap() error { return e.Err }

// Messages returns one line per item of Errors, as FailedError.Messages does.
func (e *APIError) Messages() []string { return errorMessages(e.Errors) }

// Codes returns the "code" of each item of Errors, as FailedError.Codes does.
func (e *APIError) Codes() []string { return errorCodes(e.Errors) }

// InvalidResponseError is a 2xx response that cannot be used: its body is empty, truncated,
// over the size limit, not JSON, not valid UTF-8, declared with the wrong content type, or
// breaks the schema of the spec. Violations lists each problem with a JSON pointer into the
// body.
type InvalidResponseError struct {
	// Method, URL, StatusCode, ContentType and RequestID describe the request and response.
	// They are empty when the error comes from DecodeExecuteResponse or DecodeSessionList.
	Method      string
	URL         string
	StatusCode  int
	ContentType string
	RequestID   string
	// Body is the response body as received, up to the size limit. Any occurrence of the API
	// key is replaced with "[REDACTED]".
	Body []byte
	// Violations are the problems found, in the order found.
	Violations []validate.Violation
	// Err is the cause: a *validate.Error, ErrResponseTooLarge, or the decoding error.
	Err error
}

// maxViolationsInMessage bounds how many violations Error lists; Violations has them all.
const maxViolationsInMessage = 5

// Error returns the request and up to five violations on one line.
func (e *InvalidResponseError) Error() string {
	var b strings.Builder
	if e.Method != "" {
		fmt.Fprintf(&b, "%s %s: %d %s: ", e.Method, e.URL, e.StatusCode, http.StatusText(e.StatusCode))
	}
	b.WriteString("invalid response")
	for i, v := range e.Violations {
		if i == maxViolationsInMessage {
			fmt.Fprintf(&b, "; and %d more", len(e.Violations)-i)
			break
		}
		sep := "; "
		if i == 0 {
			sep = ": "
		}
		b.WriteString(sep + v.String())
	}
	if len(e.Violations) == 0 && e.Err != nil {
		b.WriteString(": " + e.Err.Error())
	}
	return b.String()
}

// Unwrap returns Err.
func (e *InvalidResponseError) Unwrap() error { return e.Err }

// FailedError is a 2xx response whose body reports failure instead of a result: a failed
// execution ("data": null with "errors" set), or a session list with errors. The same body with
// a status outside 2xx is an *APIError with Errors set, which does not wrap a FailedError.
type FailedError struct {
	// Operation is the operation that failed.
	Operation validate.Operation
	// Errors are the items of "errors", each a string or an object.
	Errors []generated.ResponseError
}

// Messages returns one line per item of Errors: a string item as it is, an object item by its
// "message" field when that is a string, and as compact JSON otherwise.
func (e *FailedError) Messages() []string { return errorMessages(e.Errors) }

func errorMessages(items []generated.ResponseError) []string {
	messages := make([]string, len(items))
	for i, item := range items {
		messages[i] = errorItemMessage(item)
	}
	return messages
}

// Codes returns one entry per item of Errors: the item's "code" field when the item is an
// object whose code is a string, such as the reference server's "session_not_found", and ""
// otherwise.
func (e *FailedError) Codes() []string { return errorCodes(e.Errors) }

func errorCodes(items []generated.ResponseError) []string {
	codes := make([]string, len(items))
	for i, item := range items {
		if detail, err := item.AsErrorDetail(); err == nil {
			codes[i], _ = detail["code"].(string)
		}
	}
	return codes
}

// Error returns the operation and up to five messages on one line.
func (e *FailedError) Error() string {
	summary := "execution failed"
	if e.Operation != validate.ExecuteCode {
		summary = e.Operation.String() + " failed"
	}
	messages := e.Messages()
	if len(messages) == 0 {
		return summary + " without error details"
	}
	return summary + ": " + joinMessages(messages)
}

// joinMessages returns up to five messages on one line, each cut to 200 bytes.
func joinMessages(messages []string) string {
	listed := make([]string, 0, maxViolationsInMessage+1)
	for _, m := range messages[:min(len(messages), maxViolationsInMessage)] {
		listed = append(listed, truncate(oneLine(m), 200))
	}
	if len(messages) > maxViolationsInMessage {
		listed = append(listed, fmt.Sprintf("and %d more", len(messages)-maxViolationsInMessage))
	}
	return strings.Join(listed, "; ")
}

// OptionError is an invalid value given to New or Execute through an option, or to New through
// an environment variable. A command can use Option to name its own flag for the value.
type OptionError struct {
	// Option is the option that received the value, such as "WithBaseURL", or the environment
	// variable that contained it, such as "TOGETHER_BASE_URL".
	Option string
	// Value is the invalid value as text, with the password of a URL replaced. It is empty for
	// an API key, which no error contains, and for a nil argument.
	Value string
	// Err describes the problem and what to do, without naming the option, such as
	// "invalid retry count 11: use 0 to 10".
	Err error
}

// Error returns the message of Err, after the variable's name for a value from the
// environment.
func (e *OptionError) Error() string {
	if e.Option == EnvAPIKey || e.Option == EnvBaseURL {
		return e.Option + ": " + e.Err.Error()
	}
	return e.Err.Error()
}

// Unwrap returns Err.
func (e *OptionError) Unwrap() error { return e.Err }

// CodeError is the error output of code that raised an exception. Result.Err returns it.
type CodeError struct {
	// SessionID is the session that ran the code.
	SessionID string
	// Output is the text of every error output in order, usually a Python traceback.
	Output string
}

// Error returns the last line of the output, such as
// "code raised an error: ZeroDivisionError: division by zero".
func (e *CodeError) Error() string {
	return "code raised an error: " + truncate(lastLine(e.Output), 200)
}

// transportMessage returns the message of a transport error without the "Post \"URL\":"
// prefix of *url.Error, which APIError already prints.
func transportMessage(err error) string {
	var urlErr *url.Error
	if errors.As(err, &urlErr) && err.Error() == urlErr.Error() {
		return urlErr.Err.Error()
	}
	return err.Error()
}

// requestIDHeaders are the response headers that carry a request id, most common first.
var requestIDHeaders = []string{
	"X-Request-Id", "Request-Id", "X-Amzn-Requestid", "X-Amz-Request-Id", "X-Correlation-Id", "Cf-Ray",
}

func requestID(h http.Header) string {
	for _, name := range requestIDHeaders {
		if id := h.Get(name); id != "" {
			return id
		}
	}
	return ""
}

var htmlTitle = regexp.MustCompile(`(?is)<title[^>]*>(.*?)</title>`)

// shortBody returns the start of an error body on one line: the title of an HTML page, or the
// first 200 bytes of anything else.
func shortBody(body []byte, contentType string) string {
	text := string(body[:min(len(body), 4096)])
	if strings.Contains(contentType, "html") || strings.HasPrefix(strings.TrimSpace(text), "<") {
		if m := htmlTitle.FindStringSubmatch(text); m != nil {
			text = "HTML page: " + m[1]
		}
	}
	return truncate(oneLine(text), 200)
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}

// truncate cuts s to at most n bytes at a rune boundary and marks the cut with "...".
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "..."
}
