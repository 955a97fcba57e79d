package wrapper

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/tcikit/tci/generated"
	"github.com/tcikit/tci/validate"
)

func TestPointerAt(t *testing.T) {
	tests := []struct {
		body string
		want string
	}{
		{`{"data":{"outputs":[{"type":"a"},{"type":5}]}}`, "/data/outputs/1/type"},
		{`{"data":{"n":"x"}}`, "/data/n"},
		{`{"data":[1]}`, "/data"},
		{`{"errors":"x"}`, "/errors"},
		{`[1]`, ""},
		{`{"a":{},"b":[],"c":[{},{"d":true}]}`, "/c/1/d"},
		{`{"a":{},"b":[],"c":[[],{"d":true}]}`, "/c/0"},
		{`{"a/b":{"c~d":1}}`, "/a~1b/c~0d"},
		{`{"data":{"sessions":[{"id":"a"},{"id":"b","execute_count":"2"}]}}`, "/data/sessions/1/execute_count"},
	}
	type target struct {
		Data *struct {
			Outputs  []struct{ Type string } `json:"outputs"`
			N        int                     `json:"n"`
			Sessions []struct {
				ExecuteCount int `json:"execute_count"`
			} `json:"sessions"`
		} `json:"data"`
		Errors []string `json:"errors"`
		C      []struct {
			D string `json:"d"`
		} `json:"c"`
		AB struct {
			CD string `json:"c~d"`
		} `json:"a/b"`
	}
	for _, tt := range tests {
		var v target
		err := json.Unmarshal([]byte(tt.body), &v)
		var typeErr *json.UnmarshalTypeError
		if !errors.As(err, &typeErr) {
			t.Errorf("%s: decoding gave %v, want a type error", tt.body, err)
			continue
		}
		if got := pointerAt([]byte(tt.body), typeErr.Offset); got != tt.want {
			t.Errorf("pointerAt(%s, %d) = %q, want %q", tt.body, typeErr.Offset, got, tt.want)
		}
	}
}

func TestParseTimestamp(t *testing.T) {
	utc := func(y int, mo time.Month, d, h, mi, s, ns int) time.Time {
		return time.Date(y, mo, d, h, mi, s, ns, time.UTC)
	}
	valid := []struct {
		in   string
		want time.Time
	}{
		{"2026-01-02T03:04:05Z", utc(2026, 1, 2, 3, 4, 5, 0)},
		{"2026-01-02t03:04:05z", utc(2026, 1, 2, 3, 4, 5, 0)},
		{"2026-01-02T03:04:05.5Z", utc(2026, 1, 2, 3, 4, 5, 5e8)},
		{"2026-01-02T03:04:05.123456789123Z", utc(2026, 1, 2, 3, 4, 5, 123456789)},
		{"2026-01-02T03:04:05+01:30", utc(2026, 1, 2, 1, 34, 5, 0)},
		{"2026-01-02T03:04:05-00:00", utc(2026, 1, 2, 3, 4, 5, 0)},
		{"2026-01-02T23:04:05-23:59", utc(2026, 1, 3, 23, 3, 5, 0)},
		{"2016-12-31T23:59:60Z", utc(2017, 1, 1, 0, 0, 0, 0)},
		{"2024-02-29T00:00:00Z", utc(2024, 2, 29, 0, 0, 0, 0)},
		{"0000-01-01T00:00:00Z", utc(0, 1, 1, 0, 0, 0, 0)},
	}
	for _, tt := range valid {
		got, err := parseTimestamp(tt.in)
		if err != nil || !got.Equal(tt.want) {
			t.Errorf("parseTimestamp(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
	if got, _ := parseTimestamp("2026-01-02T03:04:05+01:30"); got.Format(time.RFC3339) != "2026-01-02T03:04:05+01:30" {
		t.Errorf("offset lost: %v", got)
	}
	invalid := []string{
		"", "yesterday", "2026-01-02", "2026-01-02 03:04:05Z", "2026-01-02T03:04:05",
		"2026-01-02T03:04:05.Z", "2026-13-02T03:04:05Z", "2026-02-30T03:04:05Z", "2023-02-29T00:00:00Z",
		"2026-01-02T24:00:00Z", "2026-01-02T03:60:00Z", "2026-01-02T03:04:61Z", "2026-01-02T03:04:05+24:00",
		"2026-01-02T03:04:05+01:60", "2026-01-02T03:04:05+0100", "2026-01-02T03:04:05ZZ", "+2026-01-02T03:04:05Z",
		"2026-01-02T03:04:05.1.2Z", "２０２６-01-02T03:04:05Z", "2026-01-02T03:04:05 Z",
	}
	for _, in := range invalid {
		if got, err := parseTimestamp(in); err == nil {
			t.Errorf("parseTimestamp(%q) = %v, want an error", in, got)
		} else if !strings.Contains(err.Error(), "is not an RFC 3339 date-time") {
			t.Errorf("parseTimestamp(%q) error = %q", in, err)
		}
	}
	_, err := parseTimestamp(strings.Repeat("9", 1000))
	if err == nil || len(err.Error()) > 200 {
		t.Errorf("error for a long value = %q, want it cut short", err)
	}
}

func TestUnquoteMatchesDecoder(t *testing.T) {
	for _, literal := range []string{
		`""`, `"a"`, `"héllo ✓"`, `"a\nb"`, `"\"quoted\""`, `"\/"`, `"\u00e9\ud83d\ude00"`,
		`"R0lGODlh"`, `"\\"`, `"tab\there"`,
	} {
		var want, got string
		if err := json.Unmarshal([]byte(literal), &want); err != nil {
			t.Fatalf("%s: %v", literal, err)
		}
		if err := unquote([]byte(literal), &got); err != nil || got != want {
			t.Errorf("unquote(%s) = %q, %v; want %q", literal, got, err, want)
		}
		payload, err := stringBytes([]byte(literal))
		if err != nil || string(payload) != want {
			t.Errorf("stringBytes(%s) = %q, %v; want %q", literal, payload, err, want)
		}
	}
}

func TestDecodeExecuteResponse(t *testing.T) {
	result, err := DecodeExecuteResponse([]byte(okExecuteBody))
	if err != nil || result.SessionID != "ses_1" || result.Stdout() != "hello\n" {
		t.Fatalf("DecodeExecuteResponse = %+v, %v", result, err)
	}
	empty, err := DecodeExecuteResponse([]byte(`{"data":{"session_id":"s","outputs":[]},"errors":null}`))
	if err != nil || empty.Outputs == nil || empty.Err() != nil || empty.Stdout() != "" || empty.ExecuteResult() != "" {
		t.Errorf("empty outputs = %+v, %v", empty, err)
	}

	_, err = DecodeExecuteResponse([]byte(`{"data":null,"errors":[]}`))
	var failed *FailedError
	if !errors.As(err, &failed) || err.Error() != "execution failed without error details" {
		t.Errorf("empty errors = %v, want a *FailedError without details", err)
	}
	_, err = DecodeExecuteResponse([]byte(`{"errors":["gone"]}`))
	if !errors.As(err, &failed) {
		t.Errorf("errors without data = %v, want a *FailedError", err)
	}
	_, err = DecodeExecuteResponse([]byte(`{"data":{"session_id":"s","outputs":[]},"errors":[]}`))
	invalidErr := asInvalid(t, err)
	if invalidErr.Method != "" || invalidErr.Body != nil {
		t.Errorf("a decoder error has request fields: %+v", invalidErr)
	}
	if err.Error() != "invalid response: /: data and errors are both set; a response carries exactly one" {
		t.Errorf("Error() = %q", err)
	}
}

func TestDecodeExecuteOutputs(t *testing.T) {
	body := `{"data":{"session_id":"s","outputs":[` +
		`{"type":"display_data","data":{"image/png":"` + b64(pngBytes) + `"}},` +
		`{"type":"display_data","data":{"image/gif":"R0lG\nODlh"}},` +
		`{"type":"rich","data":{"x/y":{"k":[1,2]},"x/z":"text"}},` +
		`{"type":"execute_result","data":{"text/plain":"1"}},` +
		`{"type":"execute_result","data":{"text/plain":"2"}},` +
		`{"type":"error","data":"first\n"},{"type":"error","data":"ValueError: second"}` +
		`]},"errors":null}`
	result, err := DecodeExecuteResponse([]byte(body))
	if err != nil {
		t.Fatal(err)
	}

	if got := result.Outputs[0].Data["image/png"]; string(got) != string(pngBytes) {
		t.Errorf("image/png = %q, want the bytes", got)
	}
	if got := string(result.Outputs[1].Data["image/gif"]); got != "GIF89a" {
		t.Errorf("base64 with a line break = %q, want GIF89a", got)
	}
	rich := result.Outputs[2]
	if rich.Type != "rich" || string(rich.Data["x/y"]) != `{"k":[1,2]}` || string(rich.Data["x/z"]) != "text" {
		t.Errorf("unknown output = %+v, want its data kept as it is", rich)
	}
	if result.ExecuteResult() != "2" {
		t.Errorf("ExecuteResult = %q, want the last one", result.ExecuteResult())
	}

	var codeErr *CodeError
	if !errors.As(result.Err(), &codeErr) || codeErr.Output != "first\nValueError: second" {
		t.Errorf("Err = %v, want both error outputs", result.Err())
	}
	if got := result.Err().Error(); got != "code raised an error: ValueError: second" {
		t.Errorf("Error() = %q", got)
	}
	if got := len(result.DisplayData()); got != 2 {
		t.Errorf("DisplayData = %d bundles, want 2", got)
	}
}

func TestDecodeRejectsMalformedBase64(t *testing.T) {
	for _, payload := range []string{
		b64(pngBytes)[:len(b64(pngBytes))-1], // cut short, so it decodes without padding
		"R0lGODlhAQ",                         // padding left out
		"R0lGODlhAQ=",                        // half the padding
		"R0lG ODlh",
		"R0lGODlh-_==",
	} {
		body := `{"data":{"session_id":"s","outputs":[{"type":"display_data","data":{"image/gif":"` +
			payload + `"}}]},"errors":null}`
		_, err := DecodeExecuteResponse([]byte(body))
		invalidErr := asInvalid(t, err)
		if !hasViolation(invalidErr, "/data/outputs/0/data/image~1gif", "invalid base64") {
			t.Errorf("%q: violations = %q", payload, invalidErr.Violations)
		}
	}
}

func TestDecodeSessionList(t *testing.T) {
	sessions, err := DecodeSessionList([]byte(`{"data":{"sessions":[]}}`))
	if err != nil || sessions == nil || len(sessions) != 0 {
		t.Errorf("empty list = %#v, %v; want an empty, non-nil slice", sessions, err)
	}
	sessions, err = DecodeSessionList([]byte(`{"data":{"sessions":[]},"errors":[]}`))
	if err != nil || len(sessions) != 0 {
		t.Errorf("empty errors = %v, %v; want the sessions", sessions, err)
	}
	_, err = DecodeSessionList([]byte(`{"data":{"sessions":[]},"errors":[{"code":7}]}`))
	var failed *FailedError
	if !errors.As(err, &failed) || failed.Messages()[0] != `{"code":7}` {
		t.Errorf("errors = %v, want a *FailedError with the object as JSON", err)
	}
}

func TestDecodeSessionListWithoutData(t *testing.T) {
	// The spec makes "data" optional, so each of these bodies is a list without sessions.
	for _, body := range []string{`{}`, `{"data":null}`, `{"errors":[]}`, `{"data":null,"errors":[]}`} {
		sessions, err := DecodeSessionList([]byte(body))
		if err != nil {
			t.Errorf("%s: error = %v, want no sessions", body, err)
		}
		if sessions == nil || len(sessions) != 0 {
			t.Errorf("%s: sessions = %#v, want an empty, non-nil slice", body, sessions)
		}
	}
}

// TestDecodeAcceptsSpecValidBodies pins, for each field that the spec leaves optional, that a
// body which the spec accepts also decodes, so that ValidationOff never rejects what
// ValidationStrict lets through.
func TestDecodeAcceptsSpecValidBodies(t *testing.T) {
	validator, err := validate.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	const session = `{"id":"ses_a","execute_count":1,"started_at":"2026-01-01T00:00:00Z",` +
		`"last_execute_at":"2026-01-01T00:00:00Z","expires_at":"2026-01-01T01:00:00Z"}`
	tests := []struct {
		name      string
		operation validate.Operation
		body      string
	}{
		{"list without data or errors", validate.ListSessions, `{}`},
		{"list with null data", validate.ListSessions, `{"data":null}`},
		{"list with empty errors only", validate.ListSessions, `{"errors":[]}`},
		{"list with null data and empty errors", validate.ListSessions, `{"data":null,"errors":[]}`},
		{"list without errors", validate.ListSessions, `{"data":{"sessions":[` + session + `]}}`},
		{"list with extra members", validate.ListSessions,
			`{"data":{"sessions":[],"next":1},"errors":[],"object":"list"}`},
		{"session with extra members", validate.ListSessions,
			`{"data":{"sessions":[` + strings.Replace(session, "{", `{"language":"python",`, 1) + `]}}`},
		{"list with errors", validate.ListSessions, `{"data":{"sessions":[]},"errors":["busy"]}`},
		{"execute without status", validate.ExecuteCode,
			`{"data":{"session_id":"s","outputs":[]},"errors":null}`},
		{"execute with extra members", validate.ExecuteCode,
			`{"data":{"session_id":"s","outputs":[{"type":"stdout","data":"x","at":1}],"took":2},` +
				`"errors":null,"id":"r"}`},
		{"display data without payloads", validate.ExecuteCode,
			`{"data":{"session_id":"s","outputs":[{"type":"display_data","data":{}}]},"errors":null}`},
		{"display data of an unknown type", validate.ExecuteCode,
			`{"data":{"session_id":"s","outputs":[{"type":"execute_result",` +
				`"data":{"image/webp":5,"text/x":{"a":1}}}]},"errors":null}`},
		{"failure with empty errors", validate.ExecuteCode, `{"data":null,"errors":[]}`},
		{"failure with string and object errors", validate.ExecuteCode,
			`{"data":null,"errors":["gone",{"code":"x"},{}]}`},
	}
	header := map[string][]string{"Content-Type": {"application/json"}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := validator.Response(tt.operation, 200, header, []byte(tt.body)); err != nil {
				t.Fatalf("the spec rejects the body, so the case pins nothing: %v", err)
			}
			if tt.operation == validate.ListSessions {
				_, err = DecodeSessionList([]byte(tt.body))
			} else {
				_, err = DecodeExecuteResponse([]byte(tt.body))
			}
			var invalidErr *InvalidResponseError
			if errors.As(err, &invalidErr) {
				t.Errorf("decoding a body that the spec accepts failed: %v", err)
			}
		})
	}
}

func TestFailedErrorMessages(t *testing.T) {
	var items []generated.ResponseError
	if err := json.Unmarshal([]byte(`["plain",{"message":"from object"},{"message":5},{"a": 1},7,null]`), &items); err != nil {
		t.Fatal(err)
	}
	e := &FailedError{Operation: validate.ExecuteCode, Errors: items}
	want := []string{"plain", "from object", `{"message":5}`, `{"a":1}`, "7", ""}
	if got := e.Messages(); !slices.Equal(got, want) {
		t.Errorf("Messages = %q, want %q", got, want)
	}
	if got := e.Error(); !strings.HasSuffix(got, `; and 1 more`) {
		t.Errorf("Error() = %q, want at most five messages", got)
	}
}

// TestMIMEEncodingsMatchSpec keeps the decoder's table in step with the spec: every MIME type of
// DisplayorExecuteOutput.data, decoded from base64 exactly when the spec gives "format: byte".
func TestMIMEEncodingsMatchSpec(t *testing.T) {
	validator, err := validate.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	execute := validator.Document().Components.Schemas["ExecuteResponse"].Value
	var success *openapi3.Schema
	for _, member := range execute.OneOf {
		if member.Value.Title == "SuccessfulExecution" {
			success = member.Value
		}
	}
	if success == nil {
		t.Fatal("SuccessfulExecution not found in the spec")
	}

	items := success.Properties["data"].Value.Properties["outputs"].Value.Items.Value
	var bundle *openapi3.Schema
	for _, member := range items.OneOf {
		if member.Value.Title == "DisplayorExecuteOutput" {
			bundle = member.Value.Properties["data"].Value
		}
	}
	if bundle == nil {
		t.Fatal("DisplayorExecuteOutput not found in the spec")
	}

	for name, property := range bundle.Properties {
		want := payloadText
		switch {
		case property.Value.Type.Is("object"):
			want = payloadJSON
		case property.Value.Format == "byte":
			want = payloadBase64
		}
		if got := mimeEncodings[name]; got != want {
			t.Errorf("%s: encoding %d, want %d", name, got, want)
		}
	}
	if len(mimeEncodings) != len(bundle.Properties) {
		t.Errorf("table has %d MIME types, the spec %d", len(mimeEncodings), len(bundle.Properties))
	}
}

func TestAPIErrorMessages(t *testing.T) {
	tests := []struct {
		name string
		err  *APIError
		want string
	}{
		{"status with body", &APIError{Method: "POST", URL: "https://host/v1/tci/execute", StatusCode: 429,
			Status: "429 Too Many Requests", Body: []byte("slow\n  down"), Attempts: 3},
			"POST https://host/v1/tci/execute: 429 Too Many Requests: slow down (after 3 attempts)"},
		{"status without text", &APIError{Method: "GET", URL: "u", StatusCode: 418, Attempts: 1},
			"GET u: 418 I'm a teapot"},
		{"gateway page", &APIError{Method: "GET", URL: "u", StatusCode: 502, Status: "502 Bad Gateway",
			Header: map[string][]string{"Content-Type": {"text/html"}},
			Body:   []byte("<html>\n<head><title>502 Bad Gateway</title></head><body><center>nginx</center></body></html>")},
			"GET u: 502 Bad Gateway: HTML page: 502 Bad Gateway"},
		{"long body", &APIError{Method: "GET", URL: "u", StatusCode: 500, Status: "500 Internal Server Error",
			Body: []byte(strings.Repeat("é", 300))},
			"GET u: 500 Internal Server Error: " + strings.Repeat("é", 100) + "..."},
		{"transport", &APIError{Method: "GET", URL: "u", Err: errors.New("dial tcp: refused"), Attempts: 2},
			"GET u: dial tcp: refused (after 2 attempts)"},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("%s: Error() = %q, want %q", tt.name, got, tt.want)
		}
	}
}
