package wrapper

import (
	"fmt"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/tcikit/tci/internal/rfc3339"
)

// parseTimestamp parses an RFC 3339 date-time (section 5.6), the JSON Schema "date-time" format,
// in any form of that grammar, as package rfc3339 describes.
func parseTimestamp(s string) (time.Time, error) {
	t, ok := rfc3339.Parse(s)
	if !ok {
		return time.Time{}, fmt.Errorf("%s is not an RFC 3339 date-time such as 2006-01-02T15:04:05Z",
			quoteShort(s))
	}
	return t, nil
}

// quoteShort quotes s for an error message, cut to 64 bytes so that a hostile value cannot
// flood the message.
func quoteShort(s string) string {
	if len(s) <= 64 {
		return strconv.Quote(s)
	}
	n := 64
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return strconv.Quote(s[:n]) + "..."
}
