package generated

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
)

// Outcome decodes the response into the oneOf member it is: exactly one of the returned
// pointers is non-nil unless err is set.
//
// The spec's oneOf has no discriminator, and AsSuccessfulExecution decodes a failure body
// without error (data null becomes a zero ExecutionData), so Outcome decides from the body
// itself. A body is a success when "data" is an object and "errors" is null or absent, and a
// failure when "data" is null or absent and "errors" is an array. Any other body matches
// neither member and is an error, so nothing is guessed.
func (t ExecuteResponse) Outcome() (*SuccessfulExecution, *FailedExecution, error) {
	var probe struct {
		Data   json.RawMessage `json:"data"`
		Errors json.RawMessage `json:"errors"`
	}
	if err := json.Unmarshal(t.union, &probe); err != nil {
		return nil, nil, fmt.Errorf("decode execute response: %w", err)
	}

	switch {
	case jsonKind(probe.Data) == '{' && jsonKind(probe.Errors) == 'n':
		success, err := t.AsSuccessfulExecution()
		if err != nil {
			return nil, nil, fmt.Errorf("decode successful execution: %w", err)
		}
		return &success, nil, nil
	case jsonKind(probe.Data) == 'n' && jsonKind(probe.Errors) == '[':
		failure, err := t.AsFailedExecution()
		if err != nil {
			return nil, nil, fmt.Errorf("decode failed execution: %w", err)
		}
		return nil, &failure, nil
	default:
		return nil, nil, errors.New("execute response is neither a successful execution " +
			`("data" an object, "errors" null) nor a failed execution ("data" null, "errors" an array)`)
	}
}

// jsonKind returns the first byte of a JSON value: '{', '[', '"', 't', 'f', a digit or '-',
// and 'n' for null or an absent value.
func jsonKind(raw json.RawMessage) byte {
	raw = bytes.TrimLeft(raw, " \t\r\n")
	if len(raw) == 0 {
		return 'n'
	}
	return raw[0]
}
