package wrapper

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

// Response bodies used by several tests.
const (
	okExecuteBody = `{"data":{"session_id":"ses_1","status":"success","outputs":[` +
		`{"type":"stdout","data":"hello\n"}]},"errors":null}`
	failedExecuteBody = `{"data":null,"errors":["session ses_x has expired",{"message":"try again"}]}`
	okSessionsBody    = `{"data":{"sessions":[{"id":"ses_1","execute_count":2,` +
		`"started_at":"2026-01-02T03:04:05Z","last_execute_at":"2026-01-02T03:05:00.5+01:00",` +
		`"expires_at":"2026-01-02T04:04:05Z"}]}}`
)

// pngBytes is a short binary payload standing in for an image; it is not valid UTF-8.
var pngBytes = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe")

// executeBody returns a successful execute response with the given outputs.
func executeBody(t testing.TB, outputs ...map[string]any) string {
	t.Helper()
	if outputs == nil {
		outputs = []map[string]any{}
	}
	body, err := json.Marshal(map[string]any{
		"data":   map[string]any{"session_id": "ses_1", "status": "success", "outputs": outputs},
		"errors": nil,
	})
	if err != nil {
		t.Fatal(err)
	}
	return string(body)
}

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

// asInvalid returns err as an *InvalidResponseError or fails the test.
func asInvalid(t *testing.T, err error) *InvalidResponseError {
	t.Helper()
	var invalidErr *InvalidResponseError
	if !errors.As(err, &invalidErr) {
		t.Fatalf("error = %v (%T), want *InvalidResponseError", err, err)
	}
	return invalidErr
}

// asAPIError returns err as an *APIError or fails the test.
func asAPIError(t *testing.T, err error) *APIError {
	t.Helper()
	var apiErr *APIError
	if !errors.As(err, &apiErr) {
		t.Fatalf("error = %v (%T), want *APIError", err, err)
	}
	return apiErr
}

// hasViolation reports whether e lists a violation at pointer whose reason contains text.
func hasViolation(e *InvalidResponseError, pointer, text string) bool {
	for _, v := range e.Violations {
		if v.Pointer == pointer && strings.Contains(v.Reason, text) {
			return true
		}
	}
	return false
}
