package contract

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/tcikit/tci/validate"
)

// ValidationReport is the result of ValidateBody or ValidateHAR.
//
// The two functions have three outcomes, which the tci command maps to its exit codes. A
// non-nil error means that the input could not be judged at all (exit 2). A report that is not
// Valid lists violations (exit 1). A Valid report means that every judged message honours the
// spec (exit 0).
type ValidationReport struct {
	// Entries counts the HAR entries read, 0 for a single body.
	Entries int `json:"entries"`
	// Unmatched counts the HAR entries whose request matches no operation of the spec.
	Unmatched int `json:"unmatched"`
	// Judged counts the requests and responses judged against the spec.
	Judged int `json:"judged"`
	// Skipped lists the messages of matched entries that could not be judged.
	Skipped []Skipped `json:"skipped"`
	// Violations lists every violation, in the order of the input.
	Violations []Violation `json:"violations"`
}

// Skipped is a message that ValidateHAR could not judge, such as a response whose body the
// capture left out.
type Skipped struct {
	Entry     int                `json:"entry"`
	Method    string             `json:"method"`
	URL       string             `json:"url"`
	Operation string             `json:"operation"`
	Direction validate.Direction `json:"direction"`
	Reason    string             `json:"reason"`
}

// String returns the skipped message on one line.
func (s Skipped) String() string {
	return fmt.Sprintf("log.entries[%d] %s %s (%s %s): not judged: %s",
		s.Entry, s.Method, s.URL, s.Operation, s.Direction, s.Reason)
}

// Valid reports whether no violation was found.
func (r *ValidationReport) Valid() bool { return len(r.Violations) == 0 }

// Summary returns one line of counts, such as
// "4 messages judged in 3 HAR entries (1 unmatched), 1 skipped, 2 violations".
func (r *ValidationReport) Summary() string {
	summary := plural(r.Judged, "message", "messages") + " judged"
	if r.Entries > 0 || r.Unmatched > 0 {
		entries := plural(r.Entries, "HAR entry", "HAR entries")
		summary += fmt.Sprintf(" in %s (%d unmatched)", entries, r.Unmatched)
	}
	if len(r.Skipped) > 0 {
		summary += fmt.Sprintf(", %d skipped", len(r.Skipped))
	}
	return summary + ", " + plural(len(r.Violations), "violation", "violations")
}

// WriteText writes one line per violation, then one line per skipped message, then the
// summary.
func (r *ValidationReport) WriteText(w io.Writer) error {
	for _, v := range r.Violations {
		if _, err := fmt.Fprintln(w, v); err != nil {
			return err
		}
	}
	for _, s := range r.Skipped {
		if _, err := fmt.Fprintln(w, s); err != nil {
			return err
		}
	}
	_, err := fmt.Fprintln(w, r.Summary())
	return err
}

// WriteJSON writes the report as one indented JSON object with the fields valid, entries,
// unmatched, judged, skipped and violations.
func (r *ValidationReport) WriteJSON(w io.Writer) error {
	out := struct {
		Valid bool `json:"valid"`
		ValidationReport
	}{Valid: r.Valid(), ValidationReport: *r}
	if out.Skipped == nil {
		out.Skipped = []Skipped{}
	}
	if out.Violations == nil {
		out.Violations = []Violation{}
	}
	encoder := json.NewEncoder(w)
	encoder.SetIndent("", "  ")
	return encoder.Encode(out)
}

// BodyOptions selects the operation, direction and status that ValidateBody judges a body
// against.
type BodyOptions struct {
	// Operation is the spec operation, as its operationId ("tci/execute") or as
	// "METHOD /path" ("POST /tci/execute"). It is required.
	Operation string
	// Request judges a request body of the operation instead of a response body.
	Request bool
	// Status is the status of the response; 0 means 200. It must be 0 when Request is set.
	Status int
	// ContentType is the media type the body was sent with; "" means "application/json".
	ContentType string
}

// ValidateBody reads one body from r and judges it against the spec as options select. It
// returns an error, and no report, when the options are invalid or r cannot be read. A body
// that is not JSON is a violation, not an error.
func ValidateBody(r io.Reader, options BodyOptions) (*ValidationReport, error) {
	validator, err := validate.Embedded()
	if err != nil {
		return nil, fmt.Errorf("load the spec validator: %w", err)
	}
	if options.Operation == "" {
		return nil, errors.New(`missing operation; give an operationId such as "tci/execute" or "METHOD /path"`)
	}
	op, err := validator.Lookup(options.Operation)
	if err != nil {
		return nil, err
	}
	status := options.Status
	switch {
	case options.Request && status != 0:
		return nil, fmt.Errorf("status %d given for a request body; a status applies only to responses", status)
	case status == 0:
		status = http.StatusOK
	case status < 100 || status > 599:
		return nil, fmt.Errorf("invalid status %d: it must be between 100 and 599", status)
	}
	if reason := unjudgedStatus(validator, op, status); !options.Request && reason != "" {
		return nil, fmt.Errorf("cannot judge a response body with status %d: %s; judge it as "+
			"status 200 to check it against the 200 schema, which includes the failure shape",
			status, reason)
	}
	contentType := options.ContentType
	if contentType == "" {
		contentType = "application/json"
	}
	body, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("read body: %w", err)
	}

	header := http.Header{"Content-Type": {contentType}}
	m := message{operation: op, direction: validate.Response, status: status}
	judged := validator.Response(op, status, header, body)
	if options.Request {
		m = message{operation: op, direction: validate.Request}
		judged = validator.Request(op, header, body)
	}
	violations, err := m.violationsOf(judged)
	if err != nil {
		return nil, fmt.Errorf("validate %s %s: %w", op.ID, m.direction, err)
	}
	return &ValidationReport{Judged: 1, Violations: violations}, nil
}

// plural returns "1 ONE" or "N MANY".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}
