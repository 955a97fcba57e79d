package validate

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strconv"
	"unicode"
	"unicode/utf8"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/tcikit/tci/internal/rfc3339"
)

// The checks in this file accept only what encoding/json accepts when it decodes a value into
// the Go type that oapi-codegen v2.8.2 generates for the schema, so that a body that passes
// validation also decodes. Each accepts all of it.

// validDateTime reports whether the JSON string literal raw, quotes included, is an RFC 3339
// date-time (section 5.6), which is what generated.DateTime decodes: every form of that grammar,
// lowercase "t" and "z" and a leap second included. A literal written with escapes is decoded
// first, which allocates; others are checked in place.
func validDateTime(raw []byte) bool {
	if len(raw) < 2 {
		return false
	}
	if bytes.IndexByte(raw, '\\') < 0 {
		return rfc3339.Valid(raw[1 : len(raw)-1])
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return false
	}
	return rfc3339.Valid(s)
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
	errInvalidDateTime = errors.New("not an RFC 3339 date-time")
	errInvalidBase64   = errors.New("not base64 that encoding/json decodes into []byte")
)

// decoderFormats returns kin-openapi format validators that accept what validDateTime and
// validBase64 accept, for the reference path. kin-openapi hands them the decoded string.
func decoderFormats() []openapi3.SchemaValidationOption {
	dateTime := openapi3.NewCallbackValidator(func(s string) error {
		if !rfc3339.Valid(s) {
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
