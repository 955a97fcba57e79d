package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/tcikit/tci/generated"
	"github.com/tcikit/tci/validate"
)

// testServer is a Server behind a real HTTP listener on loopback.
type testServer struct {
	srv   *Server
	url   string // base URL including BasePath
	token string
}

// resolvedPython is the absolute path of the test interpreter. Passing it to New skips the
// version manager's shim that "python3" may be, which takes a large share of New's time.
var resolvedPython = sync.OnceValues(func() (string, error) { return resolvePython(testPython()) })

// startServer starts a Server with opts on a loopback port and closes both when the test ends.
// The server runs the test interpreter in a directory of the test, unless opts choose others,
// so that even a test that stops without Close leaves no directory behind.
func startServer(t testing.TB, opts ...Option) *testServer {
	t.Helper()
	python, err := resolvedPython()
	if err != nil {
		t.Fatalf("resolve the test interpreter: %v", err)
	}
	srv, err := New(append([]Option{WithPython(python), WithWorkDir(t.TempDir())}, opts...)...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(func() {
		hs.Close()
		if err := srv.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return &testServer{srv: srv, url: hs.URL + BasePath}
}

// response is one HTTP response of the server, checked against the spec.
type response struct {
	status int
	header http.Header
	body   []byte
}

// do sends a request and checks the response against the spec with validate.Embedded. A
// response with a status other than 200 must also carry a body that the 200 schema accepts,
// which for ExecuteCode is FailedExecution.
func (ts *testServer) do(t testing.TB, method, path string, header http.Header, body []byte) response {
	t.Helper()
	resp, err := ts.send(t, method, path, header, body)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

// send is do for goroutines other than the test's: it reports transport errors instead of
// stopping the test.
func (ts *testServer) send(t testing.TB, method, path string, header http.Header, body []byte) (response, error) {
	t.Helper()
	req, err := http.NewRequest(method, ts.url+path, bytes.NewReader(body))
	if err != nil {
		return response{}, err
	}
	for name, values := range header {
		req.Header[name] = values
	}
	if body != nil && req.Header.Get("Content-Type") == "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if ts.token != "" && req.Header.Get("Authorization") == "" {
		req.Header.Set("Authorization", "Bearer "+ts.token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return response{}, fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return response{}, fmt.Errorf("%s %s: read body: %w", method, path, err)
	}
	checkSpec(t, method, path, resp.StatusCode, resp.Header, raw)
	return response{status: resp.StatusCode, header: resp.Header, body: raw}, nil
}

// executeBody returns the JSON of an execute request.
func executeBody(sessionID, code string) []byte {
	request := map[string]any{"code": code, "language": "python"}
	if sessionID != "" {
		request["session_id"] = sessionID
	}
	body, _ := json.Marshal(request)
	return body
}

func checkSpec(t testing.TB, method, path string, status int, header http.Header, body []byte) {
	t.Helper()
	if ct := header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("%s %s: Content-Type = %q, want application/json", method, path, ct)
	}
	var op validate.Operation
	switch {
	case method == http.MethodGet && path == "/tci/sessions":
		op = validate.ListSessions
	default:
		// Every other response, 404s and 405s included, must have the execute failure shape.
		op = validate.ExecuteCode
	}
	v, err := validate.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	if err := v.Response(op, status, header, body); err != nil {
		t.Errorf("%s %s: response violates the spec: %v\nbody: %s", method, path, err, body)
	}
	if status != http.StatusOK {
		if err := v.Response(op, http.StatusOK, header, body); err != nil {
			t.Errorf("%s %s: %d body is not the failure shape: %v\nbody: %s", method, path, status, err, body)
		}
	}
}

// post sends an execute request and returns the response.
func (ts *testServer) post(t testing.TB, request any) response {
	t.Helper()
	body, err := json.Marshal(request)
	if err != nil {
		t.Fatal(err)
	}
	return ts.do(t, http.MethodPost, "/tci/execute", nil, body)
}

// execute runs code in sessionID, or in a new session when sessionID is "", and returns the
// session id and outputs of a successful response.
func (ts *testServer) execute(t testing.TB, sessionID, code string, files ...generated.File) (string, []out) {
	t.Helper()
	request := generated.ExecuteRequest{Code: code, Language: generated.LanguagePython}
	if sessionID != "" {
		request.SessionID = &sessionID
	}
	if len(files) > 0 {
		request.Files = &files
	}
	resp := ts.post(t, request)
	if resp.status != http.StatusOK {
		t.Fatalf("execute %q: status %d, body %s", code, resp.status, resp.body)
	}
	return decodeSuccess(t, resp.body)
}

// out is one output flattened for comparison.
type out struct {
	Type string
	Text string               // data of stream and error outputs
	Data generated.MIMEBundle // data of display_data and execute_result outputs
}

// String returns the output as TYPE "TEXT", or as TYPE and its MIME types.
func (o out) String() string {
	if o.Type == outputExecuteResult || o.Type == outputDisplayData {
		raw, _ := json.Marshal(o.Data)
		if len(raw) > 200 {
			raw = append(raw[:200], "..."...)
		}
		return o.Type + " " + string(raw)
	}
	return fmt.Sprintf("%s %q", o.Type, o.Text)
}

func decodeSuccess(t testing.TB, body []byte) (string, []out) {
	t.Helper()
	var response generated.ExecuteResponse
	if err := json.Unmarshal(body, &response); err != nil {
		t.Fatalf("decode execute response: %v", err)
	}
	success, err := response.AsSuccessfulExecution()
	if err != nil {
		t.Fatalf("decode successful execution: %v", err)
	}
	if success.Errors != nil {
		t.Fatalf("errors = %v, want null; body %s", success.Errors, body)
	}
	var outputs []out
	for _, item := range success.Data.Outputs {
		kind, err := item.Discriminator()
		if err != nil {
			t.Fatal(err)
		}
		switch kind {
		case outputStdout, outputStderr:
			stream, _ := item.AsStreamOutput()
			outputs = append(outputs, out{Type: kind, Text: stream.Data})
		case outputError:
			e, _ := item.AsErrorOutput()
			outputs = append(outputs, out{Type: kind, Text: e.Data})
		default:
			display, _ := item.AsDisplayOrExecuteOutput()
			outputs = append(outputs, out{Type: kind, Data: display.Data})
		}
	}
	return success.Data.SessionID, outputs
}

// failure is a decoded failure response.
type failure struct {
	Data   any              `json:"data"`
	Errors []map[string]any `json:"errors"`
}

// decodeFailure checks that resp has status and the failure shape and returns its errors.
// wantSessionEnded checks that an execute in session id gets 404 with a message that contains
// reason, such as the exit status or the expiry that ended the session.
func wantSessionEnded(t *testing.T, ts *testServer, id, reason string) {
	t.Helper()
	resp := ts.post(t, map[string]any{"code": "1", "language": "python", "session_id": id})
	errs := decodeFailure(t, resp, http.StatusNotFound)
	if msg := errs[0]["message"].(string); !strings.Contains(msg, reason) {
		t.Errorf("message = %q, want it to contain %q", msg, reason)
	}
}

func decodeFailure(t testing.TB, resp response, status int) []map[string]any {
	t.Helper()
	if resp.status != status {
		t.Fatalf("status = %d, want %d; body %s", resp.status, status, resp.body)
	}
	var f failure
	if err := json.Unmarshal(resp.body, &f); err != nil {
		t.Fatalf("decode failure body: %v; body %s", err, resp.body)
	}
	if !bytes.Contains(resp.body, []byte(`"data":null`)) {
		t.Errorf("body has no \"data\": null: %s", resp.body)
	}
	if len(f.Errors) == 0 {
		t.Fatalf("failure without errors: %s", resp.body)
	}
	for i, e := range f.Errors {
		if msg, _ := e["message"].(string); msg == "" {
			t.Errorf("errors[%d] has no message: %v", i, e)
		}
	}
	return f.Errors
}

// listSessions returns the live sessions.
func (ts *testServer) listSessions(t testing.TB) []generated.Session {
	t.Helper()
	resp := ts.do(t, http.MethodGet, "/tci/sessions", nil, nil)
	if resp.status != http.StatusOK {
		t.Fatalf("list sessions: status %d, body %s", resp.status, resp.body)
	}
	var list generated.SessionListResponse
	if err := json.Unmarshal(resp.body, &list); err != nil {
		t.Fatalf("decode session list: %v", err)
	}
	if list.Data == nil {
		t.Fatalf("session list without data: %s", resp.body)
	}
	return list.Data.Sessions
}

// wantOutputs compares outputs of streams and errors by type and exact text.
func wantOutputs(t testing.TB, got []out, want ...out) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d outputs %v, want %d %v", len(got), got, len(want), want)
	}
	for i := range want {
		if got[i].Type != want[i].Type || got[i].Text != want[i].Text {
			t.Errorf("output %d = %s %q, want %s %q", i, got[i].Type, got[i].Text, want[i].Type, want[i].Text)
		}
	}
}

// testPython returns the interpreter that the tests run: TCI_PYTHON or python3.
func testPython() string {
	if python := os.Getenv("TCI_PYTHON"); python != "" {
		return python
	}
	return "python3"
}

// requireMatplotlib skips the test when the test interpreter cannot import matplotlib, unless
// TCI_REQUIRE_MATPLOTLIB=1 makes that a failure.
func requireMatplotlib(t testing.TB) {
	t.Helper()
	err := exec.Command(testPython(), "-c", "import matplotlib").Run()
	if err == nil {
		return
	}
	if os.Getenv("TCI_REQUIRE_MATPLOTLIB") == "1" {
		t.Fatalf("%s cannot import matplotlib (%v) and TCI_REQUIRE_MATPLOTLIB=1", testPython(), err)
	}
	t.Skipf("%s cannot import matplotlib: %v; set TCI_PYTHON to an interpreter that has it", testPython(), err)
}

// processGone reports whether pid no longer runs. A zombie counts as gone: it has exited and
// waits only for its parent to reap it.
func processGone(t testing.TB, pid int) bool {
	t.Helper()
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if errors.Is(err, os.ErrNotExist) {
		return true
	}
	if err != nil {
		if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
			return true
		}
		return false
	}
	// The state follows the command name, which is in parentheses and may contain spaces.
	fields := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
	return len(fields) > 0 && fields[0] == "Z"
}

// waitFor polls cond every 20ms until it is true or timeout passes.
func waitFor(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
