package contract

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/tcikit/tci/generated"
	"github.com/tcikit/tci/validate"
)

// maxResponseBytes caps the response bodies that scenarios read. The scenarios' code prints a
// few lines, so a larger body means a broken server.
const maxResponseBytes = 8 << 20

// credential selects the Authorization header a scenario sends.
type credential int

const (
	withKey      credential = iota // "Bearer KEY" when a key is configured, none otherwise
	withoutToken                   // no Authorization header
	withWrongKey                   // a bearer token that differs from the key
)

// runner sends the requests of one scenario and collects the spec violations of the responses.
type runner struct {
	base       string
	apiKey     string
	client     *http.Client
	validator  *validate.Validator
	violations []Violation
}

// response is a response read in full.
type response struct {
	method    string
	url       string
	operation validate.Operation
	status    int
	header    http.Header
	body      []byte
}

// execute sends body, marshalled as JSON, to the execute operation.
func (r *runner) execute(ctx context.Context, body any, cred credential) (*response, error) {
	payload, err := json.Marshal(body)
	if err != nil {
		return nil, fmt.Errorf("encode execute request: %w", err)
	}
	req, err := generated.NewExecuteCodeRequestWithBody(
		r.base+"/", "application/json", bytes.NewReader(payload))
	if err != nil {
		return nil, fmt.Errorf("build execute request: %w", err)
	}
	return r.do(ctx, req, validate.ExecuteCode, cred)
}

// listSessions sends a request to the session list operation.
func (r *runner) listSessions(ctx context.Context, cred credential) (*response, error) {
	req, err := generated.NewListSessionsRequest(r.base + "/")
	if err != nil {
		return nil, fmt.Errorf("build session list request: %w", err)
	}
	return r.do(ctx, req, validate.ListSessions, cred)
}

// do sends req, reads the response and records its spec violations. Errors are transport
// errors and unreadable bodies, worded as a scenario's failure reason.
func (r *runner) do(
	ctx context.Context, req *http.Request, op validate.Operation, cred credential,
) (*response, error) {
	req = req.WithContext(ctx)
	switch {
	case cred == withKey && r.apiKey != "":
		req.Header.Set("Authorization", "Bearer "+r.apiKey)
	case cred == withWrongKey:
		req.Header.Set("Authorization", "Bearer "+wrongKey(r.apiKey))
	}

	res, err := r.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", req.Method, req.URL, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(io.LimitReader(res.Body, maxResponseBytes+1))
	if err != nil {
		return nil, fmt.Errorf("%s %s: read response body: %w", req.Method, req.URL, err)
	}
	if len(body) > maxResponseBytes {
		return nil, fmt.Errorf("%s %s: response body exceeds %d bytes", req.Method, req.URL, maxResponseBytes)
	}

	resp := &response{
		method:    req.Method,
		url:       req.URL.String(),
		operation: op,
		status:    res.StatusCode,
		header:    res.Header,
		body:      body,
	}
	if err := r.judge(resp, resp.status); err != nil {
		return nil, err
	}
	return resp, nil
}

// judge validates resp as a response with the given status and records its violations.
func (r *runner) judge(resp *response, status int) error {
	m := message{
		method:    resp.method,
		url:       resp.url,
		operation: resp.operation,
		direction: validate.Response,
		status:    status,
	}
	found, err := m.violationsOf(r.validator.Response(resp.operation, status, resp.header, resp.body))
	if err != nil {
		return fmt.Errorf("validate %s %s: %w", resp.method, resp.url, err)
	}
	r.violations = append(r.violations, found...)
	return nil
}

// wrongKey returns a bearer token that differs from key.
func wrongKey(key string) string {
	wrong := "tci-check-wrong-token"
	if wrong == key {
		wrong += "-2"
	}
	return wrong
}

// success decodes resp as a successful execution. It fails when the status is not 200 or the
// body is the failure member, naming what the server returned.
func (resp *response) success() (*generated.ExecutionData, error) {
	if resp.status != http.StatusOK {
		return nil, fmt.Errorf("execute returned status %d, expected 200: %s", resp.status, snippet(resp.body))
	}
	var decoded generated.ExecuteResponse
	if err := json.Unmarshal(resp.body, &decoded); err != nil {
		return nil, fmt.Errorf("decode execute response: %w: %s", err, snippet(resp.body))
	}
	succeeded, failed, err := decoded.Outcome()
	if err != nil {
		return nil, err
	}
	if failed != nil {
		return nil, fmt.Errorf("execute returned a failed execution: %s", snippet(resp.body))
	}
	if succeeded.Data.SessionID == "" {
		return nil, errors.New("execute returned an empty session_id")
	}
	return &succeeded.Data, nil
}

// failure decodes resp as a failed execution with at least one error.
func (resp *response) failure() (*generated.FailedExecution, error) {
	var decoded generated.ExecuteResponse
	if err := json.Unmarshal(resp.body, &decoded); err != nil {
		return nil, fmt.Errorf("status %d with a body that is not the failure shape "+
			`{"data": null, "errors": [...]}: %s`, resp.status, snippet(resp.body))
	}
	succeeded, failed, err := decoded.Outcome()
	if err != nil {
		return nil, fmt.Errorf("status %d: %w: %s", resp.status, err, snippet(resp.body))
	}
	if succeeded != nil {
		return nil, fmt.Errorf("status %d with a successful execution, expected the failure shape: %s",
			resp.status, snippet(resp.body))
	}
	if len(failed.Errors) == 0 {
		return nil, fmt.Errorf("status %d with an empty errors array, expected at least one error", resp.status)
	}
	return failed, nil
}

// snippet returns the start of body for a failure reason, on one line.
func snippet(body []byte) string {
	const limit = 200
	text := strings.Join(strings.Fields(string(body)), " ")
	if text == "" {
		return "(empty body)"
	}
	if len(text) > limit {
		text = text[:limit] + "…"
	}
	return text
}
