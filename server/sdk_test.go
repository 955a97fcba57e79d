package server

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/tcikit/tci/generated"
)

// requireSDK returns the path of node, or skips the test when node or the SDK's node_modules is
// missing, unless TCI_REQUIRE_SDK_TEST=1 makes that a failure. "npm ci" in
// testdata/sdk-js installs the SDK.
func requireSDK(t *testing.T, dir string) string {
	t.Helper()
	node, err := exec.LookPath("node")
	if err == nil {
		_, err = os.Stat(filepath.Join(dir, "node_modules", "together-ai", "package.json"))
	}
	if err == nil {
		return node
	}
	if os.Getenv("TCI_REQUIRE_SDK_TEST") == "1" {
		t.Fatalf("the SDK test needs node and \"npm ci\" in %s: %v", dir, err)
	}
	t.Skipf("skipping the SDK test: %v; install node and run \"npm ci\" in %s", err, dir)
	return ""
}

// sdkResult is what testdata/sdk-js/sdk.mjs prints.
type sdkResult struct {
	First          generated.SuccessfulExecution `json:"first"`
	Second         generated.SuccessfulExecution `json:"second"`
	Upload         generated.SuccessfulExecution `json:"upload"`
	Sessions       generated.SessionListResponse `json:"sessions"`
	UnknownSession *sdkError                     `json:"unknownSession"`
	WrongKey       *sdkError                     `json:"wrongKey"`
}

type sdkError struct {
	Name    string `json:"name"`
	Status  int    `json:"status"`
	Message string `json:"message"`
}

func TestOfficialTypeScriptSDK(t *testing.T) {
	t.Parallel()
	dir, err := filepath.Abs(filepath.Join("testdata", "sdk-js"))
	if err != nil {
		t.Fatal(err)
	}
	node := requireSDK(t, dir)

	const token = "sdk-test-token"
	srv, err := New(WithToken(token), WithWorkDir(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(func() {
		hs.Close()
		srv.Close()
	})

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "sdk.mjs")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "TOGETHER_BASE_URL="+hs.URL+BasePath, "TOGETHER_API_KEY="+token)
	stdout, err := cmd.Output()
	if err != nil {
		var stderr []byte
		if exitErr, ok := err.(*exec.ExitError); ok {
			stderr = exitErr.Stderr
		}
		t.Fatalf("node sdk.mjs: %v\n%s", err, stderr)
	}
	var result sdkResult
	if err := json.Unmarshal(stdout, &result); err != nil {
		t.Fatalf("decode the script's output: %v\n%s", err, stdout)
	}

	first, second := result.First.Data, result.Second.Data
	wantStream(t, "first execute", first.Outputs, "stdout", "hello from python\n")
	if second.SessionID != first.SessionID {
		t.Errorf("second execute ran in %q, want the first's session %q", second.SessionID, first.SessionID)
	}
	if len(second.Outputs) != 1 {
		t.Fatalf("second execute outputs = %d, want one execute_result", len(second.Outputs))
	}
	if display, err := second.Outputs[0].AsDisplayOrExecuteOutput(); err != nil ||
		display.Data.TextPlain == nil || *display.Data.TextPlain != "42" {
		t.Errorf("second execute output = %v, %v; want execute_result 42", display, err)
	}
	wantStream(t, "upload", result.Upload.Data.Outputs, "stdout", "uploaded text\n")

	var listed []string
	for _, s := range result.Sessions.Data.Sessions {
		listed = append(listed, s.ID)
	}
	want := []string{first.SessionID, result.Upload.Data.SessionID}
	if !slices.Equal(listed, want) {
		t.Errorf("listed sessions = %v, want %v", listed, want)
	}
	for _, s := range result.Sessions.Data.Sessions {
		if s.ID == first.SessionID && s.ExecuteCount != 2 {
			t.Errorf("execute_count of %s = %d, want 2", s.ID, s.ExecuteCount)
		}
	}

	if e := result.UnknownSession; e == nil || e.Status != 404 || e.Name != "NotFoundError" {
		t.Errorf("unknown session error = %+v, want a NotFoundError with status 404", e)
	}
	if e := result.WrongKey; e == nil || e.Status != 401 || e.Name != "AuthenticationError" {
		t.Errorf("wrong key error = %+v, want an AuthenticationError with status 401", e)
	}
}

// wantStream checks that outputs is one stream output of type kind with text.
func wantStream(t *testing.T, label string, outputs []generated.InterpreterOutput, kind, text string) {
	t.Helper()
	if len(outputs) != 1 {
		t.Fatalf("%s: %d outputs, want one %s output", label, len(outputs), kind)
	}
	stream, err := outputs[0].AsStreamOutput()
	if err != nil || string(stream.Type) != kind || stream.Data != text {
		t.Errorf("%s: output = %+v, %v; want %s %q", label, stream, err, kind, text)
	}
}
