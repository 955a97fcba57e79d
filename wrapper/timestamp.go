package wrapper

import (
	"fmt"
	"strconv"
	"time"
	"unicode/utf8"
)

// parseTimestamp parses an RFC 3339 date-time (RFC 3339 section 5.6), the JSON Schema
// "date-time" format. It accepts every form of that grammar, including some that time.Parse
// with time.RFC3339 rejects: "t" and "z" in lower case, and a leap second (":60"). Because
// time.Time cannot hold a leap second, 23:59:60 becomes the first instant of the next minute.
// Fractional seconds beyond nanoseconds are truncated. "Z", "+00:00" and "-00:00" yield UTC.
func parseTimestamp(s string) (time.Time, error) {
	t, ok := parseRFC3339(s)
	if !ok {
		return time.Time{}, fmt.Errorf("%s is not an RFC 3339 date-time such as 2006-01-02T15:04:05Z",
			quoteShort(s))
	}
	return t, nil
}

func parseRFC3339(s string) (time.Time, bool) {
	if len(s) < len("2006-01-02T15:04:05Z") {
		return time.Time{}, false
	}
	year, ok1 := digits(s[0:4], 0, 9999)
	month, ok2 := digits(s[5:7], 1, 12)
	hour, ok3 := digits(s[11:13], 0, 23)
	minute, ok4 := digits(s[14:16], 0, 59)
	second, ok5 := digits(s[17:19], 0, 60)
	separators := s[4] == '-' && s[7] == '-' && (s[10] == 'T' || s[10] == 't') &&
		s[13] == ':' && s[16] == ':'
	if !ok1 || !ok2 || !ok3 || !ok4 || !ok5 || !separators {
		return time.Time{}, false
	}
	day, ok := digits(s[8:10], 1, daysIn(year, month))
	if !ok {
		return time.Time{}, false
	}

	rest := s[19:]
	nanos := 0
	if rest[0] == '.' {
		n := 1
		for n < len(rest) && '0' <= rest[n] && rest[n] <= '9' {
			if n <= 9 {
				nanos = nanos*10 + int(rest[n]-'0')
			}
			n++
		}
		if n == 1 {
			return time.Time{}, false
		}
		for i := n; i <= 9; i++ {
			nanos *= 10
		}
		rest = rest[n:]
	}

	location, ok := parseOffset(rest)
	if !ok {
		return time.Time{}, false
	}
	leap := second == 60
	if leap {
		second = 59
	}
	t := time.Date(year, time.Month(month), day, hour, minute, second, nanos, location)
	if leap {
		t = t.Add(time.Second)
	}
	return t, true
}

// parseOffset parses "Z", "z" or a numeric offset "+hh:mm" or "-hh:mm".
func parseOffset(s string) (*time.Location, bool) {
	if s == "Z" || s == "z" {
		return time.UTC, true
	}
	if len(s) != len("+00:00") || (s[0] != '+' && s[0] != '-') || s[3] != ':' {
		return nil, false
	}
	hours, ok1 := digits(s[1:3], 0, 23)
	minutes, ok2 := digits(s[4:6], 0, 59)
	if !ok1 || !ok2 {
		return nil, false
	}
	offset := (hours*60 + minutes) * 60
	if offset == 0 {
		return time.UTC, true
	}
	if s[0] == '-' {
		offset = -offset
	}
	return time.FixedZone("", offset), true
}

// digits parses s, which must be all ASCII digits, as a number in [low, high].
func digits(s string, low, high int) (int, bool) {
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
		n = n*10 + int(s[i]-'0')
	}
	return n, low <= n && n <= high
}

func daysIn(year, month int) int {
	return time.Date(year, time.Month(month)+1, 0, 0, 0, 0, 0, time.UTC).Day()
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
