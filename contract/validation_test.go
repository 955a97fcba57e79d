package contract

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"testing/iotest"
)

const (
	validSuccess = `{"data":{"session_id":"ses_1","outputs":[{"type":"stdout","data":"hi\n"}]},"errors":null}`
	validFailure = `{"data":null,"errors":["session not found"]}`
	wrongOutputs = `{"data":{"session_id":"ses_1","outputs":"hi"},"errors":null}`
	validList    = `{"data":{"sessions":[{"id":"ses_1","execute_count":1,` +
		`"started_at":"2026-01-02T03:04:05Z","last_execute_at":"2026-01-02T03:04:06Z",` +
		`"expires_at":"2026-01-02T04:04:06Z"}]}}`
)

func TestValidateBodyValid(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		options BodyOptions
	}{
		{"success", validSuccess, BodyOptions{Operation: "tci/execute"}},
		{"failure", validFailure, BodyOptions{Operation: "tci/execute"}},
		{"method and path", validSuccess, BodyOptions{Operation: "POST /tci/execute"}},
		{"session list", validList, BodyOptions{Operation: "sessions/list", Status: 200}},
		{"request", `{"code":"print(1)","language":"python"}`, BodyOptions{Operation: "tci/execute", Request: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			report, err := ValidateBody(strings.NewReader(tt.body), tt.options)
			if err != nil {
				t.Fatalf("ValidateBody: %v", err)
			}
			if !report.Valid() {
				t.Errorf("violations: %v", report.Violations)
			}
			if report.Judged != 1 {
				t.Errorf("Judged = %d, expected 1", report.Judged)
			}
		})
	}
}

func TestValidateBodyViolations(t *testing.T) {
	tests := []struct {
		name        string
		body        string
		options     BodyOptions
		wantPointer string
		wantReason  string
	}{
		{"outputs not an array", wrongOutputs, BodyOptions{Operation: "tci/execute"}, "/data/outputs", "array"},
		{"not JSON", "<html>bad gateway</html>", BodyOptions{Operation: "tci/execute"}, "", ""},
		{"wrong content type", validSuccess,
			BodyOptions{Operation: "tci/execute", ContentType: "text/plain"}, "", "Content-Type"},
		{"request without code", `{"language":"python"}`,
			BodyOptions{Operation: "tci/execute", Request: true}, "", "code"},
		{"request with numeric code", `{"code":1,"language":"python"}`,
			BodyOptions{Operation: "tci/execute", Request: true}, "/code", "string"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			report, err := ValidateBody(strings.NewReader(tt.body), tt.options)
			if err != nil {
				t.Fatalf("ValidateBody: %v", err)
			}
			if report.Valid() {
				t.Fatal("report is valid, expected violations")
			}
			found := false
			for _, v := range report.Violations {
				if v.Pointer == tt.wantPointer && strings.Contains(v.Reason, tt.wantReason) {
					found = true
				}
			}
			if !found {
				t.Errorf("no violation at %q mentioning %q in %v", tt.wantPointer, tt.wantReason, report.Violations)
			}
			if got := report.Violations[0].Direction; tt.options.Request && got != "request" {
				t.Errorf("Direction = %q, expected request", got)
			}
		})
	}
}

func TestValidateBodyUsageErrors(t *testing.T) {
	tests := []struct {
		name    string
		options BodyOptions
		want    string
	}{
		{"missing operation", BodyOptions{}, "missing operation"},
		{"unknown operation", BodyOptions{Operation: "tci/run"}, `unknown operation "tci/run"`},
		{"status below 100", BodyOptions{Operation: "tci/execute", Status: 42}, "invalid status 42"},
		{"status for request", BodyOptions{Operation: "tci/execute", Request: true, Status: 200},
			"status 200 given for a request"},
		{"undeclared status", BodyOptions{Operation: "tci/execute", Status: 404},
			"the spec declares no response for status 404 of tci/execute (it declares 200)"},
		{"redirect status", BodyOptions{Operation: "sessions/list", Status: 304},
			"the validator does not judge status 304"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ValidateBody(strings.NewReader(validSuccess), tt.options)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %v, expected one containing %q", err, tt.want)
			}
		})
	}
}

func TestValidateBodyUnreadable(t *testing.T) {
	_, err := ValidateBody(iotest.ErrReader(iotest.ErrTimeout), BodyOptions{Operation: "tci/execute"})
	if err == nil || !strings.Contains(err.Error(), "read body") {
		t.Errorf("error = %v, expected a read error", err)
	}
}

func TestValidationReportText(t *testing.T) {
	report, err := ValidateBody(strings.NewReader(wrongOutputs), BodyOptions{Operation: "tci/execute"})
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := report.WriteText(&out); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != len(report.Violations)+1 {
		t.Fatalf("%d lines for %d violations:\n%s", len(lines), len(report.Violations), out.String())
	}
	if !strings.HasPrefix(lines[0], "(tci/execute response 200): /data") {
		t.Errorf("first line = %q", lines[0])
	}
	if last := lines[len(lines)-1]; !strings.HasPrefix(last, "1 message judged, ") {
		t.Errorf("summary = %q", last)
	}
}

func TestValidationReportJSON(t *testing.T) {
	report, err := ValidateBody(strings.NewReader(validSuccess), BodyOptions{Operation: "tci/execute"})
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := report.WriteJSON(&out); err != nil {
		t.Fatal(err)
	}
	var decoded map[string]any
	if err := json.Unmarshal(out.Bytes(), &decoded); err != nil {
		t.Fatalf("WriteJSON wrote invalid JSON: %v\n%s", err, out.String())
	}
	if decoded["valid"] != true {
		t.Errorf("valid = %v, expected true", decoded["valid"])
	}
	if violations, ok := decoded["violations"].([]any); !ok || len(violations) != 0 {
		t.Errorf("violations = %v, expected an empty array", decoded["violations"])
	}
}
