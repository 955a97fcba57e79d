package contract

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/tcikit/tci/generated"
)

// scenario is one named check. run returns nil when the server behaved as the scenario
// expects, a *skipError when the scenario cannot run, and any other error as the reason it
// failed. Spec violations of the responses are collected by the runner and fail the scenario
// too.
type scenario struct {
	name        string
	description string
	run         func(ctx context.Context, r *runner) error
}

// skipError marks a scenario that did not run.
type skipError struct{ reason string }

func (e *skipError) Error() string { return "skipped: " + e.reason }

// scenarios lists every scenario in the order Check runs them.
var scenarios = []scenario{
	{
		name:        "execute/stdout",
		description: "print writes one stdout output with the printed text",
		run:         checkStdout,
	},
	{
		name:        "execute/stream-order",
		description: "stdout and stderr outputs keep the order the code wrote them in",
		run:         checkStreamOrder,
	},
	{
		name:        "execute/error-output",
		description: "an uncaught exception gives an error output naming it",
		run:         checkErrorOutput,
	},
	{
		name:        "execute/execute-result",
		description: "a trailing expression gives an execute_result with its text/plain value",
		run:         checkExecuteResult,
	},
	{
		name:        "session/state",
		description: "a second execute in the same session sees the first one's variables",
		run:         checkSessionState,
	},
	{
		name:        "session/unknown",
		description: "an unknown session_id gives the failure shape {\"data\": null, \"errors\": [...]}",
		run:         checkUnknownSession,
	},
	{
		name:        "files/string",
		description: "a file uploaded with encoding string is readable by the code",
		run:         checkStringFile,
	},
	{
		name:        "files/base64",
		description: "a file uploaded with encoding base64 is readable by the code, byte for byte",
		run:         checkBase64File,
	},
	{
		name:        "sessions/list",
		description: "the session list contains a new session with its execute_count and ordered timestamps",
		run:         checkSessionList,
	},
	{
		name:        "auth/missing-token",
		description: "a request without a bearer token is rejected with 401 or 403",
		run:         checkMissingToken,
	},
	{
		name:        "auth/wrong-token",
		description: "a request with a wrong bearer token is rejected with 401 or 403",
		run:         checkWrongToken,
	},
	{
		name:        "request/missing-code",
		description: "an execute request without code is rejected",
		run:         checkMissingCode,
	},
}

// Scenario names and describes one check that Check can run.
type Scenario struct {
	Name        string `json:"name"`
	Description string `json:"description"`
}

// Scenarios returns every scenario in the order Check runs them.
func Scenarios() []Scenario {
	out := make([]Scenario, 0, len(scenarios))
	for _, s := range scenarios {
		out = append(out, Scenario{Name: s.name, Description: s.description})
	}
	return out
}

// ScenarioNames returns the name of every scenario in the order Check runs them.
func ScenarioNames() []string {
	names := make([]string, 0, len(scenarios))
	for _, s := range scenarios {
		names = append(names, s.name)
	}
	return names
}

// executeOutputs sends code, with files if any, in a new session or in sessionID, and returns
// the decoded outputs and the session id of a successful execution.
func executeOutputs(
	ctx context.Context, r *runner, code, sessionID string, files ...generated.File,
) ([]output, string, error) {
	request := generated.ExecuteRequest{Code: code, Language: generated.LanguagePython}
	if sessionID != "" {
		request.SessionID = &sessionID
	}
	if len(files) > 0 {
		request.Files = &files
	}
	resp, err := r.execute(ctx, request, withKey)
	if err != nil {
		return nil, "", err
	}
	data, err := resp.success()
	if err != nil {
		return nil, "", err
	}
	outputs, err := outputsOf(data)
	if err != nil {
		return nil, "", err
	}
	return outputs, data.SessionID, nil
}

func checkStdout(ctx context.Context, r *runner) error {
	outputs, _, err := executeOutputs(ctx, r, `print("hello from tci check")`, "")
	if err != nil {
		return err
	}
	if got := text(outputs, "stdout"); got != "hello from tci check\n" {
		return fmt.Errorf("stdout is %q, expected %q; outputs: %s",
			got, "hello from tci check\n", describe(outputs))
	}
	unexpected := func(o output) bool { return o.typ == "error" || o.typ == "stderr" }
	if slices.ContainsFunc(outputs, unexpected) {
		return fmt.Errorf("unexpected error or stderr output: %s", describe(outputs))
	}
	return nil
}

func checkStreamOrder(ctx context.Context, r *runner) error {
	const code = `import sys
print("one")
sys.stdout.flush()
print("two", file=sys.stderr)
sys.stderr.flush()
print("three")
sys.stdout.flush()
`
	outputs, _, err := executeOutputs(ctx, r, code, "")
	if err != nil {
		return err
	}
	want := []output{
		{typ: "stdout", text: "one\n"},
		{typ: "stderr", text: "two\n"},
		{typ: "stdout", text: "three\n"},
	}
	got := streams(outputs)
	if !slices.EqualFunc(got, want, func(a, b output) bool { return a.typ == b.typ && a.text == b.text }) {
		return fmt.Errorf("streams are %s, expected %s", describe(got), describe(want))
	}
	return nil
}

func checkErrorOutput(ctx context.Context, r *runner) error {
	outputs, _, err := executeOutputs(ctx, r, `raise ValueError("raised by tci check")`, "")
	if err != nil {
		return err
	}
	for _, o := range outputs {
		if o.typ == "error" && strings.Contains(o.text, "ValueError") {
			return nil
		}
	}
	return fmt.Errorf("no error output naming ValueError; outputs: %s", describe(outputs))
}

func checkExecuteResult(ctx context.Context, r *runner) error {
	outputs, _, err := executeOutputs(ctx, r, "x = 21\nx * 2", "")
	if err != nil {
		return err
	}
	for _, o := range outputs {
		if o.typ != "execute_result" {
			continue
		}
		var plain string
		if err := json.Unmarshal(o.bundle["text/plain"], &plain); err != nil || plain != "42" {
			return fmt.Errorf("execute_result text/plain is %s, expected \"42\"", o.bundle["text/plain"])
		}
		return nil
	}
	return fmt.Errorf("no execute_result output for a trailing expression; outputs: %s", describe(outputs))
}

func checkSessionState(ctx context.Context, r *runner) error {
	_, sessionID, err := executeOutputs(ctx, r, "tci_check_value = 41", "")
	if err != nil {
		return err
	}
	request := generated.ExecuteRequest{Code: "print(tci_check_value + 1)", SessionID: &sessionID}
	resp, err := r.execute(ctx, request, withKey)
	if err != nil {
		return err
	}
	data, err := resp.success()
	if err != nil {
		return fmt.Errorf("second execute in session %s: %w", sessionID, err)
	}
	if data.SessionID != sessionID {
		return fmt.Errorf("second execute returned session_id %q, expected %q", data.SessionID, sessionID)
	}
	outputs, err := outputsOf(data)
	if err != nil {
		return err
	}
	if got := text(outputs, "stdout"); got != "42\n" {
		return fmt.Errorf("second execute did not see the first one's variable: "+
			"stdout is %q, expected \"42\\n\"; outputs: %s", got, describe(outputs))
	}
	return nil
}

func checkUnknownSession(ctx context.Context, r *runner) error {
	unknown := "ses_tcicheck_unknown_" + strings.ToLower(rand.Text())
	request := generated.ExecuteRequest{Code: `print("must not run")`, SessionID: &unknown}
	resp, err := r.execute(ctx, request, withKey)
	if err != nil {
		return err
	}
	return requireFailure(r, resp, "execute with unknown session_id "+unknown)
}

// requireFailure fails unless resp is the failure shape. The spec declares only status 200,
// whose schema includes the failure member, so the body of any other status is judged against
// the 200 schema as well.
func requireFailure(r *runner, resp *response, what string) error {
	if resp.status != http.StatusOK {
		if err := r.judge(resp, http.StatusOK); err != nil {
			return err
		}
	}
	if _, err := resp.failure(); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

func checkStringFile(ctx context.Context, r *runner) error {
	const content = "hello from an uploaded file\nsecond line\n"
	file := generated.File{Name: "tci_check.txt", Encoding: generated.FileEncodingString, Content: content}
	outputs, _, err := executeOutputs(ctx, r, `print(open("tci_check.txt").read(), end="")`, "", file)
	if err != nil {
		return err
	}
	if got := text(outputs, "stdout"); got != content {
		return fmt.Errorf("the code read %q from the uploaded file, expected %q; outputs: %s",
			got, content, describe(outputs))
	}
	return nil
}

func checkBase64File(ctx context.Context, r *runner) error {
	// Bytes that are not valid UTF-8, so that a server decoding the content as text fails.
	content := []byte{0x00, 0xff, 0xfe, 0x10, 0x80, 'P', 'N', 'G', '\r', '\n'}
	file := generated.File{
		Name:     "tci_check.bin",
		Encoding: generated.FileEncodingBase64,
		Content:  base64.StdEncoding.EncodeToString(content),
	}
	outputs, _, err := executeOutputs(ctx, r, `print(open("tci_check.bin", "rb").read().hex())`, "", file)
	if err != nil {
		return err
	}
	want := hex.EncodeToString(content) + "\n"
	if got := text(outputs, "stdout"); got != want {
		return fmt.Errorf("the code read bytes %q from the uploaded file, expected %q; outputs: %s",
			got, want, describe(outputs))
	}
	return nil
}

func checkSessionList(ctx context.Context, r *runner) error {
	_, sessionID, err := executeOutputs(ctx, r, "tci_check_count = 1", "")
	if err != nil {
		return err
	}
	if _, _, err := executeOutputs(ctx, r, "tci_check_count += 1", sessionID); err != nil {
		return fmt.Errorf("second execute in session %s: %w", sessionID, err)
	}

	resp, err := r.listSessions(ctx, withKey)
	if err != nil {
		return err
	}
	if resp.status != http.StatusOK {
		return fmt.Errorf("session list returned status %d, expected 200: %s", resp.status, snippet(resp.body))
	}
	var list generated.SessionListResponse
	if err := json.Unmarshal(resp.body, &list); err != nil {
		return fmt.Errorf("decode session list: %w: %s", err, snippet(resp.body))
	}
	if list.Data == nil {
		return fmt.Errorf("session list has no data: %s", snippet(resp.body))
	}

	for _, s := range list.Data.Sessions {
		if s.ID != sessionID {
			continue
		}
		if s.ExecuteCount != 2 {
			return fmt.Errorf("session %s has execute_count %d after 2 executes", s.ID, s.ExecuteCount)
		}
		if s.LastExecuteAt.Before(s.StartedAt.Time) || s.ExpiresAt.Before(s.LastExecuteAt.Time) {
			return fmt.Errorf("session %s breaks started_at <= last_execute_at <= expires_at: %s, %s, %s",
				s.ID, s.StartedAt.Format(timeLayout), s.LastExecuteAt.Format(timeLayout),
				s.ExpiresAt.Format(timeLayout))
		}
		return nil
	}
	return fmt.Errorf("session list of %d sessions does not contain session %s",
		len(list.Data.Sessions), sessionID)
}

const timeLayout = "2006-01-02T15:04:05.999999999Z07:00"

func checkMissingToken(ctx context.Context, r *runner) error {
	return requireRejected(ctx, r, withoutToken, "without a token")
}

func checkWrongToken(ctx context.Context, r *runner) error {
	return requireRejected(ctx, r, withWrongKey, "with a wrong token")
}

// requireRejected sends both operations with cred and fails unless the server responds with
// 401 or 403. Without an API key the scenario is skipped: a server that requires no token accepts
// every request, so the scenario could not tell a lax server from a correct one.
func requireRejected(ctx context.Context, r *runner, cred credential, how string) error {
	if r.apiKey == "" {
		return &skipError{reason: "no API key given; give the key the server requires " +
			"to check that it rejects requests " + how}
	}
	request := generated.ExecuteRequest{Code: `print("must not run")`}
	execute, err := r.execute(ctx, request, cred)
	if err != nil {
		return err
	}
	list, err := r.listSessions(ctx, cred)
	if err != nil {
		return err
	}
	for _, resp := range []*response{execute, list} {
		if resp.status != http.StatusUnauthorized && resp.status != http.StatusForbidden {
			return fmt.Errorf("%s %s %s returned status %d, expected 401 or 403",
				resp.method, resp.url, how, resp.status)
		}
	}
	return nil
}

func checkMissingCode(ctx context.Context, r *runner) error {
	resp, err := r.execute(ctx, map[string]any{"language": "python"}, withKey)
	if err != nil {
		return err
	}
	if resp.status >= 400 && resp.status < 500 {
		return nil
	}
	if resp.status == http.StatusOK {
		return requireFailure(r, resp, "execute without code")
	}
	return fmt.Errorf("execute without code returned status %d, "+
		"expected a 4xx status or the failure shape: %s", resp.status, snippet(resp.body))
}
