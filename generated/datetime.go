package generated

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"

	"github.com/tcikit/tci/internal/rfc3339"
)

// DateTime is a value of the spec's "date-time" format: an RFC 3339 date-time.
//
// It decodes every form that RFC 3339 section 5.6 allows, including "t" and "z" in lower case
// and a leap second, which time.Time's own UnmarshalJSON rejects. A leap second becomes the
// first instant of the next minute, because time.Time cannot hold one. It encodes as
// time.RFC3339Nano. api/oapi-codegen.yaml maps the format to this type.
type DateTime struct {
	time.Time
}

// UnmarshalJSON decodes a JSON string holding an RFC 3339 date-time.
func (d *DateTime) UnmarshalJSON(data []byte) error {
	// A string without escapes, the usual case, is parsed in place without allocating.
	if len(data) >= 2 && data[0] == '"' && data[len(data)-1] == '"' && bytes.IndexByte(data, '\\') < 0 {
		if t, ok := rfc3339.Parse(data[1 : len(data)-1]); ok {
			d.Time = t
			return nil
		}
	}
	var s string
	if err := json.Unmarshal(data, &s); err != nil {
		return fmt.Errorf("date-time must be a JSON string: %w", err)
	}
	t, ok := rfc3339.Parse(s)
	if !ok {
		return fmt.Errorf("invalid date-time %q: want RFC 3339, such as 2006-01-02T15:04:05Z", truncate(s, 64))
	}
	d.Time = t
	return nil
}

// MarshalJSON encodes the time as an RFC 3339 string with as many fractional digits as needed.
func (d DateTime) MarshalJSON() ([]byte, error) {
	return d.Time.MarshalJSON()
}

// truncate cuts s to at most n bytes for an error message, without splitting a UTF-8 sequence.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n] + "..."
}
