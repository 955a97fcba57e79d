package main

import (
	"encoding/json"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/tcikit/tci/tcitest"
)

func TestProxyPassesRequestsThrough(t *testing.T) {
	t.Parallel()
	upstream := tcitest.NewServer(t)
	p := startServing(t, nil, "proxy", "--upstream", upstream.URL(), "--listen", "127.0.0.1:0")
	if strings.HasSuffix(p.baseURL, "/v1") {
		t.Errorf("base URL = %q; with an upstream path of /v1 the proxy's root is the base URL", p.baseURL)
	}

	o := tci(t, "--base-url", p.baseURL, "exec", "print(sum(range(10)))")
	o.expectCode(t, exitOK)
	if o.stdout != "45\n" {
		t.Errorf("stdout through the proxy = %q, want %q", o.stdout, "45\n")
	}
	if n := len(upstream.Requests()); n != 1 {
		t.Errorf("upstream received %d requests, want 1", n)
	}

	stopped := p.stop()
	stopped.expectCode(t, exitOK)
	for _, want := range []string{`msg="proxy listening"`, "mode=report", `msg="proxy stopped"`} {
		if !strings.Contains(stopped.stderr, want) {
			t.Errorf("log lacks %q:\n%s", want, stopped.stderr)
		}
	}
}

func TestProxyEnforceLogsJSON(t *testing.T) {
	t.Parallel()
	upstream := tcitest.NewServer(t)
	root := strings.TrimSuffix(upstream.URL(), "/v1")
	p := startServing(t, nil, "proxy", "--upstream", root, "--listen", "127.0.0.1:0",
		"--mode", "enforce", "--log-format", "json")
	if !strings.HasSuffix(p.baseURL, "/v1") {
		t.Errorf("base URL = %q; an upstream without a path needs /v1", p.baseURL)
	}

	resp, err := http.Post(p.baseURL+"/tci/execute", "application/json", strings.NewReader(`{"code": 42}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("status = %d, want 400 for a request that breaks the spec", resp.StatusCode)
	}
	if n := len(upstream.Requests()); n != 0 {
		t.Errorf("upstream received %d requests, want none in enforce mode", n)
	}

	stopped := p.stop()
	var sawViolation bool
	for _, line := range strings.Split(strings.TrimSpace(stopped.stderr), "\n") {
		var record map[string]any
		if err := json.Unmarshal([]byte(line), &record); err != nil {
			t.Errorf("log line is not JSON: %q", line)
			continue
		}
		sawViolation = sawViolation || record["msg"] == "contract violation"
	}
	if !sawViolation {
		t.Errorf("log has no contract violation:\n%s", stopped.stderr)
	}
}

func TestProxyUsageErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"proxy"}, "missing --upstream URL"},
		{[]string{"proxy", "--upstream", "ftp://127.0.0.1"}, "--upstream: invalid upstream URL"},
		{[]string{"proxy", "--upstream", "http://127.0.0.1:9", "--mode", "block"},
			`--mode: invalid proxy mode "block"`},
		{[]string{"proxy", "--upstream", "http://127.0.0.1:9", "--log-format", "xml"},
			`--log-format: invalid log format "xml"`},
		{[]string{"proxy", "--upstream", "http://127.0.0.1:9", "--listen", "8788"}, `--listen "8788"`},
		{[]string{"proxy", "--upstream", "http://127.0.0.1:9", "--max-body-bytes", "0"},
			"--max-body-bytes must be positive"},
		{[]string{"proxy", "--upstream", "http://127.0.0.1:9", "--max-body-bytes", "16MiB"},
			"not a whole number of bytes"},
		{[]string{"proxy", "--upstream", "http://user:hunter2@127.0.0.1:9"},
			`--upstream: invalid upstream URL "http://xxxxx@127.0.0.1:9": it contains user information`},
	}
	for _, tt := range tests {
		o := tci(t, tt.args...)
		o.expectCode(t, exitUsage)
		if !strings.Contains(o.stderr, tt.want) {
			t.Errorf("%v: stderr = %q, want it to contain %q", tt.args, o.stderr, tt.want)
		}
	}
}

func TestProxyRejectsPlainRemoteUpstream(t *testing.T) {
	t.Parallel()
	o := tci(t, "proxy", "--upstream", "http://192.0.2.1:8080/v1", "--listen", "127.0.0.1:0")
	o.expectCode(t, exitUsage)
	want := "tci: --upstream: refusing to forward API keys over plain HTTP to 192.0.2.1:8080"
	if !strings.Contains(o.stderr, want) {
		t.Errorf("stderr = %q, want %q", o.stderr, want)
	}
	if !strings.Contains(o.stderr, "--insecure-upstream") {
		t.Errorf("stderr = %q, want the flag that allows it", o.stderr)
	}
}

func TestProxyInsecureUpstreamWarns(t *testing.T) {
	t.Parallel()
	// 192.0.2.1 is a documentation address; the proxy never connects without a request.
	p := startServing(t, nil, "proxy", "--upstream", "http://192.0.2.1:8080/v1", "--listen", "127.0.0.1:0",
		"--insecure-upstream")
	stopped := p.stop()
	stopped.expectCode(t, exitOK)
	if !strings.Contains(stopped.stderr, "forwarding over plain HTTP beyond loopback") {
		t.Errorf("log lacks the warning about the plain upstream:\n%s", stopped.stderr)
	}
}

func TestProxyMaxBodyBytesFlag(t *testing.T) {
	t.Parallel()
	upstream := tcitest.NewServer(t)
	p := startServing(t, nil, "proxy", "--upstream", upstream.URL(), "--listen", "127.0.0.1:0",
		"--mode", "enforce", "--max-body-bytes", "1024")

	code := "print(len('" + strings.Repeat("x", 2048) + "'))"
	o := tci(t, "--base-url", p.baseURL, "exec", code)
	o.expectCode(t, exitRequest)
	if !strings.Contains(o.stderr, "413 Request Entity Too Large") {
		t.Errorf("stderr = %q, want the proxy's 413 for a body over 1024 bytes", o.stderr)
	}
	if n := len(upstream.Requests()); n != 0 {
		t.Errorf("upstream received %d requests, want none", n)
	}
	stopped := p.stop()
	if !strings.Contains(stopped.stderr, "max_body_bytes=1024") {
		t.Errorf("log lacks the cap:\n%s", stopped.stderr)
	}
}

func TestProxyBaseURL(t *testing.T) {
	addr := &net.TCPAddr{IP: net.IPv4zero, Port: 8788}
	for upstream, want := range map[string]string{
		"http://127.0.0.1:8080":     "http://127.0.0.1:8788/v1",
		"http://127.0.0.1:8080/":    "http://127.0.0.1:8788/v1",
		"http://127.0.0.1:8080/v1":  "http://127.0.0.1:8788",
		"https://example.test/api/": "http://127.0.0.1:8788",
	} {
		u, _ := url.Parse(upstream)
		if got := proxyBaseURL(addr, u); got != want {
			t.Errorf("proxyBaseURL(%s) = %q, want %q", upstream, got, want)
		}
	}
}
