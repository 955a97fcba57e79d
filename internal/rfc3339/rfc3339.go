// Package rfc3339 parses the date-time production of RFC 3339, section 5.6, which is the
// "date-time" format of JSON Schema and OpenAPI.
//
// It accepts every form of that grammar, including three that time.Parse with time.RFC3339
// rejects: "t" and "z" in lower case (allowed by the note in section 5.6) and a leap second
// (second 60, section 5.7). It rejects what the grammar does not allow, such as a single-digit
// hour, a comma before the fraction or a missing offset, and days that the month does not have.
// Section 5.7 inserts leap seconds only in the last minute of a month in UTC, so second 60 is
// accepted only there, shifted by the offset of the value.
package rfc3339

import "time"

// fields are the numbers of a date-time, as written.
type fields struct {
	year, month, day     int
	hour, minute, second int
	nanosecond           int
	offsetSeconds        int
	utc                  bool // the offset is "Z", "z", "+00:00" or "-00:00"
}

// Valid reports whether s is an RFC 3339 date-time. It does not allocate.
func Valid[T ~string | ~[]byte](s T) bool {
	_, ok := parse(s)
	return ok
}

// Parse parses s as an RFC 3339 date-time. Because time.Time cannot hold a leap second,
// 23:59:60 becomes the first instant of the next minute. Digits of the fraction beyond
// nanoseconds are dropped. "Z", "+00:00" and "-00:00" give a time in time.UTC, and any other
// offset a time in a fixed zone with no name.
func Parse[T ~string | ~[]byte](s T) (time.Time, bool) {
	f, ok := parse(s)
	if !ok {
		return time.Time{}, false
	}
	location := time.UTC
	if !f.utc {
		location = time.FixedZone("", f.offsetSeconds)
	}
	leap := f.second == 60
	if leap {
		f.second = 59
	}
	t := time.Date(f.year, time.Month(f.month), f.day, f.hour, f.minute, f.second, f.nanosecond, location)
	if leap {
		t = t.Add(time.Second)
	}
	return t, true
}

// parse checks the grammar and the range of each field:
//
//	date-time = full-date ("T" / "t") full-time
//	full-date = 4DIGIT "-" 2DIGIT "-" 2DIGIT
//	full-time = 2DIGIT ":" 2DIGIT ":" 2DIGIT ["." 1*DIGIT] ("Z" / "z" / ("+" / "-") 2DIGIT ":" 2DIGIT)
func parse[T ~string | ~[]byte](s T) (fields, bool) {
	var f fields
	const layout = "0000-00-00T00:00:00"
	if len(s) < len(layout)+1 {
		return f, false
	}
	for i := range len(layout) {
		switch layout[i] {
		case '0':
			if !isDigit(s[i]) {
				return f, false
			}
		case 'T':
			if s[i] != 'T' && s[i] != 't' {
				return f, false
			}
		default:
			if s[i] != layout[i] {
				return f, false
			}
		}
	}
	f.year = number(s[0:4])
	f.month = number(s[5:7])
	f.day = number(s[8:10])
	f.hour = number(s[11:13])
	f.minute = number(s[14:16])
	f.second = number(s[17:19])
	if f.month < 1 || f.month > 12 || f.day < 1 || f.day > daysIn(f.year, f.month) ||
		f.hour > 23 || f.minute > 59 || f.second > 60 {
		return f, false
	}

	rest := s[len(layout):]
	if rest[0] == '.' {
		n := 1
		for n < len(rest) && isDigit(rest[n]) {
			if n <= 9 {
				f.nanosecond = f.nanosecond*10 + int(rest[n]-'0')
			}
			n++
		}
		if n == 1 {
			return f, false
		}
		for i := n; i <= 9; i++ {
			f.nanosecond *= 10
		}
		rest = rest[n:]
	}

	switch {
	case len(rest) == 1 && (rest[0] == 'Z' || rest[0] == 'z'):
		f.utc = true
		return f, f.second < 60 || lastMinuteOfMonthUTC(f)
	case len(rest) == 6 && (rest[0] == '+' || rest[0] == '-') && rest[3] == ':' &&
		isDigit(rest[1]) && isDigit(rest[2]) && isDigit(rest[4]) && isDigit(rest[5]):
		hours, minutes := number(rest[1:3]), number(rest[4:6])
		if hours > 23 || minutes > 59 {
			return f, false
		}
		f.offsetSeconds = (hours*60 + minutes) * 60
		if rest[0] == '-' {
			f.offsetSeconds = -f.offsetSeconds
		}
		f.utc = f.offsetSeconds == 0
		return f, f.second < 60 || lastMinuteOfMonthUTC(f)
	default:
		return f, false
	}
}

// lastMinuteOfMonthUTC reports whether the minute of f, moved to UTC by its offset, is 23:59 on
// the last day of a month: the only minute that can end with a leap second.
func lastMinuteOfMonthUTC(f fields) bool {
	t := time.Date(f.year, time.Month(f.month), f.day, f.hour, f.minute, 0, 0, time.UTC).
		Add(-time.Duration(f.offsetSeconds) * time.Second)
	return t.Hour() == 23 && t.Minute() == 59 && t.Day() == daysIn(t.Year(), int(t.Month()))
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// number returns the value of s, which holds only ASCII digits.
func number[T ~string | ~[]byte](s T) int {
	n := 0
	for i := range len(s) {
		n = n*10 + int(s[i]-'0')
	}
	return n
}

// daysIn returns the number of days of month in year, by the proleptic Gregorian calendar.
func daysIn(year, month int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	default:
		return 31
	}
}
