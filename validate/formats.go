package validate

import (
	"bytes"
	"encoding/base64"
	"errors"
	"strconv"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/getkin/kin-openapi/openapi3"
)

// The checks in this file accept only what encoding/json accepts when it decodes a value into
// the Go type that oapi-codegen v2.8.2 generates for the schema, so that a body that passes
// validation also decodes. Each accepts all of it, except date-time, which also requires
// RFC 3339.

// validDateTime reports whether the JSON string literal raw, quotes included, is an RFC 3339
// date-time (section 5.6) that decodes into a time.Time.
//
// encoding/json hands the literal to time.Time.UnmarshalJSON without decoding its escapes, so a
// date-time written with escapes is rejected as the decoder rejects it. time.Time accepts any
// fractional precision and offsets from -23:59 to +23:59, and rejects days a month does not
// have, second 60 and a lowercase "t" or "z", all three of which RFC 3339 allows. It also
// accepts forms RFC 3339 does not, such as a single-digit hour or a comma before the fraction;
// the grammar check rejects those. For a value that passes the grammar check, time.Time
// (Go 1.26) rejects only second 60 and days beyond the month, so validDateTime checks those
// itself instead of parsing; TestDateTimeAgreesWithTime compares the two.
func validDateTime(raw []byte) bool {
	if len(raw) < 2 {
		return false
	}
	s := raw[1 : len(raw)-1]
	if !rfc3339(s) || s[17] == '6' {
		return false
	}
	year := int(s[0]-'0')*1000 + int(s[1]-'0')*100 + int(s[2]-'0')*10 + int(s[3]-'0')
	month := time.Month(int(s[5]-'0')*10 + int(s[6]-'0'))
	day := int(s[8]-'0')*10 + int(s[9]-'0')
	return day <= daysIn(month, year)
}

// daysIn returns the number of days of month in year.
func daysIn(month time.Month, year int) int {
	return time.Date(year, month+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// rfc3339 reports whether s matches the date-time production of RFC 3339, section 5.6, written
// with an uppercase "T" and "Z". It checks each field's range but not the day of the month.
func rfc3339(s []byte) bool {
	const layout = "0000-00-00T00:00:00"
	if len(s) < len(layout)+1 {
		return false
	}
	for i := range len(layout) {
		if layout[i] == '0' && !isDigit(s[i]) || layout[i] != '0' && s[i] != layout[i] {
			return false
		}
	}
	if !inRange(s[5:7], 1, 12) || !inRange(s[8:10], 1, 31) || !inRange(s[11:13], 0, 23) ||
		!inRange(s[14:16], 0, 59) || !inRange(s[17:19], 0, 60) {
		return false
	}
	rest := s[len(layout):]
	if rest[0] == '.' {
		digits := skipDigits(rest, 1)
		if digits == 1 {
			return false
		}
		rest = rest[digits:]
	}
	if len(rest) == 1 {
		return rest[0] == 'Z'
	}
	return len(rest) == 6 && (rest[0] == '+' || rest[0] == '-') && rest[3] == ':' &&
		isDigit(rest[1]) && isDigit(rest[2]) && isDigit(rest[4]) && isDigit(rest[5]) &&
		inRange(rest[1:3], 0, 23) && inRange(rest[4:6], 0, 59)
}

// inRange reports whether the two digits d are a number from low to high.
func inRange(d []byte, low, high int) bool {
	n := int(d[0]-'0')*10 + int(d[1]-'0')
	return low <= n && n <= high
}

// base64Chunk is the number of characters validBase64 decodes at a time: a multiple of 4, so
// that chunks split the input between quanta.
const base64Chunk = 4096

// validBase64 reports whether s decodes with base64.StdEncoding, as encoding/json decodes a
// string into []byte: standard alphabet, padding required, line breaks ignored. It decodes into
// a fixed buffer, a chunk at a time, so that checking a large value does not allocate.
func validBase64(s []byte, scratch *[]byte) bool {
	if bytes.IndexByte(s, '\n') >= 0 || bytes.IndexByte(s, '\r') >= 0 {
		// The decoder skips line breaks anywhere, so dropping them keeps the verdict and keeps
		// the chunks aligned to quanta.
		stripped := (*scratch)[:0]
		for _, c := range s {
			if c != '\n' && c != '\r' {
				stripped = append(stripped, c)
			}
		}
		*scratch = stripped
		s = stripped
	}
	var buf [base64Chunk / 4 * 3]byte
	for len(s) > base64Chunk {
		chunk := s[:base64Chunk]
		// Padding ends the encoding, so none may appear before the last chunk.
		if bytes.IndexByte(chunk, '=') >= 0 {
			return false
		}
		if _, err := base64.StdEncoding.Decode(buf[:], chunk); err != nil {
			return false
		}
		s = s[base64Chunk:]
	}
	_, err := base64.StdEncoding.Decode(buf[:], s)
	return err == nil
}

// integerFits reports whether the integer literal (no fraction, no exponent) fits in a signed
// integer of the given bits, as strconv.ParseInt, which encoding/json uses for Go integers,
// requires.
func integerFits(literal []byte, bits int) bool {
	negative := literal[0] == '-'
	digits := literal
	if negative {
		digits = literal[1:]
	}
	limit := "9223372036854775807"
	if bits == 32 {
		limit = "2147483647"
	}
	if negative {
		limit = limit[:len(limit)-1] + string(limit[len(limit)-1]+1)
	}
	switch {
	case len(digits) < len(limit):
		return true
	case len(digits) > len(limit):
		return false
	}
	return string(digits) <= limit
}

// finiteFloat reports whether a number literal parses as a finite float64, as encoding/json
// requires when it decodes a number into interface{}. Literals without an exponent and of at
// most 300 bytes are below 1e300 and need no parsing.
func finiteFloat(literal []byte) bool {
	if len(literal) <= 300 && bytes.IndexAny(literal, "eE") < 0 {
		return true
	}
	_, err := strconv.ParseFloat(string(literal), 64)
	return err == nil
}

// appendFold appends name case-folded as encoding/json folds member and field names before it
// matches them (appendFoldedName in encoding/json/fold.go, Go 1.26).
func appendFold(dst, name []byte) []byte {
	for i := 0; i < len(name); {
		if c := name[i]; c < utf8.RuneSelf {
			if 'a' <= c && c <= 'z' {
				c -= 'a' - 'A'
			}
			dst = append(dst, c)
			i++
			continue
		}
		r, n := utf8.DecodeRune(name[i:])
		dst = utf8.AppendRune(dst, foldRune(r))
		i += n
	}
	return dst
}

// foldRune returns the smallest rune of the case-folding orbit of r.
func foldRune(r rune) rune {
	for {
		r2 := unicode.SimpleFold(r)
		if r2 <= r {
			return r2
		}
		r = r2
	}
}

var (
	errInvalidDateTime = errors.New("not a date-time that time.Time decodes")
	errInvalidBase64   = errors.New("not base64 that encoding/json decodes into []byte")
)

// decoderFormats returns kin-openapi format validators that accept what validDateTime and
// validBase64 accept, for the reference path. kin-openapi hands them the decoded string, so a
// date-time written with escapes passes there but not on the fast path.
func decoderFormats() []openapi3.SchemaValidationOption {
	dateTime := openapi3.NewCallbackValidator(func(s string) error {
		if !validDateTime([]byte(`"` + s + `"`)) {
			return errInvalidDateTime
		}
		return nil
	})
	byteFormat := openapi3.NewCallbackValidator(func(s string) error {
		var scratch []byte
		if !validBase64([]byte(s), &scratch) {
			return errInvalidBase64
		}
		return nil
	})
	return []openapi3.SchemaValidationOption{
		openapi3.WithStringFormatValidator("date-time", dateTime),
		openapi3.WithStringFormatValidator("byte", byteFormat),
	}
}
