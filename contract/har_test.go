package contract

import (
	"bytes"
	"os"
	"strings"
	"testing"
	"testing/iotest"
)

func TestValidateHARCapture(t *testing.T) {
	file, err := os.Open("testdata/capture.har")
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	report, err := ValidateHAR(file)
	if err != nil {
		t.Fatalf("ValidateHAR: %v", err)
	}

	if report.Entries != 10 {
		t.Errorf("Entries = %d, expected 10", report.Entries)
	}
	// Entry 1 is a page and entry 7 uses a method the spec path does not have.
	if report.Unmatched != 2 {
		t.Errorf("Unmatched = %d, expected 2", report.Unmatched)
	}
	// Entries 0, 2, 3, 4 and 8 give a request and a response each, 5, 6 and 9 only a request.
	if report.Judged != 13 {
		t.Errorf("Judged = %d, expected 13", report.Judged)
	}
	if len(report.Skipped) != 3 {
		t.Fatalf("Skipped = %v, expected entries 5, 6 and 9", report.Skipped)
	}
	if report.Skipped[0].Entry != 5 || !strings.Contains(report.Skipped[0].Reason, "content.text is missing") {
		t.Errorf("first skipped = %v, expected entry 5 without a body", report.Skipped[0])
	}
	if report.Skipped[1].Entry != 6 || !strings.Contains(report.Skipped[1].Reason, "status 0") {
		t.Errorf("second skipped = %v, expected entry 6 with status 0", report.Skipped[1])
	}
	// The spec declares only 200, so the validator has no schema for a 401.
	if report.Skipped[2].Entry != 9 || !strings.Contains(report.Skipped[2].Reason, "no response for status 401") {
		t.Errorf("third skipped = %v, expected entry 9 with its undeclared 401", report.Skipped[2])
	}

	entries := map[int][]Violation{}
	for _, v := range report.Violations {
		if v.Entry == nil {
			t.Fatalf("violation without an entry: %v", v)
		}
		entries[*v.Entry] = append(entries[*v.Entry], v)
	}
	if len(entries) != 3 {
		t.Errorf("violations in entries %v, expected 2, 3 and 8", entries)
	}
	requireViolation(t, entries[2], "response", "/data/outputs/0", "data")
	requireViolation(t, entries[3], "request", "/language", "python")
	requireViolation(t, entries[8], "response", "", "")
}

func requireViolation(t *testing.T, violations []Violation, direction, pointer, reason string) {
	t.Helper()
	for _, v := range violations {
		if string(v.Direction) == direction && v.Pointer == pointer && strings.Contains(v.Reason, reason) {
			return
		}
	}
	t.Errorf("no %s violation at %q mentioning %q in %v", direction, pointer, reason, violations)
}

func TestValidateHARText(t *testing.T) {
	file, err := os.Open("testdata/capture.har")
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	report, err := ValidateHAR(file)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := report.WriteText(&out); err != nil {
		t.Fatal(err)
	}
	text := out.String()
	for _, want := range []string{
		"log.entries[2] POST http://127.0.0.1:8787/v1/tci/execute (tci/execute response 200): /data/outputs/0",
		"log.entries[3] POST http://127.0.0.1:8787/v1/tci/execute (tci/execute request): /language",
		"log.entries[5] GET http://127.0.0.1:8787/v1/tci/sessions (sessions/list response): not judged",
		"13 messages judged in 10 HAR entries (2 unmatched), 3 skipped, ",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("output lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "secret-token") {
		t.Errorf("output shows the Authorization header:\n%s", text)
	}
}

func TestValidateHARMalformed(t *testing.T) {
	const entryStart = `{"log":{"entries":[`
	tests := []struct {
		name string
		har  string
		want string
	}{
		{"not JSON", "HTTP/1.1 200 OK", "parse HAR"},
		{"no log", `{"entries":[]}`, `missing "log.entries"`},
		{"no entries", `{"log":{"version":"1.2"}}`, `missing "log.entries"`},
		{"entry not an object", entryStart + `42]}}`, "log.entries[0]: invalid entry"},
		{"no request", entryStart + `{}, {"response":{}}]}}`, `log.entries[0]: missing "request"`},
		{"no url", entryStart + `{"request":{"method":"GET"}}]}}`, `log.entries[0]: missing "request.method" or "request.url"`},
		{"bad url", entryStart + `{"request":{"method":"GET","url":"http://[::1"}}]}}`, "log.entries[0]: invalid request.url"},
		{"no response", entryStart + `{"request":{"method":"GET","url":"http://h/v1/tci/sessions"}}]}}`,
			`log.entries[0]: missing "response"`},
		{"no content", entryStart + `{"request":{"method":"GET","url":"http://h/v1/tci/sessions"},` +
			`"response":{"status":200}}]}}`, `log.entries[0]: missing "response.content"`},
		{"bad base64", entryStart + `{"request":{"method":"GET","url":"http://h/v1/tci/sessions"},` +
			`"response":{"status":200,"content":{"text":"!!","encoding":"base64"}}}]}}`,
			"log.entries[0]: response.content: text is not valid base64"},
		{"unknown encoding", entryStart + `{"request":{"method":"POST","url":"http://h/v1/tci/execute",` +
			`"postData":{"text":"x","encoding":"gzip"}},"response":{"status":200,"content":{}}}]}}`,
			`log.entries[0]: request.postData: unsupported encoding "gzip"`},
		{"bad status", entryStart + `{"request":{"method":"GET","url":"http://h/v1/tci/sessions"},` +
			`"response":{"status":1000,"content":{"text":"{}"}}}]}}`, "log.entries[0]: invalid response.status 1000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			report, err := ValidateHAR(strings.NewReader(tt.har))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %v, expected one containing %q", err, tt.want)
			}
			if report != nil {
				t.Errorf("report = %+v, expected nil with an error", report)
			}
		})
	}
}

func TestValidateHARPostDataBase64(t *testing.T) {
	const har = `{"log":{"entries":[{"request":{"method":"POST","url":"http://h/tci/execute",` +
		`"postData":{"mimeType":"application/json","encoding":"base64",` +
		`"text":"eyJjb2RlIjoiMSIsImxhbmd1YWdlIjoicHl0aG9uIn0="}},` +
		`"response":{"status":200,"headers":[],"content":{"mimeType":"application/json",` +
		`"text":"{\"data\":null,\"errors\":[\"x\"]}"}}}]}}`
	report, err := ValidateHAR(strings.NewReader(har))
	if err != nil {
		t.Fatal(err)
	}
	if !report.Valid() || report.Judged != 2 {
		t.Errorf("report = %+v, expected 2 valid messages", report)
	}
}

func TestValidateHARUnreadable(t *testing.T) {
	_, err := ValidateHAR(iotest.ErrReader(iotest.ErrTimeout))
	if err == nil || !strings.Contains(err.Error(), "read HAR") {
		t.Errorf("error = %v, expected a read error", err)
	}
}

func TestValidateHARTrailingSlashUnmatched(t *testing.T) {
	// The reference server responds to POST /v1/tci/execute/ with 404, so the entry is no execute.
	const har = `{"log":{"entries":[{"request":{"method":"POST","url":"http://h/v1/tci/execute/",` +
		`"postData":{"mimeType":"application/json","text":"{\"code\":42}"}},` +
		`"response":{"status":404,"headers":[],"content":{"mimeType":"text/plain","text":"no"}}}]}}`
	report, err := ValidateHAR(strings.NewReader(har))
	if err != nil {
		t.Fatal(err)
	}
	if report.Unmatched != 1 {
		t.Errorf("Unmatched = %d, expected 1", report.Unmatched)
	}
	if report.Judged != 0 || !report.Valid() {
		t.Errorf("report = %+v, expected nothing judged", report)
	}
}
