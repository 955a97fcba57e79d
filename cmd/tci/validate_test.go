package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const (
	validResponse = `{"data":{"session_id":"ses_a","status":"success",` +
		`"outputs":[{"type":"stdout","data":"hi\n"}]},"errors":null}`
	invalidResponse = `{"data":{"session_id":"ses_a","outputs":[{"type":"warning","data":"x"}]},"errors":null}`
)

func writeTemp(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestValidateExitStatus(t *testing.T) {
	t.Parallel()
	valid := writeTemp(t, "valid.json", validResponse)
	invalid := writeTemp(t, "invalid.json", invalidResponse)
	request := writeTemp(t, "request.json", `{"code": "print(1)", "language": "python", "session_id": 42}`)
	failure := writeTemp(t, "failure.json", `{"data":null,"errors":["session not found"]}`)
	malformedHAR := writeTemp(t, "bad.har", `{"log":{"entries":[{}]}}`)
	capture := filepath.Join("..", "..", "contract", "testdata", "capture.har")
	missing := filepath.Join(t.TempDir(), "missing.json")

	tests := []struct {
		name   string
		args   []string
		stdin  string
		code   int
		stdout string
		stderr string
	}{
		{"valid body", []string{"--operation", "tci/execute", valid}, "", exitOK,
			"1 message judged, 0 violations", ""},
		{"violations", []string{"--operation", "POST /tci/execute", invalid}, "", exitFailed,
			`/data/outputs/0/type: "warning" is not one of`, ""},
		{"request body", []string{"--operation", "tci/execute", "--request", request}, "", exitFailed,
			"(tci/execute request): /session_id: expected string, got number", ""},
		{"failure shape as 200", []string{"--operation", "tci/execute", "--status", "200", failure}, "",
			exitOK, "0 violations", ""},
		{"standard input", []string{"--operation", "sessions/list", "-"}, `{"data":{"sessions":[]}}`,
			exitOK, "0 violations", ""},
		{"flags after the file", []string{valid, "--operation", "tci/execute"}, "", exitOK, "0 violations", ""},
		{"HAR capture", []string{"--har", capture}, "", exitFailed,
			"13 messages judged in 10 HAR entries (2 unmatched), 3 skipped, 3 violations", ""},
		{"undeclared status", []string{"--operation", "tci/execute", "--status", "404", failure}, "",
			exitUsage, "", "cannot judge a response body with status 404"},
		{"unknown operation", []string{"--operation", "tci/run", valid}, "", exitUsage, "",
			`unknown operation "tci/run"`},
		{"missing operation", []string{valid}, "", exitUsage, "", "missing --operation"},
		{"missing file argument", []string{"--operation", "tci/execute"}, "", exitUsage, "",
			"missing FILE argument"},
		{"unreadable file", []string{"--operation", "tci/execute", missing}, "", exitUsage, "",
			"open " + missing},
		{"status with request", []string{"--operation", "tci/execute", "--request", "--status", "200", request},
			"", exitUsage, "", "a status applies only to responses"},
		{"HAR with operation", []string{"--har", capture, "--operation", "tci/execute"}, "", exitUsage, "",
			"--har judges a whole capture"},
		{"malformed HAR", []string{"--har", malformedHAR}, "", exitUsage, "", "log.entries[0]"},
		{"bad status", []string{"--operation", "tci/execute", "--status", "ok", valid}, "", exitUsage, "",
			`invalid value "ok" for flag -status: not a whole number`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := invocation{args: append([]string{"validate"}, tt.args...), stdin: tt.stdin}.run(t)
			o.expectCode(t, tt.code)
			if !strings.Contains(o.stdout, tt.stdout) {
				t.Errorf("stdout lacks %q:\n%s", tt.stdout, o.stdout)
			}
			if !strings.Contains(o.stderr, tt.stderr) {
				t.Errorf("stderr lacks %q:\n%s", tt.stderr, o.stderr)
			}
			if tt.code == exitUsage && strings.Count(o.stderr, "\n") != 1 {
				t.Errorf("stderr is not one line:\n%s", o.stderr)
			}
		})
	}
}

func TestValidateJSONReport(t *testing.T) {
	t.Parallel()
	path := writeTemp(t, "invalid.json", invalidResponse)
	o := tci(t, "validate", "--json", "--operation", "tci/execute", path)
	o.expectCode(t, exitFailed)
	var report struct {
		Valid      bool `json:"valid"`
		Violations []struct {
			Pointer string `json:"pointer"`
		} `json:"violations"`
	}
	if err := json.Unmarshal([]byte(o.stdout), &report); err != nil {
		t.Fatalf("stdout is not JSON: %v\n%s", err, o.stdout)
	}
	if report.Valid || len(report.Violations) == 0 || report.Violations[0].Pointer != "/data/outputs/0/type" {
		t.Errorf("report = %+v, want the violation at /data/outputs/0/type", report)
	}
}
