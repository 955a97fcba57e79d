package validate

import (
	"errors"
	"slices"
	"testing"
)

func TestViolationsNameValueAndReason(t *testing.T) {
	v := mustEmbedded(t)
	for _, tc := range []struct {
		name string
		op   Operation
		body string
		want []Violation
	}{
		{"unknown output type", ExecuteCode, success(`{"type":"foo","data":"x"}`), []Violation{
			{"/data/outputs/0/type", `"foo" is not one of "stdout", "stderr", "error", "display_data", "execute_result"`},
		}},
		{"output branch by type", ExecuteCode, success(`{"type":"display_data","data":{"image/png":"a-_b","text/plain":1}}`), []Violation{
			{"/data/outputs/0/data/image~1png", `invalid base64 "a-_b"`},
			{"/data/outputs/0/data/text~1plain", "expected string, got number"},
		}},
		{"output missing type", ExecuteCode, success(`{"data":"x"}`), []Violation{
			{"/data/outputs/0", `missing required property "type"`},
		}},
		{"output type not string", ExecuteCode, success(`{"type":5,"data":"x"}`), []Violation{
			{"/data/outputs/0/type", "expected string, got number"},
		}},
		{"output matches two branches", ExecuteCode, success(`null`), []Violation{
			{"/data/outputs/0", "matches both ErrorOutput and DisplayorExecuteOutput but oneOf allows exactly one"},
		}},
		{"failed execution item", ExecuteCode, `{"data":null,"errors":["x",3]}`, []Violation{
			{"/errors/1", "expected object or string, got number"},
		}},
		{"session fields", ListSessions, sessions(`{"id":1,"execute_count":1.5,"started_at":"2024-13-01T00:00:00Z","last_execute_at":"2024-01-01T00:00:00Z"}`), []Violation{
			{"/data/sessions/0/id", "expected string, got number"},
			{"/data/sessions/0/execute_count", "expected integer without fraction or exponent, got 1.5"},
			{"/data/sessions/0/started_at", `invalid date-time "2024-13-01T00:00:00Z"`},
			{"/data/sessions/0", `missing required property "expires_at"`},
		}},
		{"escaped member name", ListSessions, "{\"data\":{\"sessions\":[]},\"a/b~c\":\"\xff\"}", []Violation{
			{"/a~1b~0c", "invalid UTF-8 in string"},
		}},
		{"duplicate member", ListSessions, `{"data":{"sessions":[]},"errors":[],"errors":[]}`, []Violation{
			{"", `duplicate property "errors"`},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := v.Response(tc.op, 200, jsonHeader, []byte(tc.body))
			var verr *Error
			if !errors.As(err, &verr) {
				t.Fatalf("error is %v, want *Error", err)
			}
			if !slices.Equal(verr.Violations, tc.want) {
				t.Errorf("violations\n%q\nwant\n%q", verr.Violations, tc.want)
			}
		})
	}
}

func TestErrorMessage(t *testing.T) {
	err := &Error{Operation: ListSessions, Direction: Response, Status: 200, Violations: []Violation{
		{"/data", "expected object or null, got string"},
		{"", `missing required property "x"`},
	}}
	want := `GET /tci/sessions response (status 200) violates the spec: /data: expected object or null, got string; /: missing required property "x"`
	if got := err.Error(); got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}
