package tcitest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tcikit/tci/server"
	"github.com/tcikit/tci/validate"
)

const printRequest = `{"code":"print(\"hi\")","language":"python"}`

// recordingTB records the failures that a Server reports instead of failing the test. It
// passes Helper and Cleanup to the real test.
type recordingTB struct {
	testing.TB
	mu       sync.Mutex
	failures []string
}

func (r *recordingTB) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.failures = append(r.failures, fmt.Sprintf(format, args...))
}

func (r *recordingTB) Fatalf(format string, args ...any) {
	r.Errorf(format, args...)
	runtime.Goexit()
}

func (r *recordingTB) recorded() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.failures...)
}

func do(t *testing.T, method, url, token, body string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res, data
}

func TestServerExecutesCode(t *testing.T) {
	t.Parallel()
	srv := NewServer(t)
	if !strings.HasSuffix(srv.URL(), "/v1") || !strings.HasPrefix(srv.URL(), "http://127.0.0.1:") {
		t.Errorf("URL() = %q, expected a loopback URL ending in /v1", srv.URL())
	}

	res, body := do(t, http.MethodPost, srv.URL()+"/tci/execute", "", printRequest)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("status = %d: %s", res.StatusCode, body)
	}
	var decoded struct {
		Data struct {
			Outputs []struct{ Type, Data string }
		}
	}
	if err := json.Unmarshal(body, &decoded); err != nil {
		t.Fatalf("decode %s: %v", body, err)
	}
	outputs := decoded.Data.Outputs
	if len(outputs) != 1 || outputs[0].Type != "stdout" || outputs[0].Data != "hi\n" {
		t.Errorf("outputs = %+v, expected one stdout output \"hi\\n\"", outputs)
	}
}

func TestServerRecordsRequests(t *testing.T) {
	t.Parallel()
	srv := NewServer(t, WithToken("token-under-test"))
	do(t, http.MethodPost, srv.URL()+"/tci/execute", "token-under-test", printRequest)
	do(t, http.MethodGet, srv.URL()+"/tci/sessions", "token-under-test", "")

	requests := srv.Requests()
	if len(requests) != 2 {
		t.Fatalf("%d requests recorded, expected 2", len(requests))
	}
	execute, list := requests[0], requests[1]
	if execute.Method != http.MethodPost || execute.Path != "/v1/tci/execute" || execute.Operation != "tci/execute" {
		t.Errorf("first request = %s %s (%s), expected POST /v1/tci/execute (tci/execute)",
			execute.Method, execute.Path, execute.Operation)
	}
	if string(execute.Body) != printRequest {
		t.Errorf("body = %s, expected %s", execute.Body, printRequest)
	}
	if got := execute.Header.Get("Authorization"); got != "Bearer "+Redacted {
		t.Errorf("Authorization = %q, expected %q", got, "Bearer "+Redacted)
	}
	if execute.Header.Get("Content-Type") != "application/json" {
		t.Errorf("Content-Type = %q, expected the header sent", execute.Header.Get("Content-Type"))
	}
	if list.Operation != "sessions/list" || len(list.Body) != 0 || list.Fault != nil {
		t.Errorf("second request = %+v, expected sessions/list without body or fault", list)
	}

	// The copy is the caller's to change.
	requests[0].Body[0] = 'X'
	if srv.Requests()[0].Body[0] != '{' {
		t.Error("Requests returned the recorded body itself")
	}
}

func TestRedactKeepsScheme(t *testing.T) {
	t.Parallel()
	header := http.Header{"Authorization": {"Bearer abc", "sk-raw"}, "X-Other": {"kept"}}
	got := redact(header)
	want := []string{"Bearer " + Redacted, Redacted}
	if values := got.Values("Authorization"); len(values) != 2 || values[0] != want[0] || values[1] != want[1] {
		t.Errorf("Authorization = %q, expected %q", values, want)
	}
	if got.Get("X-Other") != "kept" {
		t.Errorf("X-Other = %q, expected it unchanged", got.Get("X-Other"))
	}
	if header.Get("Authorization") != "Bearer abc" {
		t.Error("redact changed the header it was given")
	}
}

func TestServerRequiresToken(t *testing.T) {
	t.Parallel()
	srv := NewServer(t, WithToken("token-under-test"))
	if srv.Token() != "token-under-test" {
		t.Errorf("Token() = %q", srv.Token())
	}
	res, _ := do(t, http.MethodPost, srv.URL()+"/tci/execute", "", printRequest)
	if res.StatusCode != http.StatusUnauthorized {
		t.Errorf("status without token = %d, expected 401", res.StatusCode)
	}
	res, _ = do(t, http.MethodPost, srv.URL()+"/tci/execute", "token-under-test", printRequest)
	if res.StatusCode != http.StatusOK {
		t.Errorf("status with token = %d, expected 200", res.StatusCode)
	}
}

func TestServerFailsTestOnViolation(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		method string
		path   string
		body   string
		want   string
	}{
		{"missing code", http.MethodPost, "/v1/tci/execute", `{"language":"python"}`, "code"},
		{"missing language", http.MethodPost, "/v1/tci/execute", `{"code":"1"}`, "language"},
		{"numeric session id", http.MethodPost, "/v1/tci/execute",
			`{"code":"1","language":"python","session_id":7}`, "/session_id"},
		{"unknown path", http.MethodGet, "/v1/tci/files", "", "matches no operation"},
		{"wrong method", http.MethodDelete, "/v1/tci/sessions", "", "matches no operation"},
		{"outside base URL", http.MethodGet, "/tci/sessions", "", "outside the base URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tb := &recordingTB{TB: t}
			srv := NewServer(tb)
			base := strings.TrimSuffix(srv.URL(), server.BasePath)
			do(t, tt.method, base+tt.path, "", tt.body)

			failures := tb.recorded()
			if len(failures) != 1 {
				t.Fatalf("failures = %q, expected one", failures)
			}
			if !strings.Contains(failures[0], tt.want) || !strings.Contains(failures[0], tt.path) {
				t.Errorf("failure = %q, expected it to name %s and %q", failures[0], tt.path, tt.want)
			}
		})
	}
}

func TestServerValidRequestsPass(t *testing.T) {
	t.Parallel()
	tb := &recordingTB{TB: t}
	srv := NewServer(tb)
	do(t, http.MethodPost, srv.URL()+"/tci/execute", "", printRequest)
	do(t, http.MethodGet, srv.URL()+"/tci/sessions", "", "")
	if failures := tb.recorded(); len(failures) != 0 {
		t.Errorf("valid requests failed the test: %q", failures)
	}
}

func TestFaultStatusForNextRequests(t *testing.T) {
	t.Parallel()
	srv := NewServer(t)
	srv.Inject(2, Fault{Status: http.StatusServiceUnavailable})
	if srv.PendingFaults() != 2 {
		t.Errorf("PendingFaults() = %d, expected 2", srv.PendingFaults())
	}

	var statuses []int
	for range 3 {
		res, body := do(t, http.MethodPost, srv.URL()+"/tci/execute", "", printRequest)
		statuses = append(statuses, res.StatusCode)
		if res.StatusCode != http.StatusOK {
			requireFailureBody(t, res, body)
			if res.Header.Get("Retry-After") != "" {
				t.Errorf("Retry-After = %q without RetryAfter", res.Header.Get("Retry-After"))
			}
		}
	}
	if want := []int{503, 503, 200}; fmt.Sprint(statuses) != fmt.Sprint(want) {
		t.Errorf("statuses = %v, expected %v", statuses, want)
	}
	requests := srv.Requests()
	if requests[0].Fault == nil || requests[0].Fault.Status != 503 || requests[2].Fault != nil {
		t.Errorf("recorded faults = %v, %v, %v, expected 503, 503, none",
			requests[0].Fault, requests[1].Fault, requests[2].Fault)
	}
	if srv.PendingFaults() != 0 {
		t.Errorf("PendingFaults() = %d after 3 requests", srv.PendingFaults())
	}
}

// requireFailureBody checks that body is the spec's failure shape for the execute operation.
func requireFailureBody(t *testing.T, res *http.Response, body []byte) {
	t.Helper()
	v, err := validate.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	if err := v.Response(validate.ExecuteCode, http.StatusOK, res.Header, body); err != nil {
		t.Errorf("injected body breaks the spec: %v", err)
	}
	if !strings.HasPrefix(string(body), `{"data":null,"errors":[`) {
		t.Errorf("body = %s, expected the failure shape", body)
	}
}

func TestFaultRetryAfter(t *testing.T) {
	t.Parallel()
	tests := []struct {
		retryAfter time.Duration
		want       string
	}{
		{time.Second, "1"},
		{1500 * time.Millisecond, "2"},
		{time.Millisecond, "1"},
		{2 * time.Minute, "120"},
	}
	srv := NewServer(t)
	for _, tt := range tests {
		srv.Inject(1, Fault{Status: http.StatusTooManyRequests, RetryAfter: tt.retryAfter})
		res, _ := do(t, http.MethodGet, srv.URL()+"/tci/sessions", "", "")
		if res.StatusCode != http.StatusTooManyRequests {
			t.Errorf("status = %d, expected 429", res.StatusCode)
		}
		if got := res.Header.Get("Retry-After"); got != tt.want {
			t.Errorf("RetryAfter %v: Retry-After = %q, expected %q", tt.retryAfter, got, tt.want)
		}
	}
}

func TestFaultLatency(t *testing.T) {
	t.Parallel()
	srv := NewServer(t)
	do(t, http.MethodGet, srv.URL()+"/tci/sessions", "", "")

	srv.Inject(1, Fault{Latency: 300 * time.Millisecond})
	started := time.Now()
	res, _ := do(t, http.MethodGet, srv.URL()+"/tci/sessions", "", "")
	if elapsed := time.Since(started); elapsed < 300*time.Millisecond {
		t.Errorf("response after %v, expected at least 300ms", elapsed)
	}
	if res.StatusCode != http.StatusOK {
		t.Errorf("status = %d, expected the reference server's 200", res.StatusCode)
	}
}

func TestFaultLatencyEndsOnCancel(t *testing.T) {
	t.Parallel()
	srv := NewServer(t)
	srv.Inject(1, Fault{Latency: time.Minute})

	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL()+"/tci/sessions", nil)
	started := time.Now()
	_, err := http.DefaultClient.Do(req)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("error = %v, expected the client's deadline", err)
	}
	// Cleanup closes the server, which waits for the handler. A handler that slept the whole
	// minute would make the test time out.
	if elapsed := time.Since(started); elapsed > 5*time.Second {
		t.Errorf("request took %v", elapsed)
	}
}

func TestFaultLatencyWithStatus(t *testing.T) {
	t.Parallel()
	srv := NewServer(t)
	srv.Inject(1, Fault{Latency: 200 * time.Millisecond, Status: http.StatusBadGateway})
	started := time.Now()
	res, _ := do(t, http.MethodGet, srv.URL()+"/tci/sessions", "", "")
	if elapsed := time.Since(started); elapsed < 200*time.Millisecond {
		t.Errorf("response after %v, expected at least 200ms", elapsed)
	}
	if res.StatusCode != http.StatusBadGateway {
		t.Errorf("status = %d, expected 502", res.StatusCode)
	}
}

func TestFaultDrop(t *testing.T) {
	t.Parallel()
	srv := NewServer(t)
	srv.Inject(1, Fault{Drop: true})

	// A POST, because Go's transport resends a dropped GET on its own.
	req, _ := http.NewRequest(http.MethodPost, srv.URL()+"/tci/execute", strings.NewReader(printRequest))
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err == nil {
		res.Body.Close()
		t.Fatalf("request succeeded with status %d, expected a dropped connection", res.StatusCode)
	}
	if !errors.Is(err, io.EOF) && !strings.Contains(err.Error(), "EOF") {
		t.Errorf("error = %v, expected EOF from the closed connection", err)
	}

	res2, _ := do(t, http.MethodPost, srv.URL()+"/tci/execute", "", printRequest)
	if res2.StatusCode != http.StatusOK {
		t.Errorf("status after the drop = %d, expected 200", res2.StatusCode)
	}
	if requests := srv.Requests(); len(requests) != 2 || requests[0].Fault == nil || !requests[0].Fault.Drop {
		t.Errorf("requests = %+v, expected the dropped one recorded first", requests)
	}
}

func TestFaultMalformedBody(t *testing.T) {
	t.Parallel()
	srv := NewServer(t)
	srv.Inject(1, Fault{Body: MalformedBody})

	res, body := do(t, http.MethodPost, srv.URL()+"/tci/execute", "", printRequest)
	if res.StatusCode != http.StatusOK {
		t.Errorf("status = %d, expected the reference server's 200", res.StatusCode)
	}
	if json.Valid(body) {
		t.Errorf("body parses as JSON: %s", body)
	}
	if !strings.HasPrefix(string(body), `{"data":`) {
		t.Errorf("body = %s, expected the start of the real response", body)
	}
	if res.Header.Get("Content-Type") != "application/json" {
		t.Errorf("Content-Type = %q", res.Header.Get("Content-Type"))
	}
	// The request reached the reference server, so its session exists.
	_, list := do(t, http.MethodGet, srv.URL()+"/tci/sessions", "", "")
	if !strings.Contains(string(list), `"execute_count":1`) {
		t.Errorf("session list = %s, expected the session of the faulted request", list)
	}
}

func TestFaultOffSpecBody(t *testing.T) {
	t.Parallel()
	v, err := validate.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	srv := NewServer(t)
	for _, op := range []validate.Operation{validate.ExecuteCode, validate.ListSessions} {
		srv.Inject(1, Fault{Body: OffSpecBody})
		body := ""
		if op == validate.ExecuteCode {
			body = printRequest
		}
		res, data := do(t, op.Method, srv.URL()+op.Path, "", body)
		if !json.Valid(data) {
			t.Errorf("%s: body is not JSON: %s", op.ID, data)
		}
		if err := v.Response(op, res.StatusCode, res.Header, data); err == nil {
			t.Errorf("%s: off-spec body %s passes validation", op.ID, data)
		}
	}
}

func TestFaultStatusWithMalformedBody(t *testing.T) {
	t.Parallel()
	srv := NewServer(t)
	srv.Inject(1, Fault{Status: http.StatusInternalServerError, Body: MalformedBody})
	res, body := do(t, http.MethodGet, srv.URL()+"/tci/sessions", "", "")
	if res.StatusCode != http.StatusInternalServerError {
		t.Errorf("status = %d, expected 500", res.StatusCode)
	}
	if json.Valid(body) || !strings.HasPrefix(string(body), `{"data":null`) {
		t.Errorf("body = %s, expected half of the failure body", body)
	}
	if requests := srv.Requests(); len(requests) != 1 {
		t.Errorf("%d requests, expected 1", len(requests))
	}
}

func TestFaultCheck(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		fault Fault
		want  string
	}{
		{"empty", Fault{}, "empty fault"},
		{"informational status", Fault{Status: 101}, "invalid Status 101"},
		{"status above 599", Fault{Status: 600}, "invalid Status 600"},
		{"negative retry", Fault{Status: 503, RetryAfter: -time.Second}, "invalid RetryAfter -1s"},
		{"retry without status", Fault{RetryAfter: time.Second}, "RetryAfter needs Status"},
		{"negative latency", Fault{Latency: -time.Second}, "invalid Latency -1s"},
		{"drop with status", Fault{Drop: true, Status: 503}, "Drop sends no response"},
		{"drop with body", Fault{Drop: true, Body: MalformedBody}, "Drop sends no response"},
		{"unknown body", Fault{Body: "garbled"}, `invalid Body "garbled"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.fault.check()
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("check() = %v, expected an error containing %q", err, tt.want)
			}
		})
	}
	valid := []Fault{
		{Status: 503, RetryAfter: time.Second, Latency: time.Millisecond},
		{Drop: true, Latency: time.Millisecond},
		{Body: OffSpecBody, Status: 500},
	}
	for _, fault := range valid {
		if err := fault.check(); err != nil {
			t.Errorf("check(%+v) = %v, expected nil", fault, err)
		}
	}
}

func TestInjectFailsOnInvalidInput(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name  string
		n     int
		fault Fault
		want  string
	}{
		{"zero count", 0, Fault{Status: 503}, "n must be at least 1"},
		{"invalid fault", 1, Fault{}, "empty fault"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tb := &recordingTB{TB: t}
			srv := NewServer(tb)
			done := make(chan struct{})
			go func() {
				defer close(done)
				srv.Inject(tt.n, tt.fault)
			}()
			<-done
			failures := tb.recorded()
			if len(failures) != 1 || !strings.Contains(failures[0], tt.want) {
				t.Errorf("failures = %q, expected one containing %q", failures, tt.want)
			}
			if srv.PendingFaults() != 0 {
				t.Errorf("PendingFaults() = %d, expected the fault rejected", srv.PendingFaults())
			}
		})
	}
}

func TestNewServerRejectsBadOptions(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		options []Option
		want    string
	}{
		{"empty token", []Option{WithToken("")}, "empty token"},
		{"bad server option", []Option{WithServerOptions(server.WithExecTimeout(-1))}, "WithExecTimeout"},
		{"missing python", []Option{WithServerOptions(server.WithPython("/nonexistent/python3"))}, "not found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tb := &recordingTB{TB: t}
			done := make(chan struct{})
			go func() {
				defer close(done)
				NewServer(tb, tt.options...)
			}()
			<-done
			failures := tb.recorded()
			if len(failures) != 1 || !strings.Contains(failures[0], tt.want) {
				t.Errorf("failures = %q, expected one containing %q", failures, tt.want)
			}
		})
	}
}

func TestWithServerOptionsPassed(t *testing.T) {
	t.Parallel()
	srv := NewServer(t, WithServerOptions(server.WithExecTimeout(300*time.Millisecond)))
	res, body := do(t, http.MethodPost, srv.URL()+"/tci/execute", "",
		`{"code":"import time\ntime.sleep(5)","language":"python"}`)
	if res.StatusCode != http.StatusOK || !strings.Contains(string(body), `"type":"error"`) {
		t.Errorf("got %d %s, expected an error output for the exec timeout", res.StatusCode, body)
	}
}
