package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tcikit/tci/wrapper"
)

const offSpecExecute = `{"data":{"session_id":"ses_x","status":"ok",` +
	`"outputs":[{"type":"stdout","data":"hi\n"}]},"errors":null}`

func TestExecErrorExitStatus(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		handler http.HandlerFunc
		args    []string
		code    int
		want    []string
	}{
		{"500", respond(500, "application/json", `{"message":"boom"}`), nil, exitRequest,
			[]string{"tci: POST http://", "/v1/tci/execute: 500 Internal Server Error"}},
		{"404 removed endpoint", respond(404, "text/plain", "404 page not found"), nil, exitRequest,
			[]string{"404 Not Found", "removed in 2026-09", "set TOGETHER_BASE_URL"}},
		{"404 failure shape without session", respond(404, "application/json",
			`{"data":null,"errors":[{"code":"not_found","message":"no such path"}]}`), nil, exitRequest,
			[]string{"/v1/tci/execute: 404 Not Found: no such path\n"}},
		{"404 failure shape with session", respond(404, "application/json",
			`{"data":null,"errors":[{"code":"session_not_found","message":"session gone"}]}`),
			[]string{"--session", "ses_a"}, exitFailed, []string{"tci: execution failed: session gone\n"}},
		{"404 detail with session", respond(404, "application/json", `{"detail":"Not Found"}`),
			[]string{"--session", "ses_a"}, exitRequest, []string{"404 Not Found", "removed in 2026-09"}},
		{"404 not_found with session", respond(404, "application/json",
			`{"data":null,"errors":[{"code":"not_found","message":"no API operation at POST /v1/tci/sessions"}]}`),
			[]string{"--session", "ses_a"}, exitRequest, []string{"404 Not Found: no API operation"}},
		{"404 other code naming the session", respond(404, "application/json",
			`{"data":null,"errors":[{"code":"tenant_not_found","message":"no tenant for ses_a"}]}`),
			[]string{"--session", "ses_a"}, exitRequest, []string{"404 Not Found: no tenant for ses_a"}},
		{"404 without codes naming the session", respond(404, "application/json",
			`{"data":null,"errors":["session ses_a expired"]}`),
			[]string{"--session", "ses_a"}, exitFailed, []string{"tci: execution failed: session ses_a expired\n"}},
		{"404 without codes or session", respond(404, "application/json",
			`{"data":null,"errors":["no route"]}`),
			[]string{"--session", "ses_a"}, exitRequest, []string{"404 Not Found: no route"}},
		{"503 failure shape with session", respond(503, "application/json",
			`{"data":null,"errors":[{"code":"too_many_sessions","message":"too many sessions"}]}`),
			[]string{"--session", "ses_a", "--max-retries", "0"}, exitRequest,
			[]string{"503 Service Unavailable: too many sessions"}},
		{"401", respond(401, "application/json", `{"data":null,"errors":["missing token"]}`), nil, exitRequest,
			[]string{"401 Unauthorized"}},
		{"spec-breaking 200", respond(200, "application/json", offSpecExecute), nil, exitInvalidResponse,
			[]string{`/data/status: "ok" is not one of "success"`, `"--validation report" accepts`}},
		{"empty 200", respond(200, "application/json", ""), nil, exitInvalidResponse,
			[]string{"invalid response", "empty body"}},
		{"HTML 200", respond(200, "text/html", "<html><title>Sign in</title></html>"), nil,
			exitInvalidResponse, []string{"invalid response"}},
		{"truncated 200", respond(200, "application/json", `{"data":{"session_id":`), nil,
			exitInvalidResponse, []string{"invalid response"}},
		{"failure 200", respond(200, "application/json", `{"data":null,"errors":["quota exceeded"]}`), nil,
			exitFailed, []string{"tci: execution failed: quota exceeded"}},
		{"off-spec accepted in report mode", respond(200, "application/json", offSpecExecute),
			[]string{"--validation", "report"}, exitOK, []string{"level=WARN", "violates the spec"}},
		{"HTML rejected in report mode", respond(200, "text/html", "<p>hi</p>"),
			[]string{"--validation", "report"}, exitInvalidResponse, []string{"is not JSON"}},
		{"401 without a key", respond(401, "application/json", `{"data":null,"errors":["missing token"]}`),
			nil, exitRequest, []string{"no API key was sent; set TOGETHER_API_KEY or pass --api-key"}},
		{"over --max-response-bytes", respond(200, "application/json", offSpecExecute),
			[]string{"--max-response-bytes", "64"}, exitInvalidResponse,
			[]string{"exceeds the client's limit of 64 bytes; raise the limit with --max-response-bytes"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			url := fakeServer(t, tt.handler)
			args := append([]string{"--base-url", url, "exec", "print('hi')"}, tt.args...)
			o := tci(t, args...)
			o.expectCode(t, tt.code)
			for _, want := range tt.want {
				if !strings.Contains(o.stderr, want) {
					t.Errorf("stderr lacks %q:\n%s", want, o.stderr)
				}
			}
			if goOption.MatchString(o.stderr) {
				t.Errorf("stderr names a Go option, which no flag sets:\n%s", o.stderr)
			}
		})
	}
}

// goOption matches the name of an option of the Go packages, such as WithTimeout.
var goOption = regexp.MustCompile(`\bWith[A-Z]\w+`)

func TestValidationReportHintOnlyWhereItHelps(t *testing.T) {
	t.Parallel()
	const hint = `"--validation report"`
	tests := []struct {
		name        string
		contentType string
		body        string
		hint        bool
	}{
		{"schema violation that decodes", "application/json", offSpecExecute, true},
		{"failure with a schema violation", "application/json", `{"data":null,"errors":[5]}`, true},
		{"HTML page", "text/html", "<html><title>Sign in</title></html>", false},
		{"JSON as text/plain", "text/plain", `{"data":{"session_id":"s","outputs":[]},"errors":null}`, false},
		{"empty body", "application/json", "", false},
		{"truncated body", "application/json", `{"data":{"session_id":`, false},
		{"schema violation that does not decode", "application/json",
			`{"data":{"session_id":"s","outputs":[{"type":"stdout","data":5}]},"errors":null}`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			url := fakeServer(t, respond(200, tt.contentType, tt.body))
			o := tci(t, "--base-url", url, "exec", "1")
			o.expectCode(t, exitInvalidResponse)
			if got := strings.Contains(o.stderr, hint); got != tt.hint {
				t.Errorf("hint shown %v, want %v:\n%s", got, tt.hint, o.stderr)
			}
			if !tt.hint {
				return
			}
			report := tci(t, "--base-url", url, "--validation", "report", "exec", "1")
			if report.code == exitInvalidResponse {
				t.Errorf("--validation report still rejects the response, so the hint misleads:\n%s",
					report.stderr)
			}
		})
	}
}

func TestExecValidationOffPrintsOutputs(t *testing.T) {
	t.Parallel()
	url := fakeServer(t, respond(200, "application/json", offSpecExecute))
	o := tci(t, "--base-url", url, "--validation", "off", "exec", "print('hi')")
	o.expectCode(t, exitOK)
	if o.stdout != "hi\n" {
		t.Errorf("stdout = %q, want %q", o.stdout, "hi\n")
	}
	if strings.Contains(o.stderr, "WARN") {
		t.Errorf("--validation off warned:\n%s", o.stderr)
	}
}

func TestExecConnectionRefusedExitsThree(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL + "/v1"
	srv.Close()
	o := tci(t, "--base-url", url, "--max-retries", "0", "exec", "1")
	o.expectCode(t, exitRequest)
	if !strings.Contains(o.stderr, "connection refused") {
		t.Errorf("stderr lacks the transport error:\n%s", o.stderr)
	}
}

func TestExecTimeoutExitsThree(t *testing.T) {
	t.Parallel()
	url := fakeServer(t, func(w http.ResponseWriter, r *http.Request) {
		// net/http notices a closed connection only once the request body has been read.
		io.Copy(io.Discard, r.Body)
		select {
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
	})
	started := time.Now()
	o := tci(t, "--base-url", url, "--timeout", "200ms", "exec", "1")
	o.expectCode(t, exitRequest)
	if !strings.Contains(o.stderr, "each attempt times out after 200ms; raise it with --timeout") {
		t.Errorf("stderr lacks the timeout hint with the flag:\n%s", o.stderr)
	}
	if elapsed := time.Since(started); elapsed > 5*time.Second {
		t.Errorf("exec took %v with a 200ms timeout; an execute must not be retried after a timeout", elapsed)
	}
}

func TestSessionsErrorExitStatus(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		handler http.HandlerFunc
		code    int
		want    string
	}{
		{"500", respond(500, "text/plain", "down"), exitRequest, "GET http://"},
		{"404", respond(404, "text/plain", "nope"), exitRequest, "removed in 2026-09"},
		{"spec-breaking 200", respond(200, "application/json", `{"data":{"sessions":[{"id":1}]}}`),
			exitInvalidResponse, "/data/sessions/0"},
		{"failure 200", respond(200, "application/json", `{"data":null,"errors":["listing disabled"]}`),
			exitFailed, "listing disabled"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			url := fakeServer(t, tt.handler)
			o := tci(t, "--base-url", url, "--max-retries", "0", "sessions")
			o.expectCode(t, tt.code)
			if !strings.Contains(o.stderr, tt.want) {
				t.Errorf("stderr lacks %q:\n%s", tt.want, o.stderr)
			}
		})
	}
}

// canary is an API key that no output of the CLI may contain.
const canary = "tci-canary-key-0123456789abcdef"

// echoKey responds according to mode, putting the bearer token it received everywhere a server
// could put it: a header, the body of an error, an output, an error item and a session id.
func echoKey(mode string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		key := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		w.Header().Set("X-Echo", key)
		w.Header().Set("Content-Type", "application/json")
		switch mode {
		case "500":
			w.WriteHeader(500)
			fmt.Fprintf(w, `{"message":"bad key %s"}`, key)
		case "404":
			w.WriteHeader(404)
			fmt.Fprintf(w, `{"data":null,"errors":[{"code":"session_not_found","message":"%s"}]}`, key)
		case "outputs":
			fmt.Fprintf(w, `{"data":{"session_id":"ses_%[1]s","status":"success","outputs":[`+
				`{"type":"stdout","data":"%[1]s\n"},{"type":"stderr","data":"%[1]s\n"},`+
				`{"type":"error","data":"Error: %[1]s"},`+
				`{"type":"execute_result","data":{"text/plain":"'%[1]s'"}}]},"errors":null}`, key)
		case "invalid":
			fmt.Fprintf(w, `{"data":{"session_id":"s","status":"%s","outputs":[]},"errors":null}`, key)
		case "failed":
			fmt.Fprintf(w, `{"data":null,"errors":["%s"]}`, key)
		case "escaped":
			// Every character of the key as a \u escape, which a JSON decoder reads as the key.
			var escaped strings.Builder
			for _, r := range key {
				fmt.Fprintf(&escaped, `\u%04x`, r)
			}
			fmt.Fprintf(w, `{"data":{"session_id":"ses_a","status":"success","outputs":[`+
				`{"type":"stdout","data":"%s\n"}]},"errors":null}`, escaped.String())
		case "split":
			half := len(key) / 2
			fmt.Fprintf(w, `{"data":{"session_id":"ses_a","status":"success","outputs":[`+
				`{"type":"stdout","data":"%s"},{"type":"stdout","data":"%s\n"},`+
				`{"type":"stderr","data":"%s"},{"type":"error","data":"%s"}]},"errors":null}`,
				key[:half], key[half:], key[:half], key[half:])
		case "sessions":
			fmt.Fprintf(w, `{"data":{"sessions":[{"id":"%s","execute_count":1,`+
				`"started_at":"2026-01-01T00:00:00Z","last_execute_at":"2026-01-01T00:00:00Z",`+
				`"expires_at":"2026-01-01T01:00:00Z"}]}}`, key)
		}
	}
}

func TestAPIKeyNeverPrinted(t *testing.T) {
	t.Parallel()
	tests := []struct {
		mode string
		args []string
	}{
		{"500", []string{"exec", "1"}},
		{"404", []string{"exec", "--session", "ses_a", "1"}},
		{"404", []string{"exec", "--json", "--session", "ses_a", "1"}},
		{"outputs", []string{"exec", "1"}},
		{"outputs", []string{"exec", "--json", "1"}},
		{"escaped", []string{"exec", "--json", "1"}},
		{"split", []string{"exec", "1"}},
		{"invalid", []string{"exec", "1"}},
		{"invalid", []string{"--validation", "report", "exec", "1"}},
		{"failed", []string{"exec", "1"}},
		{"failed", []string{"exec", "--json", "1"}},
		{"sessions", []string{"sessions"}},
		{"sessions", []string{"sessions", "--json"}},
		{"500", []string{"sessions", "--max-retries", "0"}},
		{"500", []string{"check"}},
		{"outputs", []string{"check", "--json"}},
		{"500", []string{"--api-key", canary, "exec", "-h"}},
	}
	for _, tt := range tests {
		name := tt.mode + " " + strings.Join(tt.args, " ")
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			url := fakeServer(t, echoKey(tt.mode))
			fromEnv := tciEnv(t, map[string]string{"TOGETHER_BASE_URL": url, "TOGETHER_API_KEY": canary},
				tt.args...)
			fromFlag := tci(t, append([]string{"--base-url", url, "--api-key", canary}, tt.args...)...)
			for source, o := range map[string]outcome{"env": fromEnv, "flag": fromFlag} {
				if strings.Contains(o.stdout, canary) || strings.Contains(o.stderr, canary) {
					t.Errorf("key from %s printed (exit %d)\nstdout:\n%s\nstderr:\n%s",
						source, o.code, o.stdout, o.stderr)
				}
				if jsonContains(o.stdout, canary) {
					t.Errorf("key from %s printed in JSON escapes (exit %d)\nstdout:\n%s",
						source, o.code, o.stdout)
				}
				if o.stdout == "" && o.stderr == "" {
					t.Errorf("key from %s: no output at all, so the check proves nothing", source)
				}
			}
		})
	}
}

// jsonContains reports whether text is JSON with s in one of its strings once decoded, which
// escapes such as \u0074 can hide from a search of the raw text.
func jsonContains(text, s string) bool {
	var value any
	if json.Unmarshal([]byte(text), &value) != nil {
		return false
	}
	var decoded strings.Builder
	var walk func(any)
	walk = func(v any) {
		switch v := v.(type) {
		case string:
			decoded.WriteString(v + "\n")
		case []any:
			for _, item := range v {
				walk(item)
			}
		case map[string]any:
			for name, item := range v {
				decoded.WriteString(name + "\n")
				walk(item)
			}
		}
	}
	walk(value)
	return strings.Contains(decoded.String(), s)
}

func TestShortKeyNotRedactedFromOutput(t *testing.T) {
	t.Parallel()
	url := fakeServer(t, respond(200, "application/json", `{"data":{"session_id":"ses_data",`+
		`"status":"success","outputs":[{"type":"stdout","data":"metadata and data\n"}]},"errors":null}`))
	o := tci(t, "--base-url", url, "--api-key", "data", "exec", "print('metadata and data')")
	o.expectCode(t, exitOK)
	if o.stdout != "metadata and data\n" {
		t.Errorf("stdout = %q, want the output unchanged with a 4-byte key", o.stdout)
	}
	if !strings.Contains(o.stderr, "tci: session ses_data\n") {
		t.Errorf("stderr lacks the session id unchanged:\n%s", o.stderr)
	}
	warning := "tci: warning: the API key from --api-key is shorter than 16 bytes"
	if n := strings.Count(o.stderr, warning); n != 1 {
		t.Errorf("stderr has the short key warning %d times, want once:\n%s", n, o.stderr)
	}

	asJSON := tci(t, "--base-url", url, "--api-key", "data", "exec", "--json", "1")
	asJSON.expectCode(t, exitOK)
	var body struct {
		Data struct {
			SessionID string `json:"session_id"`
		} `json:"data"`
	}
	if err := json.Unmarshal([]byte(asJSON.stdout), &body); err != nil || body.Data.SessionID != "ses_data" {
		t.Errorf("--json body = %q (%v), want the keys and values unchanged", asJSON.stdout, err)
	}
}

func TestMidLengthKeyRedactedWithWarning(t *testing.T) {
	t.Parallel()
	const key = "key-12345"
	url := fakeServer(t, echoKey("outputs"))
	o := tci(t, "--base-url", url, "--api-key", key, "exec", "1")
	o.expectCode(t, exitFailed) // the echo includes an error output
	if strings.Contains(o.stdout, key) || strings.Contains(o.stderr, key) {
		t.Errorf("a 9-byte key was printed:\nstdout:\n%s\nstderr:\n%s", o.stdout, o.stderr)
	}
	if !strings.Contains(o.stderr, "shorter than 16 bytes, so it is easy to guess\n") {
		t.Errorf("stderr lacks the warning without the note on redaction:\n%s", o.stderr)
	}
}

func TestLongKeyHasNoWarning(t *testing.T) {
	t.Parallel()
	url := fakeServer(t, echoKey("outputs"))
	o := tciEnv(t, map[string]string{"TOGETHER_BASE_URL": url, "TOGETHER_API_KEY": canary}, "exec", "1")
	o.expectCode(t, exitFailed) // the echo includes an error output
	if strings.Contains(o.stderr, "warning") {
		t.Errorf("stderr warns about a %d-byte key:\n%s", len(canary), o.stderr)
	}
}

func TestServerTextEscapedInMessages(t *testing.T) {
	t.Parallel()
	url := fakeServer(t, respond(200, "application/json", `{"data":{"session_id":"ses_\u001b[2J",`+
		`"status":"success","outputs":[]},"errors":null}`))
	o := tci(t, "--base-url", url, "exec", "1")
	o.expectCode(t, exitOK)
	if o.stderr != "tci: session ses_\\x1b[2J\n" {
		t.Errorf("stderr = %q, want the session line with the escape written out", o.stderr)
	}

	failing := fakeServer(t, respond(500, "application/json", `{"data":null,"errors":["boom\u001b[31m"]}`))
	o = tci(t, "--base-url", failing, "--max-retries", "0", "exec", "1")
	o.expectCode(t, exitRequest)
	if strings.Contains(o.stderr, "\x1b") || !strings.Contains(o.stderr, `boom\x1b[31m`) {
		t.Errorf("stderr = %q, want the server's message with the escape written out", o.stderr)
	}
}

func TestInsecureHTTPErrorNamesFlag(t *testing.T) {
	c := newTestCLI(t, nil)
	code, message := c.describe(fmt.Errorf("POST http://192.0.2.1/v1/tci/execute: %w", wrapper.ErrInsecureHTTP))
	if code != exitUsage {
		t.Errorf("exit status %d, want %d", code, exitUsage)
	}
	if !strings.Contains(message, "--insecure-http") || goOption.MatchString(message) {
		t.Errorf("message = %q, want the flag and no Go option", message)
	}
}
