package contract

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/tcikit/tci/generated"
)

// output is one item of an execution's outputs, decoded for the scenarios' assertions.
type output struct {
	typ string
	// text is the data of stdout, stderr and error outputs.
	text string
	// bundle is the MIME bundle of display_data and execute_result outputs.
	bundle map[string]json.RawMessage
}

// outputsOf decodes the outputs of data. The response was validated before, so a decoding
// error only means that the server broke the spec in a way that the violations already list.
func outputsOf(data *generated.ExecutionData) ([]output, error) {
	out := make([]output, 0, len(data.Outputs))
	for i, item := range data.Outputs {
		raw, err := item.MarshalJSON()
		if err != nil {
			return nil, fmt.Errorf("outputs[%d]: %w", i, err)
		}
		var decoded struct {
			Type string          `json:"type"`
			Data json.RawMessage `json:"data"`
		}
		if err := json.Unmarshal(raw, &decoded); err != nil {
			return nil, fmt.Errorf("decode outputs[%d]: %w", i, err)
		}
		o := output{typ: decoded.Type}
		switch decoded.Type {
		case "stdout", "stderr", "error":
			err = json.Unmarshal(decoded.Data, &o.text)
		case "display_data", "execute_result":
			err = json.Unmarshal(decoded.Data, &o.bundle)
		default:
			err = fmt.Errorf("unknown output type %q", decoded.Type)
		}
		if err != nil {
			return nil, fmt.Errorf("decode outputs[%d] of type %q: %w", i, decoded.Type, err)
		}
		out = append(out, o)
	}
	return out, nil
}

// streams merges adjacent stdout or stderr outputs of the same stream and drops other outputs.
// Servers may split a stream's text into several outputs at any point, so only the order of
// the merged runs is part of the contract.
func streams(outputs []output) []output {
	var merged []output
	for _, o := range outputs {
		if o.typ != "stdout" && o.typ != "stderr" {
			continue
		}
		if n := len(merged); n > 0 && merged[n-1].typ == o.typ {
			merged[n-1].text += o.text
			continue
		}
		merged = append(merged, output{typ: o.typ, text: o.text})
	}
	return merged
}

// text concatenates the data of every output of type typ.
func text(outputs []output, typ string) string {
	var b strings.Builder
	for _, o := range outputs {
		if o.typ == typ {
			b.WriteString(o.text)
		}
	}
	return b.String()
}

// describe lists outputs for a failure reason, such as `stdout "one\n", stderr "two\n"`.
func describe(outputs []output) string {
	if len(outputs) == 0 {
		return "no outputs"
	}
	parts := make([]string, 0, len(outputs))
	for _, o := range outputs {
		if o.bundle != nil {
			keys := slices.Sorted(maps.Keys(o.bundle))
			parts = append(parts, fmt.Sprintf("%s %v", o.typ, keys))
			continue
		}
		parts = append(parts, fmt.Sprintf("%s %q", o.typ, o.text))
	}
	return strings.Join(parts, ", ")
}
