package validate

import (
	"errors"
	"net/http"
	"strings"
	"testing"
)

// hostileBodies are malformed or unusual bodies that must give a typed error, never a panic.
var hostileBodies = map[string]string{
	"empty":                   ``,
	"whitespace":              " \n\t\r ",
	"byte order mark":         "\ufeff" + `{"data":{"sessions":[]}}`,
	"missing value":           `{"data":}`,
	"missing colon":           `{"data" {}}`,
	"missing name":            `{,}`,
	"trailing comma array":    `{"errors":["x",]}`,
	"trailing comma object":   `{"data":{"sessions":[]},}`,
	"single quotes":           `{'data':{}}`,
	"unquoted name":           `{data:{}}`,
	"truncated literal":       `{"data":nul`,
	"misspelt literal":        `{"data":nulL}`,
	"leading zero":            `{"x":01}`,
	"bare fraction":           `{"x":1.}`,
	"bare minus":              `{"x":-}`,
	"plus sign":               `{"x":+1}`,
	"bad escape":              `{"x":"\x"}`,
	"short unicode escape":    `{"x":"\u12"}`,
	"control character":       "{\"x\":\"a\x01b\"}",
	"unterminated string":     `{"x":"abc`,
	"extra closing brace":     `{"data":{"sessions":[]}}}`,
	"two values":              `{}{}`,
	"trailing garbage":        `{"data":{"sessions":[]}} garbage`,
	"invalid UTF-8 string":    "{\"errors\":[\"\xff\xfe\"]}",
	"invalid UTF-8 name":      "{\"\xff\":1}",
	"overlong UTF-8":          "{\"x\":\"\xc0\xaf\"}",
	"surrogate UTF-8":         "{\"x\":\"\xed\xa0\x80\"}",
	"lone surrogate escape":   `{"x":"\ud800"}`,
	"nested 10000 arrays":     strings.Repeat("[", 10000) + strings.Repeat("]", 10000),
	"nested 10000 objects":    strings.Repeat(`{"a":`, 10000) + "1" + strings.Repeat("}", 10000),
	"unclosed 10000 arrays":   strings.Repeat("[", 10000),
	"deep in free-form value": success(`{"type":"display_data","data":{"application/json":{"a":` + strings.Repeat("[", 10000) + strings.Repeat("]", 10000) + `}}}`),
	"deep in sessions":        `{"data":{"sessions":[` + strings.Repeat("[", 5000) + strings.Repeat("]", 5000) + `]}}`,
	"many members":            `{"errors":[{` + strings.Repeat(`"k":1,`, 5000) + `"k":1}]}`,
	"NUL byte":                "{\"data\":\x00}",
	"number":                  `1e999999`,
	"huge exponent":           `{"x":1e-99999999999999999999}`,
}

func TestHostileBodiesGiveTypedErrors(t *testing.T) {
	v := mustEmbedded(t)
	for name, body := range hostileBodies {
		for _, op := range []Operation{ListSessions, ExecuteCode} {
			t.Run(name+"/"+op.ID, func(t *testing.T) {
				err := v.Response(op, 200, jsonHeader, []byte(body))
				var verr *Error
				if name == "lone surrogate escape" || name == "huge exponent" {
					// Valid JSON: these judge like any other body.
					if err != nil && !errors.As(err, &verr) {
						t.Fatalf("error is %T, want *Error: %v", err, err)
					}
					return
				}
				if !errors.As(err, &verr) {
					t.Fatalf("error is %v, want *Error", err)
				}
				if len(verr.Violations) == 0 || verr.Violations[0].Reason == "" {
					t.Fatalf("violations %v, want at least one with a reason", verr.Violations)
				}
				if verr.Operation != op || verr.Direction != Response || verr.Status != 200 {
					t.Errorf("error names %v %v %d, want %v response 200", verr.Operation, verr.Direction, verr.Status, op)
				}
			})
		}
	}
}

func TestSyntaxErrorReasons(t *testing.T) {
	v := mustEmbedded(t)
	for _, tc := range []struct {
		body string
		want Violation
	}{
		{``, Violation{Reason: "invalid JSON at offset 0: empty body"}},
		{`  `, Violation{Reason: "invalid JSON at offset 2: unexpected end of input"}},
		{`{"data":}`, Violation{Reason: `invalid JSON at offset 8: invalid character '}' looking for beginning of value`}},
		{`{"data":{"sessions":[]}} x`, Violation{Reason: "invalid JSON at offset 25: data after the top-level value"}},
		{`{"x":01}`, Violation{Reason: "invalid JSON at offset 6: invalid character '1' after object key:value pair"}},
		{`{"x":"\q"}`, Violation{Reason: `invalid JSON at offset 7: invalid escape 'q' in string`}},
		{"{\"x\":\"\t\"}", Violation{Reason: `invalid JSON at offset 6: control character '\t' in string`}},
		{`{"x":nulx}`, Violation{Reason: `invalid JSON at offset 8: invalid character 'x' in literal`}},
		{strings.Repeat("[", 2000), Violation{Reason: "invalid JSON at offset 1000: nesting depth exceeds the limit of 1000"}},
		{`{"errors":["x"` + strings.Repeat(" ", 3), Violation{Reason: "invalid JSON at offset 17: unexpected end of input"}},
	} {
		err := v.Response(ListSessions, 200, jsonHeader, []byte(tc.body))
		checkOnlyViolation(t, err, tc.want)
	}
}

func TestTruncatedBodiesAreInvalid(t *testing.T) {
	v := mustEmbedded(t)
	for _, body := range []string{
		sessions(validSession),
		success(stdoutOutput, errorOutput, displayOutput, resultOutput),
		`{"data":null,"errors":["boom",{"code":"E1"}]}`,
	} {
		op := ListSessions
		if strings.Contains(body, "outputs") || strings.Contains(body, "boom") {
			op = ExecuteCode
		}
		if err := v.Response(op, 200, jsonHeader, []byte(body)); err != nil {
			t.Fatalf("whole body: %v", err)
		}
		for n := range len(body) {
			err := v.Response(op, 200, jsonHeader, []byte(body[:n]))
			var verr *Error
			if !errors.As(err, &verr) {
				t.Fatalf("body cut to %d bytes: error is %v, want *Error", n, err)
			}
			if !strings.HasPrefix(verr.Violations[0].Reason, "invalid JSON at offset ") {
				t.Errorf("body cut to %d bytes: reason %q, want a syntax error", n, verr.Violations[0].Reason)
			}
		}
	}
}

func TestInvalidUTF8IsViolation(t *testing.T) {
	v := mustEmbedded(t)
	err := v.Response(ExecuteCode, 200, jsonHeader, []byte(success("{\"type\":\"stdout\",\"data\":\"caf\xe9\"}")))
	checkOnlyViolation(t, err, Violation{Pointer: "/data/outputs/0/data", Reason: "invalid UTF-8 in string"})
}

func TestContentType(t *testing.T) {
	v := mustEmbedded(t)
	body := []byte(sessions(validSession))
	for _, tc := range []struct {
		contentType []string
		valid       bool
	}{
		{[]string{"application/json"}, true},
		{[]string{"application/json; charset=utf-8"}, true},
		{[]string{"Application/JSON"}, true},
		{[]string{"text/plain"}, false},
		{[]string{"application/problem+json"}, false},
		{[]string{""}, false},
		{nil, false},
	} {
		header := http.Header{}
		if tc.contentType != nil {
			header["Content-Type"] = tc.contentType
		}
		err := v.Response(ListSessions, 200, header, body)
		if tc.valid {
			if err != nil {
				t.Errorf("Content-Type %q: %v", tc.contentType, err)
			}
			continue
		}
		value := ""
		if tc.contentType != nil {
			value = tc.contentType[0]
		}
		checkOnlyViolation(t, err, Violation{Reason: `Content-Type "` + value + `" is not "application/json"`})
		if reference := v.ReferenceResponse(ListSessions, 200, header, body); reference == nil {
			t.Errorf("Content-Type %q: reference accepts it", tc.contentType)
		}
	}
}

func TestUndeclaredStatusIsNotValidated(t *testing.T) {
	v := mustEmbedded(t)
	for _, status := range []int{201, 301, 304, 400, 404, 429, 500, 503} {
		if err := v.Response(ExecuteCode, status, http.Header{}, []byte("not json")); err != nil {
			t.Errorf("status %d: %v", status, err)
		}
		if err := v.ReferenceResponse(ExecuteCode, status, http.Header{}, []byte("not json")); err != nil {
			t.Errorf("status %d: reference: %v", status, err)
		}
	}
	if err := v.Response(ExecuteCode, 200, http.Header{}, []byte("not json")); err == nil {
		t.Error("status 200: no error for a body that is not JSON")
	}
}

func TestRequestBody(t *testing.T) {
	v := mustEmbedded(t)
	for _, tc := range []struct {
		name   string
		header http.Header
		body   string
		want   *Violation
	}{
		{"empty body", http.Header{}, ``, nil},
		{"minimal", jsonHeader, `{"code":"print(1)","language":"python"}`, nil},
		{"missing language", jsonHeader, `{"code":"print(1)"}`, &Violation{Reason: `missing required property "language"`}},
		{"unknown language", jsonHeader, `{"code":"x","language":"ruby"}`, &Violation{Pointer: "/language", Reason: `"ruby" is not one of "python"`}},
		{"wrong Content-Type", http.Header{"Content-Type": {"text/plain"}}, `{"code":"x","language":"python"}`, &Violation{Reason: `Content-Type "text/plain" is not "application/json"`}},
		{"file missing content", jsonHeader, `{"code":"x","language":"python","files":[{"name":"a","encoding":"string"}]}`, &Violation{Pointer: "/files/0", Reason: `missing required property "content"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := v.Request(ExecuteCode, tc.header, []byte(tc.body))
			reference := v.ReferenceRequest(ExecuteCode, tc.header, []byte(tc.body))
			if (err == nil) != (reference == nil) {
				t.Errorf("Request: %v, ReferenceRequest: %v", err, reference)
			}
			if tc.want == nil {
				if err != nil {
					t.Errorf("Request: %v", err)
				}
				return
			}
			checkOnlyViolation(t, err, *tc.want)
			var verr *Error
			if errors.As(err, &verr) && (verr.Direction != Request || verr.Status != 0) {
				t.Errorf("error has direction %q and status %d, want request and 0", verr.Direction, verr.Status)
			}
		})
	}
}

func TestUnknownOperation(t *testing.T) {
	v := mustEmbedded(t)
	op := Operation{ID: "files/list", Method: http.MethodGet, Path: "/files"}
	for _, err := range []error{
		v.Response(op, 200, jsonHeader, []byte(`{}`)),
		v.Request(op, jsonHeader, []byte(`{}`)),
	} {
		var verr *Error
		if err == nil || errors.As(err, &verr) {
			t.Errorf("error %v, want a plain error naming the operation", err)
		}
		if err != nil && !strings.Contains(err.Error(), "GET /files") {
			t.Errorf("error %q does not name the operation", err)
		}
	}
}
