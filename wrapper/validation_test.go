package wrapper

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/tcikit/tci/validate"
)

// hostileCase is a 2xx response that the client must either decode or reject with an
// *InvalidResponseError, never with a panic or a silently wrong result.
type hostileCase struct {
	name        string
	contentType string // "" for application/json
	body        string
	// want gives, per mode, "" when the result must decode, or text that a violation's pointer
	// and reason must contain, as "POINTER: REASON" of validate.Violation.String.
	strict, report, off string
}

// deepErrors is a failed execution whose one error object nests deeper than encoding/json's
// limit of 10 000 levels.
var deepErrors = `{"data":null,"errors":[` + strings.Repeat(`{"a":`, 10_000) + `1` +
	strings.Repeat(`}`, 10_000) + `]}`

// deepTypeError nests a JSON payload almost to encoding/json's depth limit, then breaks the
// schema after it, so that finding the pointer walks the whole nesting.
var deepTypeError = `{"data":{"session_id":"s","outputs":[{"type":"display_data","data":{"application/json":` +
	strings.Repeat(`{"a":`, 9_990) + `1` + strings.Repeat(`}`, 9_990) + `}}],"status":5},"errors":null}`

var executeHostileCases = []hostileCase{
	{name: "malformed JSON", body: `{"data":}`,
		strict: "/:", report: "/: invalid JSON at byte 8", off: "/: invalid JSON at byte 8"},
	{name: "truncated JSON", body: okExecuteBody[:40],
		strict: "/:", report: "/: truncated JSON", off: "/: truncated JSON"},
	{name: "empty body", body: "",
		strict: "/: empty body", report: "/: empty body", off: "/: empty body"},
	{name: "whitespace body", body: " \n",
		strict: "/: empty body", report: "/: empty body", off: "/: empty body"},
	{name: "gateway HTML page", contentType: "text/html",
		body:   "<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>",
		strict: "/:", report: "/: content type", off: "/: invalid JSON at byte 0"},
	{name: "wrong content type", contentType: "text/plain", body: okExecuteBody,
		strict: "/:", report: `/: content type "text/plain" is not JSON`, off: ""},
	{name: "invalid UTF-8", body: `{"data":{"session_id":"ses_` + "\xff" + `","outputs":[]},"errors":null}`,
		strict: "/: body is not valid UTF-8 at byte 27", report: "not valid UTF-8", off: "not valid UTF-8"},
	{name: "JSON null", body: "null",
		strict: "/: expected object, got null", report: "expected object, got null", off: "expected object, got null"},
	{name: "top-level array 10000 deep", body: strings.Repeat("[", 10_000) + strings.Repeat("]", 10_000),
		strict: "/:", report: "/: expected object, got array", off: "/: expected object, got array"},
	{name: "error object past max depth", body: deepErrors,
		strict: "/:", report: "exceeded max depth", off: "exceeded max depth"},
	{name: "type error after deep nesting", body: deepTypeError,
		strict: "/", report: "/data/status: expected string, got number", off: "/data/status: expected string, got number"},
	{name: "data and errors both set", body: `{"data":{"session_id":"s","outputs":[]},"errors":["x"]}`,
		strict: "/", report: "/: data and errors are both set", off: "/: data and errors are both set"},
	{name: "data and errors both null", body: `{"data":null,"errors":null}`,
		strict: "/", report: "/: data and errors are both missing", off: "/: data and errors are both missing"},
	{name: "errors missing on success", body: `{"data":{"session_id":"s","outputs":[]}}`,
		strict: "/", report: "", off: ""},
	{name: "session id missing", body: `{"data":{"outputs":[]},"errors":null}`,
		strict: "/data", report: "/data: session_id is missing", off: "/data: session_id is missing"},
	{name: "session id a number", body: `{"data":{"session_id":7,"outputs":[]},"errors":null}`,
		strict: "/data/session_id", report: "/data/session_id: expected string, got number",
		off: "/data/session_id: expected string, got number"},
	{name: "output type unknown", body: `{"data":{"session_id":"s","outputs":[` +
		`{"type":"stdout","data":"a"},{"type":"rich","data":"b"}]},"errors":null}`,
		strict: "/data/outputs/1", report: "", off: ""},
	{name: "output type a number", body: `{"data":{"session_id":"s","outputs":[` +
		`{"type":"stdout","data":"a"},{"type":5,"data":"b"}]},"errors":null}`,
		strict: "/data/outputs/1", report: "/data/outputs/1/type: expected string, got number",
		off: "/data/outputs/1/type: expected string, got number"},
	{name: "stdout data an object", body: `{"data":{"session_id":"s","outputs":[` +
		`{"type":"stdout","data":{}}]},"errors":null}`,
		strict: "/data/outputs/0", report: "/data/outputs/0/data: expected string, got object",
		off: "/data/outputs/0/data: expected string, got object"},
	{name: "image not base64", body: `{"data":{"session_id":"s","outputs":[` +
		`{"type":"display_data","data":{"image/png":"!!!"}}]},"errors":null}`,
		strict: "/data/outputs/0", report: "/data/outputs/0/data/image~1png: invalid base64",
		off: "/data/outputs/0/data/image~1png: invalid base64"},
	{name: "extra fields", body: `{"data":{"session_id":"s","outputs":[],"extra":1},"errors":null,"meta":{}}`,
		strict: "", report: "", off: ""},
}

var sessionHostileCases = []hostileCase{
	{name: "timestamp not RFC 3339", body: sessionsWith(`"expires_at":"yesterday"`),
		strict: "/data/sessions/0/expires_at: ", report: `/data/sessions/0/expires_at: expires_at: "yesterday" is not`,
		off: `/data/sessions/0/expires_at: expires_at: "yesterday" is not an RFC 3339 date-time`},
	{name: "timestamp with space", body: sessionsWith(`"expires_at":"2026-01-02 03:04:05Z"`),
		strict: "/data/sessions/0/expires_at", report: `"2026-01-02 03:04:05Z" is not`, off: `"2026-01-02 03:04:05Z" is not`},
	{name: "timestamp forms time.Parse accepts", body: sessionsWith(`"expires_at":"2026-01-02T03:04:05.123456789-07:30"`),
		strict: "", report: "", off: ""},
	{name: "execute count a string", body: sessionsWith(`"execute_count":"2"`),
		strict: "/data/sessions/0/execute_count", report: "/data/sessions/0/execute_count: expected integer, got string",
		off: "/data/sessions/0/execute_count: expected integer, got string"},
	{name: "id missing", body: `{"data":{"sessions":[{"execute_count":1,"started_at":"2026-01-02T03:04:05Z",` +
		`"last_execute_at":"2026-01-02T03:04:05Z","expires_at":"2026-01-02T03:04:05Z"}]}}`,
		strict: "/data/sessions/0", report: "/data/sessions/0: id is missing", off: "/data/sessions/0: id is missing"},
	{name: "empty object", body: `{}`, strict: "", report: "", off: ""},
	{name: "sessions null", body: `{"data":{"sessions":null}}`,
		strict: "/data", report: "/data: sessions is missing", off: "/data: sessions is missing"},
}

// lenientTimestampCases are RFC 3339 forms that time.Parse rejects and every mode accepts.
var lenientTimestampCases = []hostileCase{
	{name: "lower-case t and z", body: sessionsWith(`"expires_at":"2026-01-02t03:04:05z"`), strict: "", report: "", off: ""},
	{name: "leap second", body: sessionsWith(`"expires_at":"2016-12-31T23:59:60Z"`), strict: "", report: "", off: ""},
}

// sessionsWith returns a session list whose one session has override in place of one field.
func sessionsWith(override string) string {
	fields := map[string]string{
		"id": `"id":"ses_1"`, "execute_count": `"execute_count":1`,
		"started_at": `"started_at":"2026-01-02T03:04:05Z"`, "last_execute_at": `"last_execute_at":"2026-01-02T03:04:05Z"`,
		"expires_at": `"expires_at":"2026-01-02T03:04:05Z"`,
	}
	name := strings.Trim(override[:strings.Index(override, ":")], `"`)
	fields[name] = override
	parts := make([]string, 0, len(fields))
	for _, key := range []string{"id", "execute_count", "started_at", "last_execute_at", "expires_at"} {
		parts = append(parts, fields[key])
	}
	return `{"data":{"sessions":[{` + strings.Join(parts, ",") + `}]}}`
}

func TestHostileExecuteResponses(t *testing.T) {
	runHostile(t, executeHostileCases, func(c *Client) error {
		_, err := c.Execute(context.Background(), "1")
		return err
	})
}

func TestHostileSessionResponses(t *testing.T) {
	runHostile(t, sessionHostileCases, func(c *Client) error {
		_, err := c.ListSessions(context.Background())
		return err
	})
}

func TestLenientTimestamps(t *testing.T) {
	runHostile(t, lenientTimestampCases, func(c *Client) error {
		_, err := c.ListSessions(context.Background())
		return err
	})
}

// runHostile serves each case over loopback and calls it in every mode that the case has an
// expectation for.
func runHostile(t *testing.T, cases []hostileCase, call func(*Client) error) {
	for _, tc := range cases {
		srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
			contentType := tc.contentType
			if contentType == "" {
				contentType = "application/json"
			}
			w.Header().Set("Content-Type", contentType)
			_, _ = io.WriteString(w, tc.body)
		})
		modes := []struct {
			mode ValidationMode
			want string
		}{
			{ValidationStrict, tc.strict},
			{ValidationReport, tc.report},
			{ValidationOff, tc.off},
		}
		for _, m := range modes {
			t.Run(tc.name+"/"+m.mode.String(), func(t *testing.T) {
				c, _ := newClient(t, srv.URL, WithValidation(m.mode))
				err := call(c)
				if m.want == "" {
					if err != nil {
						t.Fatalf("error = %v, want a result", err)
					}
					return
				}
				invalidErr := asInvalid(t, err)
				if !violationContains(invalidErr, m.want) {
					t.Errorf("violations = %q, want one containing %q", invalidErr.Violations, m.want)
				}
				if invalidErr.StatusCode != http.StatusOK || invalidErr.Method == "" ||
					!strings.HasPrefix(invalidErr.URL, srv.URL+"/tci/") {
					t.Errorf("request fields = %s %s %d, want the request and status 200",
						invalidErr.Method, invalidErr.URL, invalidErr.StatusCode)
				}
				if string(invalidErr.Body) != tc.body {
					t.Errorf("Body = %.80q, want the raw body", invalidErr.Body)
				}
			})
		}
	}
}

func violationContains(e *InvalidResponseError, text string) bool {
	for _, v := range e.Violations {
		if strings.Contains(v.String(), text) {
			return true
		}
	}
	return false
}

func TestStrictErrorListsEveryViolation(t *testing.T) {
	body := `{"data":{"sessions":[` +
		`{"id":"a","execute_count":1,"started_at":"x","last_execute_at":"y","expires_at":"2026-01-02T03:04:05Z"}]}}`
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) { writeJSON(w, body) })
	c, _ := newClient(t, srv.URL)

	_, err := c.ListSessions(context.Background())
	invalidErr := asInvalid(t, err)
	for _, pointer := range []string{"/data/sessions/0/started_at", "/data/sessions/0/last_execute_at"} {
		if !hasViolation(invalidErr, pointer, "") {
			t.Errorf("violations = %q, want one at %s", invalidErr.Violations, pointer)
		}
	}
	var validationErr *validate.Error
	if !errors.As(err, &validationErr) {
		t.Errorf("error chain lacks *validate.Error: %v", err)
	}
	prefix := "GET " + srv.URL + "/tci/sessions: 200 OK: invalid response: "
	if !strings.HasPrefix(err.Error(), prefix) {
		t.Errorf("Error() = %q, want prefix %q", err.Error(), prefix)
	}
}

func TestReportModeLogsViolationsAndReturnsResult(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, `{"data":{"session_id":"s","outputs":[{"type":"stdout","data":"hi"}]}}`)
	})
	logger, logs := logBuffer()
	c, _ := newClient(t, srv.URL, WithValidation(ValidationReport), WithLogger(logger))

	result, err := c.Execute(context.Background(), "1")
	if err != nil {
		t.Fatalf("Execute: %v", err)
	}
	if result.Stdout() != "hi" {
		t.Errorf("Stdout = %q", result.Stdout())
	}
	if !strings.Contains(logs.String(), `"level":"WARN","msg":"tci response violates the spec"`) {
		t.Errorf("logs = %s, want a warning about the violation", logs)
	}
	if !strings.Contains(logs.String(), `"operation":"POST /tci/execute"`) {
		t.Errorf("logs = %s, want the operation", logs)
	}
}

func TestReportModeKeepsViolationsWhenDecodingFails(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, `{"data":{"outputs":[]},"errors":null}`)
	})
	c, _ := newClient(t, srv.URL, WithValidation(ValidationReport))

	_, err := c.Execute(context.Background(), "1")
	invalidErr := asInvalid(t, err)
	if len(invalidErr.Violations) < 2 {
		t.Fatalf("violations = %q, want the validator's and the decoder's", invalidErr.Violations)
	}
	last := invalidErr.Violations[len(invalidErr.Violations)-1]
	if last.String() != "/data: session_id is missing or null" {
		t.Errorf("last violation = %q, want the decoding failure", last)
	}
}

func TestResponseSizeLimit(t *testing.T) {
	body := executeBody(t, map[string]any{"type": "stdout", "data": strings.Repeat("x", 4096)})
	tests := []struct {
		name    string
		chunked bool
	}{
		{"with Content-Length", false},
		{"chunked", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			requests := &counter{}
			srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
				requests.add()
				w.Header().Set("Content-Type", "application/json")
				if !tt.chunked {
					w.Header().Set("Content-Length", strconv.Itoa(len(body)))
				}
				_, _ = io.WriteString(w, body)
				if tt.chunked {
					w.(http.Flusher).Flush()
				}
			})
			for _, mode := range []ValidationMode{ValidationStrict, ValidationOff} {
				c, _ := newClient(t, srv.URL, WithMaxResponseBytes(1024), WithValidation(mode))
				_, err := c.ListSessions(context.Background())
				if !errors.Is(err, ErrResponseTooLarge) {
					t.Fatalf("%v: error = %v, want ErrResponseTooLarge", mode, err)
				}
				invalidErr := asInvalid(t, err)
				if !strings.Contains(err.Error(), "body exceeds the client's limit of 1024 bytes") {
					t.Errorf("Error() = %q, want the limit", err)
				}
				if strings.Contains(err.Error(), "WithMaxResponseBytes") {
					t.Errorf("Error() = %q names a Go option, which a command's user cannot set", err)
				}
				if len(invalidErr.Body) != 0 {
					t.Errorf("Body has %d bytes, want none past the limit", len(invalidErr.Body))
				}
			}
			if requests.get() != 2 {
				t.Errorf("requests = %d, want 2: a body over the limit is not retried", requests.get())
			}
			c, _ := newClient(t, srv.URL, WithMaxResponseBytes(int64(len(body))))
			if _, err := c.Execute(context.Background(), "1"); err != nil {
				t.Errorf("body of exactly the limit: %v", err)
			}
		})
	}
}

// TestBodyCutShortIsTransportError covers a response that promises more bytes than it sends and
// closes the connection. That is a network failure rather than an invalid response, and POST
// is not retried after it.
func TestBodyCutShortIsTransportError(t *testing.T) {
	requests := &counter{}
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		requests.add()
		conn, buf, err := w.(http.Hijacker).Hijack()
		if err != nil {
			t.Error(err)
			return
		}
		defer conn.Close()
		writeRaw(buf, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n"+okExecuteBody[:30])
	})
	c, _ := newClient(t, srv.URL)

	_, err := c.Execute(context.Background(), "1")
	apiErr := asAPIError(t, err)
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("error = %v, want io.ErrUnexpectedEOF in the chain", err)
	}
	if apiErr.StatusCode != http.StatusOK {
		t.Errorf("StatusCode = %d, want 200", apiErr.StatusCode)
	}
	if requests.get() != 1 {
		t.Errorf("requests = %d, want 1: the code may have run", requests.get())
	}

	requests.n.Store(0)
	_, err = c.ListSessions(context.Background())
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("ListSessions error = %v, want io.ErrUnexpectedEOF", err)
	}
	if requests.get() != 3 {
		t.Errorf("GET requests = %d, want 3", requests.get())
	}
}

func writeRaw(buf *bufio.ReadWriter, s string) {
	_, _ = buf.WriteString(s)
	_ = buf.Flush()
}

func TestListSessionsEmptyObjectInEveryMode(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) { writeJSON(w, `{}`) })
	for _, mode := range []ValidationMode{ValidationStrict, ValidationReport, ValidationOff} {
		c, _ := newClient(t, srv.URL, WithValidation(mode))
		sessions, err := c.ListSessions(context.Background())
		if err != nil {
			t.Errorf("%v: error = %v, want no sessions", mode, err)
		}
		if len(sessions) != 0 {
			t.Errorf("%v: sessions = %v, want none", mode, sessions)
		}
	}
}
