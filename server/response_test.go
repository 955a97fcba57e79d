package server

import (
	"encoding/json"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

// checkJSONString checks that appendJSONString writes text as a valid JSON string of
// jsonStringSize(text) bytes that decodes to text with each invalid byte replaced by U+FFFD,
// as Go's conversion to []rune does.
func checkJSONString(t *testing.T, text []byte) {
	t.Helper()
	encoded := appendJSONString(nil, text)
	if got, want := int64(len(encoded)), jsonStringSize(text)+2; got != want {
		t.Errorf("appendJSONString(%q) has %d bytes, jsonStringSize counts %d", text, got, want)
	}
	var decoded string
	if err := json.Unmarshal(encoded, &decoded); err != nil {
		t.Fatalf("appendJSONString(%q) = %s, which does not decode: %v", text, encoded, err)
	}
	if want := string([]rune(string(text))); decoded != want {
		t.Errorf("appendJSONString(%q) decodes to %q, want %q", text, decoded, want)
	}
}

func TestAppendJSONString(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, text, want string
	}{
		{"empty", "", `""`},
		{"plain", "hello, world", `"hello, world"`},
		{"html characters", "<a href='x'>&</a>", `"<a href='x'>&</a>"`},
		{"short escapes", "\"\\\b\f\n\r\t", `"\"\\\b\f\n\r\t"`},
		{"other control characters", "\x00\x01\x1f\x7f", `"\u0000\u0001\u001f` + "\x7f\""},
		{"multi-byte characters", "é€😀", `"é€😀"`},
		{"line separators", "\u2028\u2029", "\"\u2028\u2029\""},
		{"invalid bytes", "a\xffb\xc3", "\"a\uFFFDb\uFFFD\""},
		{"truncated sequence", "\xe2\x82", "\"\uFFFD\uFFFD\""},
		{"encoded surrogate", "\xed\xa0\x80", "\"\uFFFD\uFFFD\uFFFD\""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := string(appendJSONString(nil, []byte(tc.text))); got != tc.want {
				t.Errorf("appendJSONString(%q) = %s, want %s", tc.text, got, tc.want)
			}
			checkJSONString(t, []byte(tc.text))
		})
	}
}

func FuzzAppendJSONString(f *testing.F) {
	for _, seed := range []string{"", "x", "<>&", "\x00\n\"\\", "é\xff€", "\xe2\x82", "😀\u2028"} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, text []byte) {
		checkJSONString(t, text)
	})
}

func TestJSONStringPrefixCutsBetweenCharacters(t *testing.T) {
	t.Parallel()
	text := []byte("a\x01é😀\xff")
	// The sizes of the characters as JSON are 1, 6, 2, 4 and 3.
	tests := []struct {
		maxSize  int64
		n        int
		size     int64
		wantText string
	}{
		{0, 0, 0, ""},
		{1, 1, 1, "a"},
		{6, 1, 1, "a"},
		{7, 2, 7, "a\x01"},
		{12, 4, 9, "a\x01é"},
		{13, 8, 13, "a\x01é😀"},
		{16, 9, 16, string(text)},
		{100, 9, 16, string(text)},
	}
	for _, tc := range tests {
		n, size := jsonStringPrefix(text, tc.maxSize)
		if n != tc.n || size != tc.size {
			t.Errorf("jsonStringPrefix(%q, %d) = %d, %d; want %d, %d", text, tc.maxSize, n, size, tc.n, tc.size)
			continue
		}
		if got := string(text[:n]); got != tc.wantText {
			t.Errorf("prefix for %d = %q, want %q", tc.maxSize, got, tc.wantText)
		}
	}
}

func TestOutputEnvelopeMatchesJSON(t *testing.T) {
	t.Parallel()
	bundle := []byte(`{"text/plain":"1"}`)
	for _, kind := range []string{outputStdout, outputStderr, outputError, outputExecuteResult, outputDisplayData} {
		item := outputJSON(kind, []byte("abc"), bundle)
		data := int64(len(bundle))
		if isText(kind) {
			data = jsonStringSize([]byte("abc"))
		}
		// The envelope includes the comma that separates the output from the next one.
		if got, want := int64(len(item))+1, outputEnvelope(kind)+data; got != want {
			t.Errorf("%s output %s takes %d bytes with its comma, outputEnvelope counts %d", kind, item, got, want)
		}
		if !json.Valid(item) {
			t.Errorf("%s output is not valid JSON: %s", kind, item)
		}
	}
}

func TestExecuteSuccessWritesContentLength(t *testing.T) {
	t.Parallel()
	response := executeSuccess{
		sessionID: "ses_x",
		outputs:   []json.RawMessage{outputJSON(outputStdout, []byte("<b>"), nil), errorOutput("E")},
	}
	recorder := httptest.NewRecorder()
	if err := response.VisitExecuteCodeResponse(recorder); err != nil {
		t.Fatal(err)
	}
	body := recorder.Body.String()
	want := `{"data":{"outputs":[{"data":"<b>","type":"stdout"},{"data":"E","type":"error"}],` +
		`"session_id":"ses_x","status":"success"},"errors":null}` + "\n"
	if body != want {
		t.Errorf("body = %s, want %s", body, want)
	}
	if got := recorder.Header().Get("Content-Length"); got != strconv.Itoa(len(body)) {
		t.Errorf("Content-Length = %s, want %d", got, len(body))
	}
	if !utf8.ValidString(body) || strings.Contains(body, `\u003c`) {
		t.Errorf("body = %s, want valid UTF-8 without HTML escapes", body)
	}
}
