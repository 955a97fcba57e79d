package contract

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tcikit/tci/server"
)

const testToken = "check-test-token"

// startReference serves the reference server behind wrap, which may break it, and returns the
// base URL.
func startReference(t *testing.T, wrap func(http.Handler) http.Handler, options ...server.Option) string {
	t.Helper()
	srv, err := server.New(options...)
	if err != nil {
		t.Fatalf("server.New: %v", err)
	}
	handler := srv.Handler()
	if wrap != nil {
		handler = wrap(handler)
	}
	front := httptest.NewServer(handler)
	t.Cleanup(func() {
		front.Close()
		if err := srv.Close(); err != nil {
			t.Errorf("close reference server: %v", err)
		}
	})
	return front.URL + server.BasePath
}

func outcomes(report *CheckReport) map[string]Outcome {
	out := map[string]Outcome{}
	for _, result := range report.Results {
		out[result.Scenario] = result.Outcome
	}
	return out
}

func TestCheckReferenceServerPasses(t *testing.T) {
	base := startReference(t, nil, server.WithToken(testToken))

	report, err := Check(context.Background(), base, WithAPIKey(testToken))
	if err != nil {
		t.Fatalf("Check: %v", err)
	}
	if len(report.Results) != len(scenarios) {
		t.Errorf("%d results, expected one per scenario (%d)", len(report.Results), len(scenarios))
	}
	for _, result := range report.Results {
		if result.Outcome != Pass {
			t.Errorf("%s: %s: %s %v", result.Scenario, result.Outcome, result.Reason, result.Violations)
		}
	}
	if !report.Passed() {
		t.Error("Passed() = false, expected true")
	}
}

func TestCheckWithoutKeySkipsAuth(t *testing.T) {
	base := startReference(t, nil)

	report, err := Check(context.Background(), base, WithRun("^auth/|^execute/stdout$"))
	if err != nil {
		t.Fatalf("Check: %v", err)
	}
	want := map[string]Outcome{"execute/stdout": Pass, "auth/missing-token": Skip, "auth/wrong-token": Skip}
	if got := outcomes(report); !maps.Equal(got, want) {
		t.Errorf("outcomes = %v, expected %v", got, want)
	}
	for _, result := range report.Results {
		if result.Outcome == Skip && !strings.Contains(result.Reason, "no API key") {
			t.Errorf("%s skipped with reason %q, expected it to name the missing key", result.Scenario, result.Reason)
		}
	}
	if !report.Passed() {
		t.Error("Passed() = false with only passes and skips")
	}
}

// breakage describes how a broken server differs from the reference server. Each function, if
// set, edits a decoded JSON body in place.
type breakage struct {
	// request edits the body of an execute request before the server reads it.
	request func(body map[string]any)
	// response edits a JSON response body of the operation at path ("/tci/execute" or
	// "/tci/sessions"), given the status and whether the request had a session_id.
	response func(path string, status int, hadSession bool, body map[string]any)
	// raw replaces a response entirely when it returns true.
	raw func(w http.ResponseWriter, path string, status int, hadSession bool) bool
}

// wrap returns middleware that applies b to the traffic of the reference server.
func (b breakage) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		path := strings.TrimPrefix(r.URL.Path, server.BasePath)
		hadSession := false
		if r.Method == http.MethodPost {
			body, _ := io.ReadAll(r.Body)
			var decoded map[string]any
			if json.Unmarshal(body, &decoded) == nil {
				_, hadSession = decoded["session_id"]
				if b.request != nil {
					b.request(decoded)
					body, _ = json.Marshal(decoded)
				}
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
			r.ContentLength = int64(len(body))
		}

		recorder := httptest.NewRecorder()
		next.ServeHTTP(recorder, r)
		if b.raw != nil && b.raw(w, path, recorder.Code, hadSession) {
			return
		}
		body := recorder.Body.Bytes()
		var decoded map[string]any
		if b.response != nil && json.Unmarshal(body, &decoded) == nil {
			b.response(path, recorder.Code, hadSession, decoded)
			body, _ = json.Marshal(decoded)
		}
		maps.Copy(w.Header(), recorder.Header())
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(recorder.Code)
		w.Write(body)
	})
}

// editOutputs applies edit to the outputs of every successful execution.
func editOutputs(edit func(outputs []any) []any) func(string, int, bool, map[string]any) {
	return func(path string, status int, hadSession bool, body map[string]any) {
		data, ok := body["data"].(map[string]any)
		if path != "/tci/execute" || !ok {
			return
		}
		outputs, _ := data["outputs"].([]any)
		data["outputs"] = edit(outputs)
	}
}

// withoutType drops the outputs of type typ.
func withoutType(typ string) func([]any) []any {
	return func(outputs []any) []any {
		return slices.DeleteFunc(outputs, func(o any) bool { return o.(map[string]any)["type"] == typ })
	}
}

// editSessions applies edit to every session of a session list.
func editSessions(edit func(session map[string]any)) func(string, int, bool, map[string]any) {
	return func(path string, status int, hadSession bool, body map[string]any) {
		data, ok := body["data"].(map[string]any)
		if path != "/tci/sessions" || !ok {
			return
		}
		sessions, _ := data["sessions"].([]any)
		for _, s := range sessions {
			edit(s.(map[string]any))
		}
	}
}

var successfulExecutes = []string{
	"execute/stdout", "execute/stream-order", "execute/error-output", "execute/execute-result",
	"session/state", "files/string", "files/base64", "sessions/list",
}

func TestCheckBrokenServers(t *testing.T) {
	tests := []struct {
		name     string
		breakage breakage
		// token makes the reference server require testToken; Check always sends it.
		token    bool
		wantFail []string
	}{
		{
			name: "stderr reported as stdout",
			breakage: breakage{response: editOutputs(func(outputs []any) []any {
				for _, o := range outputs {
					if o := o.(map[string]any); o["type"] == "stderr" {
						o["type"] = "stdout"
					}
				}
				return outputs
			})},
			token:    true,
			wantFail: []string{"execute/stream-order"},
		},
		{
			name: "outputs in reverse order",
			breakage: breakage{response: editOutputs(func(outputs []any) []any {
				slices.Reverse(outputs)
				return outputs
			})},
			token:    true,
			wantFail: []string{"execute/stream-order"},
		},
		{
			name:     "execute_result missing",
			breakage: breakage{response: editOutputs(withoutType("execute_result"))},
			token:    true,
			wantFail: []string{"execute/execute-result"},
		},
		{
			name:     "error output missing",
			breakage: breakage{response: editOutputs(withoutType("error"))},
			token:    true,
			wantFail: []string{"execute/error-output"},
		},
		{
			name: "status outside the spec's enum",
			breakage: breakage{response: func(path string, status int, hadSession bool, body map[string]any) {
				if data, ok := body["data"].(map[string]any); ok && path == "/tci/execute" {
					data["status"] = "done"
				}
			}},
			token:    true,
			wantFail: successfulExecutes,
		},
		{
			name: "state not kept",
			breakage: breakage{request: func(body map[string]any) {
				delete(body, "session_id")
			}},
			token:    true,
			wantFail: []string{"session/state", "session/unknown", "sessions/list"},
		},
		{
			name: "unknown session as plain text",
			breakage: breakage{raw: func(w http.ResponseWriter, path string, status int, hadSession bool) bool {
				if path != "/tci/execute" || !hadSession || status == http.StatusOK {
					return false
				}
				http.Error(w, "session not found", status)
				return true
			}},
			token:    true,
			wantFail: []string{"session/unknown"},
		},
		{
			name: "files ignored",
			breakage: breakage{request: func(body map[string]any) {
				delete(body, "files")
			}},
			token:    true,
			wantFail: []string{"files/string", "files/base64"},
		},
		{
			name: "base64 files written as text",
			breakage: breakage{request: func(body map[string]any) {
				files, _ := body["files"].([]any)
				for _, f := range files {
					f.(map[string]any)["encoding"] = "string"
				}
			}},
			token:    true,
			wantFail: []string{"files/base64"},
		},
		{
			name: "execute_count off by one",
			breakage: breakage{response: editSessions(func(s map[string]any) {
				s["execute_count"] = s["execute_count"].(float64) + 1
			})},
			token:    true,
			wantFail: []string{"sessions/list"},
		},
		{
			name: "last_execute_at after expires_at",
			breakage: breakage{response: editSessions(func(s map[string]any) {
				s["last_execute_at"] = "2999-01-01T00:00:00Z"
			})},
			token:    true,
			wantFail: []string{"sessions/list"},
		},
		{
			name: "session list as HTML",
			breakage: breakage{raw: func(w http.ResponseWriter, path string, status int, hadSession bool) bool {
				if path != "/tci/sessions" || status != http.StatusOK {
					return false
				}
				w.Header().Set("Content-Type", "text/html")
				io.WriteString(w, "<html><body>sessions</body></html>")
				return true
			}},
			token:    true,
			wantFail: []string{"sessions/list"},
		},
		{
			name: "missing code defaulted to empty",
			breakage: breakage{request: func(body map[string]any) {
				if _, ok := body["code"]; !ok {
					body["code"] = ""
				}
			}},
			token:    true,
			wantFail: []string{"request/missing-code"},
		},
		{
			name:     "token ignored",
			token:    false,
			wantFail: []string{"auth/missing-token", "auth/wrong-token"},
		},
	}

	covered := map[string]bool{}
	for _, tt := range tests {
		for _, name := range tt.wantFail {
			covered[name] = true
		}
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var options []server.Option
			if tt.token {
				options = append(options, server.WithToken(testToken))
			}
			base := startReference(t, tt.breakage.wrap, options...)

			report, err := Check(context.Background(), base, WithAPIKey(testToken))
			if err != nil {
				t.Fatalf("Check: %v", err)
			}
			for _, result := range report.Results {
				wantFail := slices.Contains(tt.wantFail, result.Scenario)
				if wantFail && result.Outcome != Fail {
					t.Errorf("%s: %s, expected fail", result.Scenario, result.Outcome)
				}
				if !wantFail && result.Outcome != Pass {
					t.Errorf("%s: %s, expected pass: %s", result.Scenario, result.Outcome, result.Reason)
				}
				if result.Outcome == Fail && result.Reason == "" {
					t.Errorf("%s failed without a reason", result.Scenario)
				}
			}
			if report.Passed() {
				t.Error("Passed() = true against a broken server")
			}
		})
	}
	for _, name := range ScenarioNames() {
		if !covered[name] {
			t.Errorf("no broken server makes scenario %s fail", name)
		}
	}
}

func TestCheckReportsSpecViolations(t *testing.T) {
	wrap := breakage{response: editOutputs(func(outputs []any) []any {
		return append(outputs, map[string]any{"type": "stdout"})
	})}.wrap
	base := startReference(t, wrap)

	report, err := Check(context.Background(), base, WithRun("^execute/stdout$"))
	if err != nil {
		t.Fatal(err)
	}
	result := report.Results[0]
	if result.Outcome != Fail {
		t.Fatalf("outcome = %s, expected fail", result.Outcome)
	}
	if len(result.Violations) == 0 {
		t.Fatal("no violations for an output without data")
	}
	v := result.Violations[0]
	if v.Method != http.MethodPost || !strings.HasSuffix(v.URL, "/v1/tci/execute") {
		t.Errorf("violation names %s %s, expected POST .../v1/tci/execute", v.Method, v.URL)
	}
	if v.Operation != "tci/execute" || v.Direction != "response" || v.Status != http.StatusOK {
		t.Errorf("violation = %+v, expected a tci/execute response with status 200", v)
	}
	if !strings.HasPrefix(result.Reason, strconv.Itoa(len(result.Violations))+" spec violation") {
		t.Errorf("reason = %q, expected it to count the violations", result.Reason)
	}
}

func TestCheckServerDown(t *testing.T) {
	front := httptest.NewServer(http.NotFoundHandler())
	base := front.URL + "/v1"
	front.Close()

	report, err := Check(context.Background(), base, WithRun("^execute/stdout$"))
	if err != nil {
		t.Fatalf("Check returned an error for an unreachable server: %v", err)
	}
	result := report.Results[0]
	if result.Outcome != Fail || !strings.Contains(result.Reason, "POST "+base+"/tci/execute") {
		t.Errorf("result = %+v, expected a failure naming the request", result)
	}
}

func TestCheckCanceledContext(t *testing.T) {
	base := startReference(t, nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()

	report, err := Check(ctx, base, WithRun("^execute/"))
	if err != nil {
		t.Fatal(err)
	}
	for _, result := range report.Results {
		if result.Outcome != Fail || !strings.Contains(result.Reason, "context canceled") {
			t.Errorf("%s: %s %q, expected a failure naming the canceled context",
				result.Scenario, result.Outcome, result.Reason)
		}
	}
}

func TestCheckScenarioTimeout(t *testing.T) {
	release := make(chan struct{})
	slow := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-time.After(5 * time.Second):
		}
	})
	front := httptest.NewServer(slow)
	defer front.Close()
	defer close(release)

	started := time.Now()
	report, err := Check(context.Background(), front.URL+"/v1",
		WithRun("^execute/stdout$"), WithScenarioTimeout(50*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	if elapsed := time.Since(started); elapsed > 2*time.Second {
		t.Errorf("Check took %v with a 50ms scenario timeout", elapsed)
	}
	if result := report.Results[0]; !strings.Contains(result.Reason, "deadline exceeded") {
		t.Errorf("reason = %q, expected a timeout", result.Reason)
	}
}

func TestCheckProgress(t *testing.T) {
	base := startReference(t, nil)
	var seen []string
	report, err := Check(context.Background(), base, WithRun("^files/"),
		WithProgress(func(r Result) { seen = append(seen, r.Scenario) }))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"files/string", "files/base64"}
	if !slices.Equal(seen, want) {
		t.Errorf("progress saw %v, expected %v", seen, want)
	}
	if len(report.Results) != len(want) {
		t.Errorf("%d results, expected %d", len(report.Results), len(want))
	}
}

func TestCheckRejectsBadInput(t *testing.T) {
	tests := []struct {
		name    string
		baseURL string
		options []CheckOption
		want    string
	}{
		{"relative base URL", "localhost/v1", nil, "scheme must be http or https"},
		{"no host", "http:///v1", nil, "missing host"},
		{"query", "http://127.0.0.1:8787/v1?debug=1", nil, "it has a query or fragment"},
		{"user information", "http://user:hunter2@127.0.0.1:8787/v1", nil,
			`invalid base URL "http://xxxxx@127.0.0.1:8787/v1": it contains user information`},
		{"unparsable with password", "http://user:hunter2@[::1/v1", nil,
			`invalid base URL "http://xxxxx@[::1/v1": missing ']' in host`},
		{"bad pattern", "http://127.0.0.1:8787/v1", []CheckOption{WithRun("(")}, `invalid scenario pattern "("`},
		{"no match", "http://127.0.0.1:8787/v1", []CheckOption{WithRun("^nothing$")},
			`no scenario matches "^nothing$"; scenarios: execute/stdout`},
		{"empty key", "http://127.0.0.1:8787/v1", []CheckOption{WithAPIKey("")}, "empty API key"},
		{"key with newline", "http://127.0.0.1:8787/v1", []CheckOption{WithAPIKey("a\nb")}, "line break"},
		{"nil client", "http://127.0.0.1:8787/v1", []CheckOption{WithHTTPClient(nil)}, "nil HTTP client"},
		{"zero timeout", "http://127.0.0.1:8787/v1", []CheckOption{WithScenarioTimeout(0)}, "invalid scenario timeout 0s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Check(context.Background(), tt.baseURL, tt.options...)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %v, expected one containing %q", err, tt.want)
			}
			if err != nil && strings.Contains(err.Error(), "hunter2") {
				t.Errorf("error = %v shows the password of the base URL", err)
			}
		})
	}
}

func TestCheckReportTable(t *testing.T) {
	report := &CheckReport{
		BaseURL: "http://127.0.0.1:8787/v1",
		Results: []Result{
			{Scenario: "execute/stdout", Outcome: Pass, Duration: 42 * time.Millisecond},
			{Scenario: "execute/stream-order", Outcome: Fail, Duration: 40 * time.Millisecond,
				Reason:     "1 spec violation, the first: ...",
				Violations: []Violation{{Operation: "tci/execute", Direction: "response", Status: 200, Pointer: "/data", Reason: "bad"}}},
			{Scenario: "auth/missing-token", Outcome: Skip, Reason: "no API key given"},
		},
		Duration: 90 * time.Millisecond,
	}
	var out bytes.Buffer
	if err := report.WriteTable(&out); err != nil {
		t.Fatal(err)
	}
	text := out.String()
	for _, want := range []string{
		"SCENARIO              RESULT  DURATION  VIOLATIONS  REASON",
		"execute/stream-order  fail    40ms      1           1 spec violation",
		"auth/missing-token    skip    0s        0           no API key given",
		"execute/stream-order:\n  (tci/execute response 200): /data: bad",
		"1 passed, 1 failed, 1 skipped in 90ms against http://127.0.0.1:8787/v1",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("table lacks %q:\n%s", want, text)
		}
	}
}

func TestCheckReportJSON(t *testing.T) {
	report := &CheckReport{
		BaseURL: "http://127.0.0.1:8787/v1",
		Results: []Result{{Scenario: "execute/stdout", Outcome: Pass, Duration: 1500 * time.Microsecond}},
	}
	var out bytes.Buffer
	if err := report.WriteJSON(&out); err != nil {
		t.Fatal(err)
	}
	var decoded struct {
		Passed  bool `json:"passed"`
		Results []struct {
			Scenario   string  `json:"scenario"`
			Result     string  `json:"result"`
			DurationMS float64 `json:"duration_ms"`
			Violations []any   `json:"violations"`
		} `json:"results"`
	}
	if err := json.Unmarshal(out.Bytes(), &decoded); err != nil {
		t.Fatalf("invalid JSON: %v\n%s", err, out.String())
	}
	if !decoded.Passed || len(decoded.Results) != 1 {
		t.Fatalf("decoded = %+v", decoded)
	}
	got := decoded.Results[0]
	if got.Scenario != "execute/stdout" || got.Result != "pass" || got.DurationMS != 1.5 || got.Violations == nil {
		t.Errorf("result = %+v, expected execute/stdout pass 1.5ms with an empty violations array", got)
	}
}

func TestScenariosDescribed(t *testing.T) {
	names := map[string]bool{}
	for _, s := range Scenarios() {
		if s.Description == "" {
			t.Errorf("%s has no description", s.Name)
		}
		if names[s.Name] {
			t.Errorf("%s is listed twice", s.Name)
		}
		names[s.Name] = true
	}
}

// recordingTransport stands for the network: it records each request and sends nothing.
type recordingTransport struct {
	mu       sync.Mutex
	requests []*http.Request
}

func (rt *recordingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	rt.requests = append(rt.requests, req)
	return nil, errors.New("no network in this test")
}

func (rt *recordingTransport) sent() []*http.Request {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	return slices.Clone(rt.requests)
}

func TestCheckRefusesKeyOverPlainHTTP(t *testing.T) {
	const remote = "http://192.0.2.1:8080/v1" // reaches only recordingTransport
	tests := []struct {
		name    string
		baseURL string
		options []CheckOption
		refused bool
	}{
		{"key to remote host", remote, []CheckOption{WithAPIKey(testToken)}, true},
		{"key allowed by option", remote, []CheckOption{WithAPIKey(testToken), WithInsecureHTTP()}, false},
		{"no key", remote, nil, false},
		{"key over https", "https://192.0.2.1/v1", []CheckOption{WithAPIKey(testToken)}, false},
		{"key to loopback", "http://127.0.0.1:8080/v1", []CheckOption{WithAPIKey(testToken)}, false},
		{"key to localhost", "http://localhost:8080/v1", []CheckOption{WithAPIKey(testToken)}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			network := &recordingTransport{}
			options := append([]CheckOption{
				WithHTTPClient(&http.Client{Transport: network}),
				WithRun("^execute/stdout$"),
			}, tt.options...)
			_, err := Check(context.Background(), tt.baseURL, options...)
			if refused := errors.Is(err, ErrInsecureHTTP); refused != tt.refused {
				t.Fatalf("Check = %v, want refused %v", err, tt.refused)
			}
			sent := network.sent()
			if tt.refused {
				if !strings.Contains(err.Error(), "or WithInsecureHTTP to allow it") {
					t.Errorf("error %q does not name the way out", err)
				}
				if len(sent) > 0 {
					t.Errorf("%d requests sent after the refusal", len(sent))
				}
				return
			}
			if len(sent) == 0 {
				t.Fatal("no request reached the transport")
			}
			auth := sent[0].Header.Get("Authorization")
			if keyGiven := len(tt.options) > 0; keyGiven != (auth == "Bearer "+testToken) {
				t.Errorf("Authorization = %q with key given %v", auth, keyGiven)
			}
		})
	}
}

func TestCheckDropsKeyOnRedirectToOtherOrigin(t *testing.T) {
	var (
		mu       sync.Mutex
		requests int
		auth     []string
	)
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		requests++
		auth = append(auth, r.Header.Get("Authorization"))
		mu.Unlock()
		http.Error(w, "not the API", http.StatusInternalServerError)
	}))
	t.Cleanup(other.Close)
	// The same host on another port is another origin.
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+r.URL.Path, http.StatusTemporaryRedirect)
	}))
	t.Cleanup(front.Close)

	_, err := Check(context.Background(), front.URL+"/v1", WithAPIKey(testToken), WithRun("^execute/stdout$"))
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if requests == 0 {
		t.Fatal("the redirect was not followed")
	}
	for _, got := range auth {
		if got != "" {
			t.Errorf("Authorization %q reached another origin after a redirect", got)
		}
	}
}
