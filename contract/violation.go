package contract

import (
	"errors"
	"fmt"
	"strings"

	"github.com/tcikit/tci/validate"
)

// Violation is one way a message broke the spec, with the message it was found in.
type Violation struct {
	// Entry is the index of the HAR entry that the message came from (log.entries[Entry]). It
	// is nil when the message did not come from a HAR file.
	Entry *int `json:"entry,omitempty"`
	// Method and URL are the request line of the message, empty when unknown, as for a body
	// judged on its own.
	Method string `json:"method,omitempty"`
	URL    string `json:"url,omitempty"`
	// Operation is the operationId of the spec operation the message was judged against.
	Operation string `json:"operation"`
	// Direction is the message that broke the spec: the request or the response.
	Direction validate.Direction `json:"direction"`
	// Status is the response status, 0 for requests.
	Status int `json:"status,omitempty"`
	// Pointer is the JSON pointer (RFC 6901) of the offending value, "" for the whole message.
	Pointer string `json:"pointer"`
	// Reason is a one-line explanation from the validator.
	Reason string `json:"reason"`
}

// String returns the violation on one line: where it was found, the JSON pointer and the
// reason, such as
//
//	log.entries[3] POST http://127.0.0.1:8787/v1/tci/execute (tci/execute response 200): /data: …
func (v Violation) String() string {
	var b strings.Builder
	if v.Entry != nil {
		fmt.Fprintf(&b, "log.entries[%d] ", *v.Entry)
	}
	if v.Method != "" || v.URL != "" {
		fmt.Fprintf(&b, "%s %s ", v.Method, v.URL)
	}
	fmt.Fprintf(&b, "(%s %s", v.Operation, v.Direction)
	if v.Status != 0 {
		fmt.Fprintf(&b, " %d", v.Status)
	}
	pointer := v.Pointer
	if pointer == "" {
		pointer = "/"
	}
	fmt.Fprintf(&b, "): %s: %s", pointer, v.Reason)
	return b.String()
}

// message describes one judged request or response; violationsOf fills its violations in.
type message struct {
	entry     *int
	method    string
	url       string
	operation validate.Operation
	direction validate.Direction
	status    int
}

// violationsOf converts the error of validate.Response or validate.Request into violations of
// m. An error that is not a *validate.Error, such as an operation missing from the spec, is
// returned as it is.
func (m message) violationsOf(err error) ([]Violation, error) {
	if err == nil {
		return nil, nil
	}
	var invalid *validate.Error
	if !errors.As(err, &invalid) {
		return nil, err
	}
	out := make([]Violation, 0, len(invalid.Violations))
	for _, found := range invalid.Violations {
		out = append(out, Violation{
			Entry:     m.entry,
			Method:    m.method,
			URL:       m.url,
			Operation: m.operation.ID,
			Direction: m.direction,
			Status:    m.status,
			Pointer:   found.Pointer,
			Reason:    found.Reason,
		})
	}
	return out, nil
}
