package main

import (
	"errors"
	"io"
	"strings"
	"testing"
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
}

func TestConfigErrorNamesSource(t *testing.T) {
	c := newTestCLI(t, nil)
	query := &target{baseURL: "http://127.0.0.1:8080/v1?x=1", baseURLSource: "TOGETHER_BASE_URL"}
	_, err := c.newClient(query, nil)
	if err == nil || !strings.HasPrefix(err.Error(), "TOGETHER_BASE_URL: ") {
		t.Errorf("error = %v, want it to start with the variable's name", err)
	}
}
