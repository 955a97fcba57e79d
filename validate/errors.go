package validate

import (
	"fmt"
	"strings"
)

// Violation is one way a message breaks the spec.
type Violation struct {
	// Pointer is the JSON pointer (RFC 6901) of the offending value in the body, "" for the
	// whole body. Violations of headers or status use "" too.
	Pointer string `json:"pointer"`
	// Reason is a one-line explanation such as `expected string, got number`.
	Reason string `json:"reason"`
}

// String returns the violation as "POINTER: REASON", with "/" for the whole body.
func (v Violation) String() string {
	pointer := v.Pointer
	if pointer == "" {
		pointer = "/"
	}
	return pointer + ": " + v.Reason
}

// Direction is the kind of message that was judged: a request or a response.
type Direction string

// The directions of a message.
const (
	Request  Direction = "request"
	Response Direction = "response"
)

// Error is returned when a message violates the spec. It lists every violation found.
type Error struct {
	Operation  Operation
	Direction  Direction
	Status     int // the response status; 0 for requests
	Violations []Violation
}

// Error returns the operation, the direction and every violation on one line.
func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s", e.Operation, e.Direction)
	if e.Status != 0 {
		fmt.Fprintf(&b, " (status %d)", e.Status)
	}
	b.WriteString(" violates the spec: ")
	for i, v := range e.Violations {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(v.String())
	}
	return b.String()
}
