package proxy

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tcikit/tci/internal/syncbuffer"
	"github.com/tcikit/tci/validate"
)

const (
	token        = "secret-token-0123456789"
	validRequest = `{"code":"print(1)","language":"python"}`
	validSuccess = `{"data":{"session_id":"ses_1","outputs":[{"type":"stdout","data":"1\n"}]},"errors":null}`
	// badSuccess has an output without data, which every member of the output union requires.
	badSuccess = `{"data":{"session_id":"ses_1","outputs":[{"type":"stdout"}]},"errors":null}`
)

// upstream is an httptest server that handles every request with respond and counts the
// requests it received.
type upstream struct {
	*httptest.Server
	calls    atomic.Int32
	mu       sync.Mutex
	lastBody []byte
}

func newUpstream(t *testing.T, respond http.HandlerFunc) *upstream {
	t.Helper()
	u := &upstream{}
	u.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u.calls.Add(1)
		if r.URL.Path == "/v1/tci/execute" {
			body, _ := io.ReadAll(r.Body)
			u.mu.Lock()
			u.lastBody = body
			u.mu.Unlock()
			r.Body = io.NopCloser(bytes.NewReader(body))
		}
		respond(w, r)
	}))
	t.Cleanup(u.Close)
	return u
}

func (u *upstream) body() []byte {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.lastBody
}

func respondJSON(body string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, body)
	}
}

// startProxy serves a Proxy for up on a loopback httptest server and returns its URL and the
// log it writes.
func startProxy(t *testing.T, up *upstream, options ...Option) (string, *syncbuffer.Buffer) {
	t.Helper()
	logs := &syncbuffer.Buffer{}
	logger, err := NewLogger(logs, LogFormatJSON, slog.LevelDebug)
	if err != nil {
		t.Fatal(err)
	}
	p, err := New(up.URL, append([]Option{WithLogger(logger)}, options...)...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	front := httptest.NewServer(p)
	t.Cleanup(front.Close)
	return front.URL, logs
}

func post(t *testing.T, url, body string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	return send(t, req)
}

func send(t *testing.T, req *http.Request) (*http.Response, []byte) {
	t.Helper()
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res, body
}

func violationCount(t *testing.T, res *http.Response) int {
	t.Helper()
	value := res.Header.Get(ViolationsHeader)
	n, err := strconv.Atoi(value)
	if err != nil {
		t.Fatalf("%s = %q, expected a number", ViolationsHeader, value)
	}
	return n
}

// requireSpecError checks that body is the spec's failure shape, judged against the execute
// operation's 200 schema, the only one the spec declares.
func requireSpecError(t *testing.T, res *http.Response, body []byte) {
	t.Helper()
	v, err := validate.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	if err := v.Response(validate.ExecuteCode, http.StatusOK, res.Header, body); err != nil {
		t.Errorf("error body breaks the spec: %v\n%s", err, body)
	}
	var decoded struct {
		Data   any              `json:"data"`
		Errors []map[string]any `json:"errors"`
	}
	if err := json.Unmarshal(body, &decoded); err != nil {
		t.Fatalf("decode error body: %v\n%s", err, body)
	}
	if decoded.Data != nil || len(decoded.Errors) == 0 {
		t.Errorf("error body = %s, expected data null and at least one error", body)
	}
}

func TestReportModeForwardsValidExchange(t *testing.T) {
	up := newUpstream(t, respondJSON(validSuccess))
	front, _ := startProxy(t, up)

	res, body := post(t, front+"/v1/tci/execute", validRequest)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("status = %d, expected 200: %s", res.StatusCode, body)
	}
	if string(body) != validSuccess {
		t.Errorf("body = %s, expected the upstream's", body)
	}
	if n := violationCount(t, res); n != 0 {
		t.Errorf("%s = %d, expected 0", ViolationsHeader, n)
	}
	if got := string(up.body()); got != validRequest {
		t.Errorf("upstream got body %q, expected %q", got, validRequest)
	}
}

func TestReportModeCountsResponseViolations(t *testing.T) {
	up := newUpstream(t, respondJSON(badSuccess))
	front, logs := startProxy(t, up)

	res, body := post(t, front+"/v1/tci/execute", validRequest)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("status = %d, expected the upstream's 200", res.StatusCode)
	}
	if string(body) != badSuccess {
		t.Errorf("body = %s, expected the upstream's", body)
	}
	if n := violationCount(t, res); n == 0 {
		t.Errorf("%s = 0, expected the response's violations", ViolationsHeader)
	}
	if !strings.Contains(logs.String(), `"msg":"contract violation"`) ||
		!strings.Contains(logs.String(), `"pointer":"/data/outputs/0"`) {
		t.Errorf("log lacks the violation at /data/outputs/0:\n%s", logs)
	}
}

func TestReportModeForwardsViolatingRequest(t *testing.T) {
	up := newUpstream(t, respondJSON(validSuccess))
	front, logs := startProxy(t, up)

	res, _ := post(t, front+"/v1/tci/execute", `{"language":"python"}`)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("status = %d, expected the upstream's 200", res.StatusCode)
	}
	if up.calls.Load() != 1 {
		t.Errorf("upstream got %d requests, expected 1", up.calls.Load())
	}
	if n := violationCount(t, res); n != 1 {
		t.Errorf("%s = %d, expected 1 for the missing code", ViolationsHeader, n)
	}
	if !strings.Contains(logs.String(), `"direction":"request"`) {
		t.Errorf("log lacks the request violation:\n%s", logs)
	}
}

func TestEnforceModeRejectsViolatingRequest(t *testing.T) {
	up := newUpstream(t, respondJSON(validSuccess))
	front, _ := startProxy(t, up, WithMode(ModeEnforce))

	res, body := post(t, front+"/v1/tci/execute", `{"code":42,"language":"python"}`)
	if res.StatusCode != http.StatusBadRequest {
		t.Fatalf("status = %d, expected 400: %s", res.StatusCode, body)
	}
	if up.calls.Load() != 0 {
		t.Errorf("upstream got %d requests, expected none", up.calls.Load())
	}
	if n := violationCount(t, res); n != 1 {
		t.Errorf("%s = %d, expected 1", ViolationsHeader, n)
	}
	requireSpecError(t, res, body)
	if !strings.Contains(string(body), `"pointer":"/code"`) {
		t.Errorf("error body does not point at /code: %s", body)
	}
}

func TestEnforceModeReplacesViolatingResponse(t *testing.T) {
	up := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Upstream", "yes")
		respondJSON(badSuccess)(w, r)
	})
	front, _ := startProxy(t, up, WithMode(ModeEnforce))

	res, body := post(t, front+"/v1/tci/execute", validRequest)
	if res.StatusCode != http.StatusBadGateway {
		t.Fatalf("status = %d, expected 502: %s", res.StatusCode, body)
	}
	if n := violationCount(t, res); n == 0 {
		t.Errorf("%s = 0, expected the response's violations", ViolationsHeader)
	}
	if res.Header.Get("X-Upstream") != "" {
		t.Error("502 carries the upstream's headers")
	}
	requireSpecError(t, res, body)
	if !strings.Contains(string(body), `"direction":"response"`) {
		t.Errorf("error body does not name the response: %s", body)
	}
}

func TestEnforceModeForwardsValidExchange(t *testing.T) {
	up := newUpstream(t, respondJSON(validSuccess))
	front, _ := startProxy(t, up, WithMode(ModeEnforce))

	res, body := post(t, front+"/v1/tci/execute", validRequest)
	if res.StatusCode != http.StatusOK || string(body) != validSuccess {
		t.Fatalf("got %d %s, expected the upstream's 200 %s", res.StatusCode, body, validSuccess)
	}
	if n := violationCount(t, res); n != 0 {
		t.Errorf("%s = %d, expected 0", ViolationsHeader, n)
	}
}

func TestSessionListJudged(t *testing.T) {
	up := newUpstream(t, respondJSON(`{"data":{"sessions":[{"id":"ses_1"}]}}`))
	front, _ := startProxy(t, up)

	req, _ := http.NewRequest(http.MethodGet, front+"/v1/tci/sessions", nil)
	res, _ := send(t, req)
	// The session lacks execute_count, expires_at, last_execute_at and started_at.
	if n := violationCount(t, res); n == 0 {
		t.Errorf("%s = 0, expected the missing properties", ViolationsHeader)
	}
}

func TestGzipResponseJudgedDecompressed(t *testing.T) {
	up := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if !strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
			io.WriteString(w, validSuccess)
			return
		}
		w.Header().Set("Content-Encoding", "gzip")
		zw := gzip.NewWriter(w)
		io.WriteString(zw, validSuccess)
		zw.Close()
	})
	front, _ := startProxy(t, up)

	req, _ := http.NewRequest(http.MethodPost, front+"/v1/tci/execute", strings.NewReader(validRequest))
	req.Header.Set("Content-Type", "application/json")
	// A client that sets Accept-Encoding itself gets the body as the proxy sends it.
	req.Header.Set("Accept-Encoding", "gzip")
	res, body := send(t, req)
	if n := violationCount(t, res); n != 0 {
		t.Errorf("%s = %d, expected 0", ViolationsHeader, n)
	}
	if string(body) != validSuccess {
		t.Errorf("body = %q, expected the uncompressed JSON", body)
	}
}

func TestNonSpecPathPassesThrough(t *testing.T) {
	const size = 8 << 20
	payload := bytes.Repeat([]byte("0123456789abcdef"), size/16)
	up := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		received, err := io.ReadAll(r.Body)
		if err != nil {
			t.Errorf("upstream read: %v", err)
		}
		sum := sha256.Sum256(received)
		w.Header().Set("Content-Type", "text/plain; not json")
		w.Header().Set("X-Received-Sum", string(sum[:4]))
		w.Write(payload)
	})
	// The cap is far below the payload, so only pass-through can deliver it.
	front, _ := startProxy(t, up, WithMode(ModeEnforce), WithMaxBodyBytes(1024))

	req, _ := http.NewRequest(http.MethodPut, front+"/v1/files/large.bin", bytes.NewReader(payload))
	res, body := send(t, req)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("status = %d, expected 200", res.StatusCode)
	}
	sum := sha256.Sum256(payload)
	if res.Header.Get("X-Received-Sum") != string(sum[:4]) {
		t.Error("upstream received a different request body")
	}
	if !bytes.Equal(body, payload) {
		t.Errorf("response body of %d bytes differs from the upstream's %d", len(body), len(payload))
	}
	if res.Header.Get(ViolationsHeader) != "" {
		t.Errorf("%s set on a path outside the spec", ViolationsHeader)
	}
}

func TestNonSpecPathStreamsResponse(t *testing.T) {
	firstChunkRead := make(chan struct{})
	up := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		w.Write(bytes.Repeat([]byte("a"), 1<<20))
		w.(http.Flusher).Flush()
		// The rest is written only once the client has read the first chunk, which a proxy
		// that buffers whole bodies would never let happen.
		select {
		case <-firstChunkRead:
		case <-time.After(5 * time.Second):
			t.Error("client never read the first chunk: the proxy buffered the response")
			return
		}
		w.Write([]byte("end"))
	})
	front, _ := startProxy(t, up)

	res, err := http.Get(front + "/v1/stream")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if _, err := io.ReadFull(res.Body, make([]byte, 1<<20)); err != nil {
		t.Fatalf("read first chunk: %v", err)
	}
	close(firstChunkRead)
	rest, err := io.ReadAll(res.Body)
	if err != nil || string(rest) != "end" {
		t.Errorf("rest = %q, %v; expected \"end\"", rest, err)
	}
}

func TestNonSpecPathStreamsRequest(t *testing.T) {
	firstChunkArrived := make(chan struct{})
	up := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		if _, err := io.ReadFull(r.Body, make([]byte, 1<<20)); err != nil {
			t.Errorf("upstream read first chunk: %v", err)
			return
		}
		close(firstChunkArrived)
		rest, _ := io.ReadAll(r.Body)
		io.WriteString(w, string(rest))
	})
	front, _ := startProxy(t, up)

	reader, writer := io.Pipe()
	go func() {
		writer.Write(bytes.Repeat([]byte("b"), 1<<20))
		// The rest is sent only once the upstream has the first chunk, which a proxy that
		// buffers whole bodies would never let happen.
		select {
		case <-firstChunkArrived:
			writer.Write([]byte("end"))
			writer.Close()
		case <-time.After(5 * time.Second):
			writer.CloseWithError(context.DeadlineExceeded)
		}
	}()
	req, _ := http.NewRequest(http.MethodPost, front+"/v1/upload", reader)
	res, body := send(t, req)
	if res.StatusCode != http.StatusOK || string(body) != "end" {
		t.Errorf("got %d %q, expected 200 \"end\": the proxy did not stream the request", res.StatusCode, body)
	}
}

func TestOversizedBodies(t *testing.T) {
	large := `{"code":"` + strings.Repeat("x", 4096) + `","language":"python"}`
	largeResponse := `{"data":{"session_id":"ses_1","outputs":[{"type":"stdout","data":"` +
		strings.Repeat("y", 4096) + `"}]},"errors":null}`

	t.Run("report forwards large request", func(t *testing.T) {
		up := newUpstream(t, respondJSON(validSuccess))
		front, logs := startProxy(t, up, WithMaxBodyBytes(1024))
		res, _ := post(t, front+"/v1/tci/execute", large)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("status = %d, expected 200", res.StatusCode)
		}
		if got := string(up.body()); got != large {
			t.Errorf("upstream got %d bytes, expected the %d sent", len(got), len(large))
		}
		if !strings.Contains(logs.String(), "request forwarded without validation") {
			t.Errorf("log lacks the warning:\n%s", logs)
		}
	})
	t.Run("enforce rejects large request", func(t *testing.T) {
		up := newUpstream(t, respondJSON(validSuccess))
		front, _ := startProxy(t, up, WithMode(ModeEnforce), WithMaxBodyBytes(1024))
		res, body := post(t, front+"/v1/tci/execute", large)
		if res.StatusCode != http.StatusRequestEntityTooLarge {
			t.Fatalf("status = %d, expected 413", res.StatusCode)
		}
		if up.calls.Load() != 0 {
			t.Error("upstream got the request")
		}
		requireSpecError(t, res, body)
	})
	t.Run("report forwards large response", func(t *testing.T) {
		up := newUpstream(t, respondJSON(largeResponse))
		front, _ := startProxy(t, up, WithMaxBodyBytes(1024))
		res, body := post(t, front+"/v1/tci/execute", validRequest)
		if string(body) != largeResponse {
			t.Errorf("body of %d bytes, expected the upstream's %d", len(body), len(largeResponse))
		}
		if n := violationCount(t, res); n != 0 {
			t.Errorf("%s = %d, expected 0", ViolationsHeader, n)
		}
	})
	t.Run("enforce replaces large response", func(t *testing.T) {
		up := newUpstream(t, respondJSON(largeResponse))
		front, _ := startProxy(t, up, WithMode(ModeEnforce), WithMaxBodyBytes(1024))
		res, body := post(t, front+"/v1/tci/execute", validRequest)
		if res.StatusCode != http.StatusBadGateway {
			t.Fatalf("status = %d, expected 502", res.StatusCode)
		}
		requireSpecError(t, res, body)
	})
}

func TestUpstreamDown(t *testing.T) {
	up := newUpstream(t, respondJSON(validSuccess))
	front, logs := startProxy(t, up)
	up.Close()

	res, body := post(t, front+"/v1/tci/execute", validRequest)
	if res.StatusCode != http.StatusBadGateway {
		t.Fatalf("status = %d, expected 502", res.StatusCode)
	}
	requireSpecError(t, res, body)
	if !strings.Contains(logs.String(), "upstream request failed") {
		t.Errorf("log lacks the upstream failure:\n%s", logs)
	}
}

func TestUpstreamPathPrepended(t *testing.T) {
	var gotPath atomic.Value
	up := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		gotPath.Store(r.URL.Path)
		respondJSON(validSuccess)(w, r)
	})
	p, err := New(up.URL + "/v1")
	if err != nil {
		t.Fatal(err)
	}
	front := httptest.NewServer(p)
	defer front.Close()

	res, _ := post(t, front.URL+"/tci/execute", validRequest)
	if got := gotPath.Load(); got != "/v1/tci/execute" {
		t.Errorf("upstream path = %v, expected /v1/tci/execute", got)
	}
	if n := violationCount(t, res); n != 0 {
		t.Errorf("%s = %d, expected 0", ViolationsHeader, n)
	}
}

func TestLogNeverShowsToken(t *testing.T) {
	for _, format := range []string{LogFormatText, LogFormatJSON} {
		t.Run(format, func(t *testing.T) {
			up := newUpstream(t, respondJSON(badSuccess))
			logs := &syncbuffer.Buffer{}
			logger, err := NewLogger(logs, format, slog.LevelDebug)
			if err != nil {
				t.Fatal(err)
			}
			for _, mode := range []Mode{ModeReport, ModeEnforce} {
				p, err := New(up.URL, WithMode(mode), WithLogger(logger), WithMaxBodyBytes(2048))
				if err != nil {
					t.Fatal(err)
				}
				front := httptest.NewServer(p)
				post(t, front.URL+"/v1/tci/execute", validRequest)
				post(t, front.URL+"/v1/tci/execute", `{"code":1}`)
				post(t, front.URL+"/v1/tci/execute", strings.Repeat(" ", 4096))
				post(t, front.URL+"/v1/elsewhere", validRequest)
				front.Close()
			}
			up.Close()
			p, _ := New(up.URL, WithLogger(logger))
			front := httptest.NewServer(p)
			post(t, front.URL+"/v1/tci/execute", validRequest)
			front.Close()

			if !strings.Contains(logs.String(), "contract violation") {
				t.Fatalf("log has no violation, so the check proves nothing:\n%s", logs)
			}
			if strings.Contains(logs.String(), token) || strings.Contains(logs.String(), "Bearer") {
				t.Errorf("log shows the token:\n%s", logs)
			}
		})
	}
}

func TestNewRejectsBadInput(t *testing.T) {
	tests := []struct {
		name     string
		upstream string
		options  []Option
		want     string
	}{
		{"unparsable upstream", "127.0.0.1:8787", nil, `invalid upstream URL "127.0.0.1:8787"`},
		{"ftp upstream", "ftp://127.0.0.1:8787", nil, "scheme must be http or https"},
		{"no host", "http:///v1", nil, "missing host"},
		{"query", "http://127.0.0.1:8787/?x=1", nil, "it has a query or fragment"},
		{"user information", "http://user:hunter2@127.0.0.1:8787", nil,
			`invalid upstream URL "http://xxxxx@127.0.0.1:8787": it contains user information`},
		{"unparsable with password", "http://user:hunter2@[::1", nil, `invalid upstream URL "http://xxxxx@[::1"`},
		{"bad mode", "http://127.0.0.1:8787", []Option{WithMode("block")}, `invalid proxy mode "block"`},
		{"nil logger", "http://127.0.0.1:8787", []Option{WithLogger(nil)}, "nil logger"},
		{"zero cap", "http://127.0.0.1:8787", []Option{WithMaxBodyBytes(0)}, "invalid maximum body size 0"},
		{"nil transport", "http://127.0.0.1:8787", []Option{WithTransport(nil)}, "nil transport"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.upstream, tt.options...)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %v, expected one containing %q", err, tt.want)
			}
			if err != nil && strings.Contains(err.Error(), "hunter2") {
				t.Errorf("error = %v shows the password of the upstream URL", err)
			}
		})
	}
}

func TestParseMode(t *testing.T) {
	for _, mode := range []Mode{ModeReport, ModeEnforce} {
		got, err := ParseMode(string(mode))
		if err != nil || got != mode {
			t.Errorf("ParseMode(%q) = %q, %v", mode, got, err)
		}
	}
	if _, err := ParseMode("Report"); err == nil {
		t.Error(`ParseMode("Report") succeeded, expected an error`)
	}
}

func TestNewLoggerFormats(t *testing.T) {
	var out bytes.Buffer
	logger, err := NewLogger(&out, LogFormatJSON, slog.LevelInfo)
	if err != nil {
		t.Fatal(err)
	}
	logger.Info("started", "addr", DefaultListenAddr)
	if !json.Valid(out.Bytes()) {
		t.Errorf("JSON logger wrote %q", out.String())
	}
	if _, err := NewLogger(&out, "yaml", slog.LevelInfo); err == nil || !strings.Contains(err.Error(), `"yaml"`) {
		t.Errorf("error = %v, expected one naming \"yaml\"", err)
	}
}
