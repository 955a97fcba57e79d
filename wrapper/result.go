package wrapper

import (
	"strings"
	"time"
)

// OutputType is the kind of one output of an execution.
type OutputType string

// The output types of the spec. A response may carry others; ValidationStrict rejects them and
// the other modes keep them as they are.
const (
	OutputStdout        OutputType = "stdout"
	OutputStderr        OutputType = "stderr"
	OutputError         OutputType = "error"
	OutputDisplayData   OutputType = "display_data"
	OutputExecuteResult OutputType = "execute_result"
)

// Output is one output of an execution, in the order the code produced it.
type Output struct {
	// Type is the kind of output.
	Type OutputType `json:"type"`
	// Text is the text of stdout, stderr and error outputs.
	Text string `json:"text,omitempty"`
	// Data maps each MIME type of a display_data or execute_result output to its payload.
	// Base64 payloads (image/png, image/jpeg, image/gif, application/pdf) are decoded, text
	// payloads are their UTF-8 bytes and JSON payloads (application/json and the like) are the
	// JSON text as received.
	Data map[string][]byte `json:"data,omitempty"`
}

// Result is the outcome of code that the server ran. Code that raised an exception still has
// a Result: Err reports the exception.
type Result struct {
	// SessionID identifies the session that ran the code. Pass it to WithSessionID to run more
	// code in the same interpreter.
	SessionID string `json:"session_id"`
	// Status is the "status" field of the response, "success" or empty.
	Status string `json:"status,omitempty"`
	// Outputs are all outputs in the order the code produced them.
	Outputs []Output `json:"outputs"`

	redact redactor
}

// Stdout returns the text of all stdout outputs, concatenated in order.
func (r *Result) Stdout() string { return r.text(OutputStdout) }

// Stderr returns the text of all stderr outputs, concatenated in order.
func (r *Result) Stderr() string { return r.text(OutputStderr) }

// Err returns a *CodeError holding the text of all error outputs when the code raised an
// exception, and nil otherwise.
func (r *Result) Err() error {
	if !r.has(OutputError) {
		return nil
	}
	return &CodeError{SessionID: r.SessionID, Output: r.redact.string(r.text(OutputError))}
}

// ExecuteResult returns the text/plain payload of the last execute_result output, the value of
// the last expression as the Python REPL would print it, or "" when there is none.
func (r *Result) ExecuteResult() string {
	for i := len(r.Outputs) - 1; i >= 0; i-- {
		if r.Outputs[i].Type == OutputExecuteResult {
			return string(r.Outputs[i].Data["text/plain"])
		}
	}
	return ""
}

// DisplayData returns the payloads of all display_data outputs in order, each mapping a MIME
// type such as "image/png" to its decoded bytes.
func (r *Result) DisplayData() []map[string][]byte {
	var out []map[string][]byte
	for _, o := range r.Outputs {
		if o.Type == OutputDisplayData {
			out = append(out, o.Data)
		}
	}
	return out
}

func (r *Result) text(t OutputType) string {
	var b strings.Builder
	for _, o := range r.Outputs {
		if o.Type == t {
			b.WriteString(o.Text)
		}
	}
	return b.String()
}

func (r *Result) has(t OutputType) bool {
	for _, o := range r.Outputs {
		if o.Type == t {
			return true
		}
	}
	return false
}

// Session is an active session of the caller, as listed by ListSessions.
type Session struct {
	// ID identifies the session for WithSessionID.
	ID string `json:"id"`
	// ExecuteCount is the number of executions the session has run.
	ExecuteCount int `json:"execute_count"`
	// StartedAt, LastExecuteAt and ExpiresAt are the times the server reported, in the offset
	// it sent them with.
	StartedAt     time.Time `json:"started_at"`
	LastExecuteAt time.Time `json:"last_execute_at"`
	ExpiresAt     time.Time `json:"expires_at"`
}
