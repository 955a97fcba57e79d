package proxy

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/tcikit/tci/contract"
	"github.com/tcikit/tci/internal/syncbuffer"
	"github.com/tcikit/tci/server"
)

// startReferenceUpstream serves the reference server on loopback and returns its root URL.
func startReferenceUpstream(t *testing.T, options ...server.Option) string {
	t.Helper()
	srv, err := server.New(options...)
	if err != nil {
		t.Fatalf("server.New: %v", err)
	}
	up := httptest.NewServer(srv.Handler())
	t.Cleanup(func() {
		up.Close()
		srv.Close()
	})
	return up.URL
}

func TestCheckThroughProxy(t *testing.T) {
	upstream := startReferenceUpstream(t, server.WithToken(token))
	for _, mode := range []Mode{ModeReport, ModeEnforce} {
		t.Run(string(mode), func(t *testing.T) {
			logs := &syncbuffer.Buffer{}
			logger, err := NewLogger(logs, LogFormatText, slog.LevelDebug)
			if err != nil {
				t.Fatal(err)
			}
			p, err := New(upstream, WithMode(mode), WithLogger(logger))
			if err != nil {
				t.Fatal(err)
			}
			front := httptest.NewServer(p)
			defer front.Close()

			report, err := contract.Check(context.Background(), front.URL+"/v1", contract.WithAPIKey(token))
			if err != nil {
				t.Fatal(err)
			}
			for _, result := range report.Results {
				if result.Outcome != contract.Pass {
					t.Errorf("%s: %s: %s", result.Scenario, result.Outcome, result.Reason)
				}
			}
			// The scenario that sends no code is the only violation the proxy may see.
			if got := strings.Count(logs.String(), "msg=\"contract violation\""); got != 1 {
				t.Errorf("%d violations logged, expected 1 for the request without code:\n%s", got, logs)
			}
			if strings.Contains(logs.String(), token) {
				t.Errorf("log shows the token:\n%s", logs)
			}
		})
	}
}

func TestEnforceModeRejectsBeforeReference(t *testing.T) {
	upstream := startReferenceUpstream(t)
	p, err := New(upstream, WithMode(ModeEnforce))
	if err != nil {
		t.Fatal(err)
	}
	front := httptest.NewServer(p)
	defer front.Close()

	res, body := post(t, front.URL+"/v1/tci/execute", `{"code":"print(1)","language":"ruby"}`)
	if res.StatusCode != http.StatusBadRequest {
		t.Fatalf("status = %d, expected 400: %s", res.StatusCode, body)
	}
	requireSpecError(t, res, body)

	req, _ := http.NewRequest(http.MethodGet, front.URL+"/v1/tci/sessions", nil)
	res, body = send(t, req)
	if res.StatusCode != http.StatusOK || strings.Contains(string(body), "ses_") {
		t.Errorf("session list = %d %s, expected no session from the rejected request", res.StatusCode, body)
	}
	if n := violationCount(t, res); n != 0 {
		t.Errorf("%s = %d on the reference server's session list", ViolationsHeader, n)
	}
}

func TestDefaultCapAboveServerLimits(t *testing.T) {
	if DefaultMaxBodyBytes < server.DefaultMaxBodyBytes {
		t.Errorf("DefaultMaxBodyBytes = %d, want at least the server's request limit %d",
			DefaultMaxBodyBytes, server.DefaultMaxBodyBytes)
	}
	if largest := int64(server.DefaultMaxOutputBytes + server.MaxResponseOverhead); DefaultMaxBodyBytes < largest {
		t.Errorf("DefaultMaxBodyBytes = %d, want at least the server's largest response, %d bytes",
			DefaultMaxBodyBytes, largest)
	}
}

func TestEnforceModePassesFullSizeExchange(t *testing.T) {
	// The largest request the reference server accepts and a response that carries its whole
	// output limit, which the JSON around the output makes larger than the limit.
	code := strings.Repeat("#", server.DefaultMaxBodyBytes-64)
	request := `{"code":"` + code + `","language":"python"}`
	response := `{"data":{"session_id":"ses_1","status":"success","outputs":[{"type":"stdout","data":"` +
		strings.Repeat("x", server.DefaultMaxOutputBytes) + `"}]},"errors":null}`
	up := newUpstream(t, respondJSON(response))
	front, _ := startProxy(t, up, WithMode(ModeEnforce))

	res, body := post(t, front+"/v1/tci/execute", request)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("status %d: %.300s", res.StatusCode, body)
	}
	if len(body) != len(response) {
		t.Errorf("response has %d bytes, want the upstream's %d", len(body), len(response))
	}
	if len(up.body()) != len(request) {
		t.Errorf("upstream got %d bytes, want the request's %d", len(up.body()), len(request))
	}
}
