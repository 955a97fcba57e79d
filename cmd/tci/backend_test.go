package main

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/tcikit/tci/wrapper"
)

func newTestCLI(t *testing.T, env map[string]string) *cli {
	return &cli{ctx: t.Context(), stdout: io.Discard, stderr: io.Discard, stdin: strings.NewReader(""),
		getenv: fakeEnv(env), global: defaultGlobalFlags()}
}

// The spec's server URL is only resolved here, never contacted: the hosted service is gone.
func TestResolveTargetKeyWithoutBaseURLUsesSpecServer(t *testing.T) {
	c := newTestCLI(t, map[string]string{"TOGETHER_API_KEY": "key"})
	target, err := c.resolveTarget(false)
	if err != nil {
		t.Fatal(err)
	}
	defer target.close()
	if target.local != nil {
		t.Error("a local server started although an API key is set")
	}
	if target.baseURL != "https://api.together.ai/v1" {
		t.Errorf("base URL = %q, want the spec's server URL", target.baseURL)
	}
}

func TestResolveTargetCheckWithKeyOnlyIsLocal(t *testing.T) {
	c := newTestCLI(t, map[string]string{"TOGETHER_API_KEY": "key"})
	target, err := c.resolveTarget(true)
	if err != nil {
		t.Fatal(err)
	}
	defer target.close()
	if target.local == nil {
		t.Fatal("check without a base URL did not start the local server")
	}
	if target.apiKey == "key" || !strings.HasPrefix(target.apiKey, "tci_") {
		t.Error("the local server's random token is not the API key")
	}
}

func TestNewClientRefusesKeyOverPlainHTTP(t *testing.T) {
	c := newTestCLI(t, nil)
	// newClient builds the client only; no request is sent to this address.
	_, err := c.newClient(&target{baseURL: "http://192.0.2.1:8080/v1", apiKey: "key",
		baseURLSource: "--base-url", apiKeySource: "--api-key"}, nil)
	var exitErr *exitError
	if !errors.As(err, &exitErr) || exitErr.code != exitUsage {
		t.Fatalf("newClient = %v, want a usage error", err)
	}
	want := "refusing to send the API key over plain HTTP to 192.0.2.1:8080"
	if !strings.Contains(err.Error(), want) {
		t.Errorf("error = %q, want it to contain %q", err, want)
	}

	c.global.insecureHTTP = true
	if _, err := c.newClient(&target{baseURL: "http://192.0.2.1:8080/v1", apiKey: "key"}, nil); err != nil {
		t.Errorf("newClient with --insecure-http = %v, want a client", err)
	}
}

func TestConfigErrorNamesSource(t *testing.T) {
	c := newTestCLI(t, nil)
	tests := []struct {
		name   string
		target *target
		want   string
	}{
		{"base URL from variable", &target{baseURL: "http://127.0.0.1:8080/v1?x=1",
			baseURLSource: "TOGETHER_BASE_URL"}, `TOGETHER_BASE_URL: invalid base URL "http://127.0.0.1:8080/v1?x=1"`},
		{"API key from variable", &target{baseURL: "http://127.0.0.1:8080/v1", apiKey: "a b",
			apiKeySource: "TOGETHER_API_KEY"}, "TOGETHER_API_KEY: invalid API key: it contains a space"},
		{"API key from flag", &target{baseURL: "http://127.0.0.1:8080/v1", apiKey: "a\tb",
			apiKeySource: "--api-key"}, "--api-key: invalid API key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.newClient(tt.target, nil)
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
				t.Errorf("error = %v, want it to start with %q", err, tt.want)
			}
		})
	}
}

// TestProcessEnvironmentNeverReachesRun is not parallel, because t.Setenv changes the
// environment of the whole test process.
func TestProcessEnvironmentNeverReachesRun(t *testing.T) {
	var junkRequests atomic.Int64
	junk := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		junkRequests.Add(1)
		http.Error(w, "this server is only in the process environment", http.StatusTeapot)
	}))
	t.Cleanup(junk.Close)
	const junkKey = "junk-key-from-the-process-environment"
	t.Setenv(wrapper.EnvBaseURL, junk.URL+"/v1")
	t.Setenv(wrapper.EnvAPIKey, junkKey)

	var (
		mu   sync.Mutex
		auth []string
	)
	url := fakeServer(t, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		auth = append(auth, r.Header.Get("Authorization"))
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		if r.Method == http.MethodGet {
			io.WriteString(w, `{"data":{"sessions":[]}}`)
			return
		}
		io.WriteString(w, `{"data":{"session_id":"ses_env","status":"success","outputs":[]},"errors":null}`)
	})

	local := tci(t, "exec", "print(1)")
	local.expectCode(t, exitOK)
	if local.stdout != "1\n" {
		t.Errorf("exec on the local server: stdout = %q, want %q", local.stdout, "1\n")
	}
	tci(t, "--base-url", url, "exec", "1").expectCode(t, exitOK)
	tci(t, "--base-url", url, "sessions").expectCode(t, exitOK)
	tci(t, "--base-url", url, "check", "--run", "^execute/stdout$")

	if n := junkRequests.Load(); n > 0 {
		t.Errorf("%d requests reached the base URL of the process environment", n)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(auth) < 3 {
		t.Fatalf("the fake server got %d requests, want at least 3", len(auth))
	}
	for i, got := range auth {
		if got != "" {
			t.Errorf("request %d carried Authorization %q without a key in the fake environment", i, got)
		}
	}
}
