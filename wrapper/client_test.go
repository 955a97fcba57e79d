package wrapper

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tcikit/tci/server"
	"github.com/tcikit/tci/validate"
)

func TestExecuteSendsSpecRequest(t *testing.T) {
	validator, err := validate.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		method, path, auth, agent, contentType string
		body                                   []byte
	}
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		got.method, got.path = r.Method, r.URL.Path
		got.auth, got.agent = r.Header.Get("Authorization"), r.Header.Get("User-Agent")
		got.contentType = r.Header.Get("Content-Type")
		got.body, _ = io.ReadAll(r.Body)
		writeJSON(w, okExecuteBody)
	})
	c, _ := newClient(t, srv.URL+"/v1", WithUserAgent("my-tool/1.2"))

	_, err = c.Execute(context.Background(), "print('hello')",
		WithSessionID("ses_abc"),
		WithFile("notes.txt", []byte("héllo")),
		WithFile("image.png", pngBytes),
		WithTextFile("script.py", "x = 1\n"),
		WithBinaryFile("data.bin", []byte("abc")))
	if err != nil {
		t.Fatalf("Execute: %v", err)
	}

	if got.method != http.MethodPost || got.path != "/v1/tci/execute" {
		t.Errorf("request = %s %s, want POST /v1/tci/execute", got.method, got.path)
	}
	if got.auth != "Bearer "+testKey {
		t.Errorf("Authorization = %q, want the bearer key", got.auth)
	}
	if !strings.HasPrefix(got.agent, "my-tool/1.2 tci-go/"+Version+" ") {
		t.Errorf("User-Agent = %q, want my-tool/1.2 then tci-go/%s", got.agent, Version)
	}
	header := http.Header{"Content-Type": {got.contentType}}
	if err := validator.Request(validate.ExecuteCode, header, got.body); err != nil {
		t.Errorf("request violates the spec: %v\nbody: %s", err, got.body)
	}
	var body struct {
		Code      string `json:"code"`
		Language  string `json:"language"`
		SessionID string `json:"session_id"`
		Files     []struct{ Name, Encoding, Content string }
	}
	if err := json.Unmarshal(got.body, &body); err != nil {
		t.Fatal(err)
	}
	if body.Code != "print('hello')" || body.Language != "python" || body.SessionID != "ses_abc" {
		t.Errorf("body = %+v, want the code, language python and session ses_abc", body)
	}
	wantFiles := []struct{ Name, Encoding, Content string }{
		{"notes.txt", "string", "héllo"},
		{"image.png", "base64", b64(pngBytes)},
		{"script.py", "string", "x = 1\n"},
		{"data.bin", "base64", b64([]byte("abc"))},
	}
	if len(body.Files) != len(wantFiles) {
		t.Fatalf("files = %+v, want %+v", body.Files, wantFiles)
	}
	for i, want := range wantFiles {
		if body.Files[i] != want {
			t.Errorf("file %d = %+v, want %+v", i, body.Files[i], want)
		}
	}
}

func TestExecuteWithoutKeySendsNoAuthorization(t *testing.T) {
	t.Setenv(EnvAPIKey, "")
	var auth []string
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		auth = r.Header.Values("Authorization")
		writeJSON(w, okExecuteBody)
	})
	c, err := New(WithBaseURL(srv.URL))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Execute(context.Background(), "1"); err != nil {
		t.Fatal(err)
	}
	if len(auth) != 0 {
		t.Errorf("Authorization = %q, want none", auth)
	}
}

func TestExecuteResultAccessors(t *testing.T) {
	pdf := []byte("%PDF-1.4 \x00\x01")
	body := executeBody(t,
		map[string]any{"type": "stdout", "data": "one\n"},
		map[string]any{"type": "stderr", "data": "warning\n"},
		map[string]any{"type": "display_data", "data": map[string]any{
			"image/png":        b64(pngBytes),
			"text/plain":       "<Figure>",
			"application/json": map[string]any{"a": 1},
			"image/webp":       "UklGR",
		}},
		map[string]any{"type": "stdout", "data": "two\n"},
		map[string]any{"type": "display_data", "data": map[string]any{"application/pdf": b64(pdf)}},
		map[string]any{"type": "execute_result", "data": map[string]any{"text/plain": "42"}},
	)
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) { writeJSON(w, body) })
	c, _ := newClient(t, srv.URL)

	result, err := c.Execute(context.Background(), "code")
	if err != nil {
		t.Fatalf("Execute: %v", err)
	}
	if result.SessionID != "ses_1" || result.Status != "success" {
		t.Errorf("session, status = %q, %q, want ses_1, success", result.SessionID, result.Status)
	}
	if len(result.Outputs) != 6 {
		t.Fatalf("outputs = %d, want 6", len(result.Outputs))
	}
	if got := result.Stdout(); got != "one\ntwo\n" {
		t.Errorf("Stdout = %q, want both stdout outputs in order", got)
	}
	if got := result.Stderr(); got != "warning\n" {
		t.Errorf("Stderr = %q", got)
	}
	if got := result.ExecuteResult(); got != "42" {
		t.Errorf("ExecuteResult = %q, want 42", got)
	}
	if err := result.Err(); err != nil {
		t.Errorf("Err = %v, want nil", err)
	}
	display := result.DisplayData()
	if len(display) != 2 {
		t.Fatalf("DisplayData = %d bundles, want 2", len(display))
	}
	if !bytes.Equal(display[0]["image/png"], pngBytes) {
		t.Errorf("image/png = %q, want the decoded bytes", display[0]["image/png"])
	}
	if string(display[0]["text/plain"]) != "<Figure>" {
		t.Errorf("text/plain = %q", display[0]["text/plain"])
	}
	if string(display[0]["application/json"]) != `{"a":1}` {
		t.Errorf("application/json = %q, want the JSON text", display[0]["application/json"])
	}
	if string(display[0]["image/webp"]) != "UklGR" {
		t.Errorf("image/webp, a type the spec lacks, = %q, want the string as sent", display[0]["image/webp"])
	}
	if !bytes.Equal(display[1]["application/pdf"], pdf) {
		t.Errorf("application/pdf = %q, want the decoded bytes", display[1]["application/pdf"])
	}
}

func TestExecuteCodeError(t *testing.T) {
	traceback := "Traceback (most recent call last):\n  File \"<stdin>\", line 1\nZeroDivisionError: division by zero\n"
	body := executeBody(t,
		map[string]any{"type": "stdout", "data": "before\n"},
		map[string]any{"type": "error", "data": traceback})
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) { writeJSON(w, body) })
	c, _ := newClient(t, srv.URL)

	result, err := c.Execute(context.Background(), "1/0")
	if err != nil {
		t.Fatalf("Execute: %v, want a result whose Err reports the exception", err)
	}
	var codeErr *CodeError
	if !errors.As(result.Err(), &codeErr) {
		t.Fatalf("Err = %v, want *CodeError", result.Err())
	}
	if codeErr.Output != traceback || codeErr.SessionID != "ses_1" {
		t.Errorf("CodeError = %+v", codeErr)
	}
	if got, want := codeErr.Error(), "code raised an error: ZeroDivisionError: division by zero"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if result.Stdout() != "before\n" {
		t.Errorf("Stdout = %q", result.Stdout())
	}
}

func TestExecuteFailedExecution(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) { writeJSON(w, failedExecuteBody) })
	c, _ := newClient(t, srv.URL)

	result, err := c.Execute(context.Background(), "1", WithSessionID("ses_x"))
	if result != nil {
		t.Errorf("result = %+v, want nil: a failure body must not decode as a success", result)
	}
	var failed *FailedError
	if !errors.As(err, &failed) {
		t.Fatalf("error = %v (%T), want *FailedError", err, err)
	}
	want := []string{"session ses_x has expired", "try again"}
	if got := failed.Messages(); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("Messages = %q, want %q", got, want)
	}
	if got := err.Error(); got != "execution failed: session ses_x has expired; try again" {
		t.Errorf("Error() = %q", got)
	}
}

func TestListSessions(t *testing.T) {
	var method, path string
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		method, path = r.Method, r.URL.Path
		writeJSON(w, okSessionsBody)
	})
	c, _ := newClient(t, srv.URL)

	sessions, err := c.ListSessions(context.Background())
	if err != nil {
		t.Fatalf("ListSessions: %v", err)
	}
	if method != http.MethodGet || path != "/tci/sessions" {
		t.Errorf("request = %s %s, want GET /tci/sessions", method, path)
	}
	if len(sessions) != 1 {
		t.Fatalf("sessions = %+v, want one", sessions)
	}
	s := sessions[0]
	if s.ID != "ses_1" || s.ExecuteCount != 2 {
		t.Errorf("session = %+v", s)
	}
	wantLast := time.Date(2026, 1, 2, 2, 5, 0, 5e8, time.UTC)
	if !s.LastExecuteAt.Equal(wantLast) {
		t.Errorf("LastExecuteAt = %v, want %v", s.LastExecuteAt, wantLast)
	}
	if !s.StartedAt.Equal(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)) {
		t.Errorf("StartedAt = %v", s.StartedAt)
	}
}

func TestListSessionsWithErrors(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, `{"errors":["not allowed"]}`)
	})
	c, _ := newClient(t, srv.URL)

	_, err := c.ListSessions(context.Background())
	var failed *FailedError
	if !errors.As(err, &failed) {
		t.Fatalf("error = %v (%T), want *FailedError", err, err)
	}
	if failed.Operation != validate.ListSessions {
		t.Errorf("Operation = %v", failed.Operation)
	}
	if got := err.Error(); got != "GET /tci/sessions failed: not allowed" {
		t.Errorf("Error() = %q", got)
	}
}

func TestNilContext(t *testing.T) {
	c, _ := newClient(t, "http://127.0.0.1:1")
	var ctx context.Context // nil
	if _, err := c.Execute(ctx, "1"); !errors.Is(err, errNilContext) {
		t.Errorf("Execute(nil) = %v, want the nil context error", err)
	}
	if _, err := c.ListSessions(ctx); !errors.Is(err, errNilContext) {
		t.Errorf("ListSessions(nil) = %v, want the nil context error", err)
	}
}

// expectOptionError fails t unless err is an *OptionError for option with value whose message
// contains want and names no option.
func expectOptionError(t *testing.T, err error, option, value, want string) {
	t.Helper()
	var optErr *OptionError
	if !errors.As(err, &optErr) {
		t.Fatalf("error = %v (%T), want an *OptionError", err, err)
	}
	if optErr.Option != option {
		t.Errorf("Option = %q, want %q", optErr.Option, option)
	}
	if optErr.Value != value {
		t.Errorf("Value = %q, want %q", optErr.Value, value)
	}
	if !strings.Contains(err.Error(), want) {
		t.Errorf("error = %q, want it to contain %q", err, want)
	}
	if strings.HasPrefix(err.Error(), "With") {
		t.Errorf("error = %q starts with the option's name", err)
	}
}

func TestExecuteOptionErrors(t *testing.T) {
	c, _ := newClient(t, "http://127.0.0.1:1")
	tests := []struct {
		name   string
		opts   []ExecuteOption
		option string
		value  string
		want   string
	}{
		{"empty session", []ExecuteOption{WithSessionID("")}, "WithSessionID", "", "session id is empty"},
		{"session with newline", []ExecuteOption{WithSessionID("ses\n1")}, "WithSessionID", "ses\n1",
			`invalid session id "ses\n1": it contains a space`},
		{"empty file name", []ExecuteOption{WithFile("", nil)}, "WithFile", "", "file name is empty"},
		{"control in file name", []ExecuteOption{WithTextFile("a\x00b", "")}, "WithTextFile", "a\x00b",
			`invalid file name "a\x00b"`},
		{"duplicate file", []ExecuteOption{WithTextFile("a", ""), WithBinaryFile("a", nil)}, "WithBinaryFile",
			"a", `file "a" is given twice`},
		{"text file not UTF-8", []ExecuteOption{WithTextFile("a.txt", "\xff")}, "WithTextFile", "a.txt",
			`content of file "a.txt" is not valid UTF-8 at byte 0: upload it with the base64 encoding`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.Execute(context.Background(), "1", tt.opts...)
			expectOptionError(t, err, tt.option, tt.value, tt.want)
		})
	}
}

func TestExecuteArgumentErrors(t *testing.T) {
	c, _ := newClient(t, "http://127.0.0.1:1")
	_, err := c.Execute(context.Background(), "x = '\xff'")
	if err == nil || !strings.Contains(err.Error(), "code is not valid UTF-8 at byte 5") {
		t.Errorf("code not UTF-8: error = %v", err)
	}
	_, err = c.Execute(context.Background(), "1", nil)
	if err == nil || !strings.Contains(err.Error(), "execute option 0 is nil") {
		t.Errorf("nil option: error = %v", err)
	}
}

func TestNewRejectsInvalidOptions(t *testing.T) {
	const hint = "use an absolute http or https URL, such as http://127.0.0.1:8080/v1"
	tests := []struct {
		name   string
		opt    Option
		option string
		value  string
		want   string
	}{
		{"empty key", WithAPIKey(""), "WithAPIKey", "", "API key is empty"},
		{"key with newline", WithAPIKey("abc\n"), "WithAPIKey", "", "invalid API key: it contains a space, " +
			"control or non-ASCII character at byte 3"},
		{"key with space", WithAPIKey("a b"), "WithAPIKey", "", "at byte 1"},
		{"base URL without scheme", WithBaseURL("127.0.0.1:8080"), "WithBaseURL", "127.0.0.1:8080",
			`invalid base URL "127.0.0.1:8080": first path segment`},
		{"base URL of host only", WithBaseURL("example.com"), "WithBaseURL", "example.com",
			`invalid base URL "example.com": the scheme must be http or https: ` + hint},
		{"unparsable base URL with password", WithBaseURL("http://u:hunter2@exa mple.com"), "WithBaseURL",
			"http://xxxxx@exa mple.com", `invalid base URL "http://xxxxx@exa mple.com": `},
		{"base URL ftp", WithBaseURL("ftp://example.com"), "WithBaseURL", "ftp://example.com",
			`invalid base URL "ftp://example.com": the scheme must be http or https`},
		{"base URL without host", WithBaseURL("http://"), "WithBaseURL", "http://",
			`invalid base URL "http://": missing host: ` + hint},
		{"base URL with credentials", WithBaseURL("https://user:hunter2@example.com"), "WithBaseURL",
			"https://xxxxx@example.com", "it contains user information, which must go in the API key"},
		{"base URL with query", WithBaseURL("https://example.com/?a=b"), "WithBaseURL",
			"https://example.com/?a=b", "it has a query or fragment"},
		{"nil HTTP client", WithHTTPClient(nil), "WithHTTPClient", "", "HTTP client is nil"},
		{"negative timeout", WithTimeout(-time.Second), "WithTimeout", "-1s",
			"invalid timeout -1s: use a positive duration, or 0 for no per-attempt timeout"},
		{"negative retries", WithMaxRetries(-1), "WithMaxRetries", "-1", "invalid retry count -1: use 0 to 10"},
		{"too many retries", WithMaxRetries(11), "WithMaxRetries", "11", "invalid retry count 11: use 0 to 10"},
		{"zero response limit", WithMaxResponseBytes(0), "WithMaxResponseBytes", "0",
			"invalid response size limit 0"},
		{"unknown validation", WithValidation(ValidationMode(7)), "WithValidation", "7",
			"invalid validation mode 7: use strict, report or off"},
		{"nil logger", WithLogger(nil), "WithLogger", "", "logger is nil"},
		{"nil middleware", WithMiddleware(nil), "WithMiddleware", "", "middleware is nil"},
		{"empty user agent", WithUserAgent(" "), "WithUserAgent", "", "User-Agent product is empty"},
		{"user agent with newline", WithUserAgent("a\nb"), "WithUserAgent", "a\nb",
			`invalid User-Agent product "a\nb"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.opt)
			expectOptionError(t, err, tt.option, tt.value, tt.want)
			if strings.Contains(err.Error(), "hunter2") {
				t.Errorf("error %q shows the password of the URL", err)
			}
		})
	}
	if _, err := New(nil); err == nil || !strings.Contains(err.Error(), "option 0 is nil") {
		t.Errorf("New(nil) = %v, want an error naming option 0", err)
	}
}

func TestNewReadsEnvironment(t *testing.T) {
	var auth string
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		auth = r.Header.Get("Authorization")
		writeJSON(w, okSessionsBody)
	})
	t.Setenv(EnvAPIKey, "env-key")
	t.Setenv(EnvBaseURL, srv.URL+"/")

	c, err := New()
	if err != nil {
		t.Fatal(err)
	}
	if c.BaseURL() != srv.URL {
		t.Errorf("BaseURL = %q, want %q without the trailing slash", c.BaseURL(), srv.URL)
	}
	if _, err := c.ListSessions(context.Background()); err != nil {
		t.Fatal(err)
	}
	if auth != "Bearer env-key" {
		t.Errorf("Authorization = %q, want the key from %s", auth, EnvAPIKey)
	}

	// Options win over the environment, which then need not be valid.
	t.Setenv(EnvBaseURL, "not a url")
	t.Setenv(EnvAPIKey, "bad key")
	c, err = New(WithBaseURL(srv.URL), WithAPIKey("option-key"))
	if err != nil {
		t.Fatalf("New with options over invalid environment: %v", err)
	}
	if _, err := c.ListSessions(context.Background()); err != nil {
		t.Fatal(err)
	}
	if auth != "Bearer option-key" {
		t.Errorf("Authorization = %q, want the key from WithAPIKey", auth)
	}
}

func TestWithEnvironmentReplacesGetenv(t *testing.T) {
	var auth string
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		auth = r.Header.Get("Authorization")
		writeJSON(w, okSessionsBody)
	})
	// Variables that New would reject, so that reading them fails the test.
	t.Setenv(EnvBaseURL, "not a url")
	t.Setenv(EnvAPIKey, "bad key")

	env := map[string]string{EnvBaseURL: srv.URL, EnvAPIKey: "map-key"}
	c, err := New(WithEnvironment(func(name string) string { return env[name] }))
	if err != nil {
		t.Fatalf("New with a map environment: %v", err)
	}
	if c.BaseURL() != srv.URL {
		t.Errorf("BaseURL = %q, want %q from the map", c.BaseURL(), srv.URL)
	}
	if _, err := c.ListSessions(context.Background()); err != nil {
		t.Fatal(err)
	}
	if auth != "Bearer map-key" {
		t.Errorf("Authorization = %q, want the key from the map", auth)
	}

	c, err = New(WithEnvironment(nil), WithBaseURL(srv.URL))
	if err != nil {
		t.Fatalf("New with no environment: %v", err)
	}
	if _, err := c.ListSessions(context.Background()); err != nil {
		t.Fatal(err)
	}
	if auth != "" {
		t.Errorf("Authorization = %q, want none without a key option", auth)
	}

	c, err = New(WithEnvironment(nil))
	if err != nil {
		t.Fatalf("New with no environment and no options: %v", err)
	}
	if got := c.BaseURL(); got != "https://api.together.ai/v1" {
		t.Errorf("BaseURL = %q, want the spec's server URL", got)
	}
}

func TestNewRejectsInvalidEnvironment(t *testing.T) {
	env := map[string]string{EnvBaseURL: "ftp://example.com"}
	getenv := WithEnvironment(func(name string) string { return env[name] })
	_, err := New(getenv)
	expectOptionError(t, err, EnvBaseURL, "ftp://example.com",
		`TOGETHER_BASE_URL: invalid base URL "ftp://example.com": the scheme must be http or https`)

	env = map[string]string{EnvBaseURL: "http://127.0.0.1:1", EnvAPIKey: "key\n"}
	_, err = New(getenv)
	expectOptionError(t, err, EnvAPIKey, "", "TOGETHER_API_KEY: invalid API key: it contains a space")
	if strings.Contains(err.Error(), "key\n") {
		t.Errorf("error %q shows the key", err)
	}
}

func TestNewDefaultsToSpecServer(t *testing.T) {
	t.Setenv(EnvBaseURL, "")
	t.Setenv(EnvAPIKey, "")
	c, err := New()
	if err != nil {
		t.Fatal(err)
	}
	if got := c.BaseURL(); got != "https://api.together.ai/v1" {
		t.Errorf("BaseURL = %q, want the spec's server URL", got)
	}
	if c.ValidationMode() != ValidationStrict {
		t.Errorf("ValidationMode = %v, want strict", c.ValidationMode())
	}
}

func TestParseValidationMode(t *testing.T) {
	for _, mode := range []ValidationMode{ValidationStrict, ValidationReport, ValidationOff} {
		got, err := ParseValidationMode(" " + strings.ToUpper(mode.String()) + " ")
		if err != nil || got != mode {
			t.Errorf("ParseValidationMode(%q) = %v, %v", mode.String(), got, err)
		}
	}
	if _, err := ParseValidationMode("lenient"); err == nil || !strings.Contains(err.Error(), `"lenient"`) {
		t.Errorf("ParseValidationMode(lenient) = %v, want an error naming the value", err)
	}
	if got := ValidationMode(9).String(); got != "ValidationMode(9)" {
		t.Errorf("String = %q", got)
	}
}

func TestDefaultTimeoutCoversBusySession(t *testing.T) {
	reference, err := server.New()
	if err != nil {
		t.Fatal(err)
	}
	defer reference.Close()
	// An execute may wait for its session's turn and then run until the execute timeout.
	if limit := reference.MaxRequestDuration(); DefaultTimeout <= limit {
		t.Errorf("DefaultTimeout = %v, want more than the server's longest request, %v", DefaultTimeout, limit)
	}
}

func TestDefaultResponseLimitAboveServerResponses(t *testing.T) {
	largest := server.DefaultMaxOutputBytes + server.MaxResponseOverhead
	if DefaultMaxResponseBytes < largest {
		t.Errorf("DefaultMaxResponseBytes = %d, want at least the server's largest response, %d bytes",
			DefaultMaxResponseBytes, largest)
	}
}

func TestExecuteAcceptsFullOutputResponse(t *testing.T) {
	// A response that carries the reference server's whole output limit is a little larger.
	text := strings.Repeat("x", server.DefaultMaxOutputBytes)
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, `{"data":{"session_id":"ses_a","status":"success","outputs":[`+
			`{"type":"stdout","data":"`+text+`"}]},"errors":null}`)
	})
	c, _ := newClient(t, srv.URL)
	result, err := c.Execute(context.Background(), "print('x' * (32 << 20))")
	if err != nil {
		t.Fatalf("Execute: %v", err)
	}
	if len(result.Stdout()) != len(text) {
		t.Errorf("stdout has %d bytes, want %d", len(result.Stdout()), len(text))
	}
}
