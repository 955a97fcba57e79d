package wrapper

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/tcikit/tci/validate"
)

var jsonHeader = http.Header{"Content-Type": {"application/json"}}

func FuzzDecodeExecuteResponse(f *testing.F) {
	f.Add([]byte(okExecuteBody))
	f.Add([]byte(failedExecuteBody))
	f.Add([]byte(executeBody(f,
		map[string]any{"type": "stderr", "data": "w"},
		map[string]any{"type": "error", "data": "Traceback\nValueError: x"},
		map[string]any{"type": "display_data", "data": map[string]any{
			"image/png": b64(pngBytes), "application/json": map[string]any{"k": []any{1, "2"}}, "text/html": "<b>",
		}},
		map[string]any{"type": "execute_result", "data": map[string]any{"text/plain": "3"}})))
	for _, tc := range executeHostileCases {
		f.Add([]byte(tc.body))
	}
	validator := embeddedValidator(f)

	f.Fuzz(func(t *testing.T, body []byte) {
		result, err := DecodeExecuteResponse(body)
		checkDecodeOutcome(t, result != nil, err)
		if result != nil {
			_, _, _, _ = result.Stdout(), result.Stderr(), result.ExecuteResult(), result.DisplayData()
			if codeErr := result.Err(); codeErr != nil {
				_ = codeErr.Error()
			}
			if _, err := json.Marshal(result); err != nil {
				t.Errorf("marshal result: %v", err)
			}
		}
		var invalidErr *InvalidResponseError
		if errors.As(err, &invalidErr) && validator.Response(validate.ExecuteCode, 200, jsonHeader, body) == nil {
			t.Errorf("the validator accepts the body but decoding fails: %v\nbody: %q", err, body)
		}
	})
}

func FuzzDecodeSessionList(f *testing.F) {
	f.Add([]byte(okSessionsBody))
	f.Add([]byte(`{"data":{"sessions":[]}}`))
	f.Add([]byte(`{"errors":["x",{"message":"y"}]}`))
	for _, cases := range [][]hostileCase{sessionHostileCases, lenientTimestampCases} {
		for _, tc := range cases {
			f.Add([]byte(tc.body))
		}
	}
	validator := embeddedValidator(f)

	f.Fuzz(func(t *testing.T, body []byte) {
		sessions, err := DecodeSessionList(body)
		checkDecodeOutcome(t, sessions != nil, err)
		if _, err := json.Marshal(sessions); err != nil {
			t.Errorf("marshal sessions: %v", err)
		}
		var invalidErr *InvalidResponseError
		if errors.As(err, &invalidErr) && !missingData(invalidErr) &&
			validator.Response(validate.ListSessions, 200, jsonHeader, body) == nil {
			t.Errorf("the validator accepts the body but decoding fails: %v\nbody: %q", err, body)
		}
	})
}

// missingData reports a session list without data or sessions. The spec requires neither
// "data" nor, when data is null, "sessions", but no list can be read from such a body.
func missingData(e *InvalidResponseError) bool {
	v := e.Violations[0]
	return (v.Pointer == "" || v.Pointer == "/data") && strings.Contains(v.Reason, "is missing or null")
}

// checkDecodeOutcome checks the contract of both decoders: a result or an error, never both,
// and an error of a documented type with pointers that are JSON pointers.
func checkDecodeOutcome(t *testing.T, decoded bool, err error) {
	t.Helper()
	if decoded == (err != nil) {
		t.Fatalf("decoded %v with error %v, want exactly one", decoded, err)
	}
	if err == nil {
		return
	}
	_ = err.Error()
	var failed *FailedError
	var invalidErr *InvalidResponseError
	switch {
	case errors.As(err, &failed):
		_ = failed.Messages()
	case errors.As(err, &invalidErr):
		if len(invalidErr.Violations) == 0 {
			t.Fatalf("InvalidResponseError without violations: %v", err)
		}
		for _, v := range invalidErr.Violations {
			if v.Pointer != "" && !strings.HasPrefix(v.Pointer, "/") {
				t.Errorf("pointer %q is not a JSON pointer", v.Pointer)
			}
		}
	default:
		t.Fatalf("error %v is a %T, want *FailedError or *InvalidResponseError", err, err)
	}
}

func embeddedValidator(tb testing.TB) *validate.Validator {
	tb.Helper()
	validator, err := validate.Embedded()
	if err != nil {
		tb.Fatal(err)
	}
	return validator
}
