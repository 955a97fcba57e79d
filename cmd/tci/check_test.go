package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/tcikit/tci/tcitest"
)

func TestCheckPassesAgainstLocalServer(t *testing.T) {
	t.Parallel()
	o := tci(t, "check")
	o.expectCode(t, exitOK)
	if !strings.Contains(o.stdout, "12 passed, 0 failed, 0 skipped in ") {
		t.Errorf("stdout lacks the summary of 12 passing scenarios:\n%s", o.stdout)
	}
	if !strings.Contains(o.stderr, "running on the local reference server") {
		t.Errorf("stderr lacks the local server line:\n%s", o.stderr)
	}
}

func TestCheckJSONSelectedScenarios(t *testing.T) {
	t.Parallel()
	o := tci(t, "check", "--json", "--run", "^auth/")
	o.expectCode(t, exitOK)
	var report struct {
		Passed  bool `json:"passed"`
		Results []struct {
			Scenario string `json:"scenario"`
			Result   string `json:"result"`
		} `json:"results"`
	}
	if err := json.Unmarshal([]byte(o.stdout), &report); err != nil {
		t.Fatalf("stdout is not JSON: %v\n%s", err, o.stdout)
	}
	if !report.Passed || len(report.Results) != 2 {
		t.Fatalf("report = %+v, want the two auth scenarios passing", report)
	}
	for _, r := range report.Results {
		if r.Result != "pass" {
			t.Errorf("%s: %s, want pass; the local server's token must reach the scenarios", r.Scenario, r.Result)
		}
	}
}

func TestCheckRemoteWithoutKeySkipsAuth(t *testing.T) {
	t.Parallel()
	srv := tcitest.NewServer(t)
	o := tci(t, "check", "--base-url", srv.URL(), "--run", "^(auth/|execute/stdout$)")
	o.expectCode(t, exitFailed)
	if !strings.Contains(o.stdout, "1 passed, 0 failed, 2 skipped") {
		t.Errorf("stdout lacks the summary:\n%s", o.stdout)
	}
	if !strings.Contains(o.stderr, "tci: 2 selected scenarios skipped; give the server's token") {
		t.Errorf("stderr does not explain the skips:\n%s", o.stderr)
	}

	selected := tci(t, "check", "--base-url", srv.URL(), "--run", "^execute/")
	selected.expectCode(t, exitOK)
}

func TestCheckRemoteWithKeyRunsAuth(t *testing.T) {
	t.Parallel()
	srv := tcitest.NewServer(t, tcitest.WithToken("check-token"))
	env := map[string]string{"TOGETHER_BASE_URL": srv.URL(), "TOGETHER_API_KEY": "check-token"}
	o := tciEnv(t, env, "check", "--run", "^auth/")
	o.expectCode(t, exitOK)
	if !strings.Contains(o.stdout, "2 passed, 0 failed, 0 skipped") {
		t.Errorf("stdout lacks the summary:\n%s", o.stdout)
	}
}

func TestCheckBrokenServerFails(t *testing.T) {
	t.Parallel()
	url := fakeServer(t, respond(200, "application/json", offSpecExecute))
	o := tci(t, "check", "--base-url", url, "--run", "^execute/stdout$")
	o.expectCode(t, exitFailed)
	if !strings.Contains(o.stdout, `execute/stdout  fail`) || !strings.Contains(o.stdout, "/data/status") {
		t.Errorf("stdout does not report the violation:\n%s", o.stdout)
	}
}

func TestCheckUsageErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"check", "--run", "^nothing$", "--base-url", "http://127.0.0.1:9/v1"},
			`no scenario matches "^nothing$"`},
		{[]string{"check", "--run", "(", "--base-url", "http://127.0.0.1:9/v1"}, "invalid scenario pattern"},
		{[]string{"check", "extra"}, `check takes no arguments, got "extra"`},
	}
	for _, tt := range tests {
		o := tci(t, tt.args...)
		o.expectCode(t, exitUsage)
		if !strings.Contains(o.stderr, tt.want) {
			t.Errorf("%v: stderr = %q, want it to contain %q", tt.args, o.stderr, tt.want)
		}
	}
}

func TestCheckRefusesKeyOverPlainHTTP(t *testing.T) {
	t.Parallel()
	// The run starts with its context canceled, so no request could leave even if the
	// refusal were missing: the check would then end as interrupted.
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	o := invocation{ctx: ctx, args: []string{"--base-url", "http://192.0.2.1:8080/v1", "--api-key", "key",
		"check"}}.run(t)
	o.expectCode(t, exitUsage)
	want := "tci: refusing to send the API key over plain HTTP to 192.0.2.1:8080, where anyone"
	if !strings.Contains(o.stderr, want) {
		t.Errorf("stderr lacks %q:\n%s", want, o.stderr)
	}
	if o.stdout != "" {
		t.Errorf("stdout = %q, want no report", o.stdout)
	}
	if !strings.Contains(o.stderr, "allow it with --insecure-http") {
		t.Errorf("stderr lacks the flag that allows it:\n%s", o.stderr)
	}
}

func TestCheckInsecureHTTPAllowsPlainRemote(t *testing.T) {
	t.Parallel()
	// The canceled context keeps every request from leaving, so the check ends as
	// interrupted once it gets past the refusal.
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	o := invocation{ctx: ctx, args: []string{"--base-url", "http://192.0.2.1:8080/v1", "--api-key", "key",
		"--insecure-http", "check", "--run", "^execute/stdout$"}}.run(t)
	o.expectCode(t, exitInterrupted)
	if strings.Contains(o.stderr, "refusing") {
		t.Errorf("stderr = %q, want no refusal with --insecure-http", o.stderr)
	}
}

func TestCheckShortKeyKeepsScenarioNames(t *testing.T) {
	t.Parallel()
	srv := tcitest.NewServer(t, tcitest.WithToken("k"))
	o := tci(t, "check", "--base-url", srv.URL(), "--api-key", "k", "--run", "^auth/")
	o.expectCode(t, exitOK)
	for _, name := range []string{"auth/missing-token", "auth/wrong-token"} {
		if !strings.Contains(o.stdout, name) {
			t.Errorf("report lacks the scenario name %s:\n%s", name, o.stdout)
		}
	}
	if strings.Contains(o.stdout, "[REDACTED]") {
		t.Errorf("report redacts a 1-byte key:\n%s", o.stdout)
	}
}
