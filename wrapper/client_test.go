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

func TestExecuteOptionErrors(t *testing.T) {
	c, _ := newClient(t, "http://127.0.0.1:1")
	tests := []struct {
		name string
		code string
		opts []ExecuteOption
		want string
	}{
		{"empty session", "1", []ExecuteOption{WithSessionID("")}, "session id is empty"},
		{"session with newline", "1", []ExecuteOption{WithSessionID("ses\n1")}, `"ses\n1"`},
		{"empty file name", "1", []ExecuteOption{WithFile("", nil)}, "file name is empty"},
		{"control in file name", "1", []ExecuteOption{WithTextFile("a\x00b", "")}, `"a\x00b"`},
		{"duplicate file", "1", []ExecuteOption{WithTextFile("a", ""), WithBinaryFile("a", nil)}, `file "a" is given twice`},
		{"text file not UTF-8", "1", []ExecuteOption{WithTextFile("a.txt", "\xff")}, "use WithBinaryFile"},
		{"code not UTF-8", "x = '\xff'", nil, "code is not valid UTF-8 at byte 5"},
		{"nil option", "1", []ExecuteOption{nil}, "execute option 0 is nil"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.Execute(context.Background(), tt.code, tt.opts...)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestNewRejectsInvalidOptions(t *testing.T) {
	tests := []struct {
		name string
		opt  Option
		want string
	}{
		{"empty key", WithAPIKey(""), "API key is empty"},
		{"key with newline", WithAPIKey("abc\n"), "at byte 3"},
		{"key with space", WithAPIKey("a b"), "at byte 1"},
		{"base URL without scheme", WithBaseURL("127.0.0.1:8080"), `"127.0.0.1:8080": first path segment`},
		{"base URL of host only", WithBaseURL("example.com"), "must start with http:// or https://"},
		{"unparsable base URL with password", WithBaseURL("http://u:hunter2@exa mple.com"), `"http://xxxxx@exa mple.com"`},
		{"base URL ftp", WithBaseURL("ftp://example.com"), `"ftp://example.com" must start with http://`},
		{"base URL without host", WithBaseURL("http://"), "has no host"},
		{"base URL with credentials", WithBaseURL("https://user:hunter2@example.com"), "contains credentials"},
		{"base URL with query", WithBaseURL("https://example.com/?a=b"), "query or fragment"},
		{"nil HTTP client", WithHTTPClient(nil), "client is nil"},
		{"negative timeout", WithTimeout(-time.Second), "timeout -1s is negative"},
		{"negative retries", WithMaxRetries(-1), "-1 retries is out of range"},
		{"too many retries", WithMaxRetries(11), "11 retries is out of range; use 0 to 10"},
		{"zero response limit", WithMaxResponseBytes(0), "limit 0 must be positive"},
		{"unknown validation", WithValidation(ValidationMode(7)), "unknown mode 7"},
		{"nil logger", WithLogger(nil), "logger is nil"},
		{"nil middleware", WithMiddleware(nil), "middleware is nil"},
		{"empty user agent", WithUserAgent(" "), "product is empty"},
		{"user agent with newline", WithUserAgent("a\nb"), `"a\nb"`},
		{"nil option", nil, "option 0 is nil"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.opt)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("New = %v, want an error containing %q", err, tt.want)
			}
			if err != nil && strings.Contains(err.Error(), "hunter2") {
				t.Errorf("error %q shows the password of the URL", err)
			}
		})
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
	t.Setenv(EnvBaseURL, "ftp://example.com")
	if _, err := New(); err == nil || !strings.Contains(err.Error(), EnvBaseURL) {
		t.Errorf("New = %v, want an error naming %s", err, EnvBaseURL)
	}
	t.Setenv(EnvBaseURL, "http://127.0.0.1:1")
	t.Setenv(EnvAPIKey, "key\n")
	if _, err := New(); err == nil || !strings.Contains(err.Error(), EnvAPIKey) {
		t.Errorf("New = %v, want an error naming %s", err, EnvAPIKey)
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
