package validate

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"unicode/utf16"
	"unicode/utf8"
)

// syntaxError reports a body that is not JSON, or that nests deeper than MaxDepth. The walker
// panics with it and the entry points recover it, so that no caller of the walker needs an
// error path for input that cannot be validated at all.
type syntaxError struct {
	offset int
	reason string
}

func (e *syntaxError) Error() string {
	return fmt.Sprintf("invalid JSON at offset %d: %s", e.offset, e.reason)
}

func (w *walker) syntax(offset int, reason string) {
	panic(&syntaxError{offset: offset, reason: reason})
}

func (w *walker) unexpected(offset int, context string) {
	if offset >= len(w.data) {
		w.syntax(offset, "unexpected end of input")
	}
	w.syntax(offset, fmt.Sprintf("invalid character %s %s", quoteChar(w.data[offset]), context))
}

func quoteChar(c byte) string {
	if c == '\'' {
		return `'\''`
	}
	if c == '"' {
		return `'"'`
	}
	s := fmt.Sprintf("%q", c)
	return "'" + s[1:len(s)-1] + "'"
}

func (w *walker) skipSpace() {
	for w.pos < len(w.data) {
		switch w.data[w.pos] {
		case ' ', '\t', '\n', '\r':
			w.pos++
		default:
			return
		}
	}
}

// peekKind skips whitespace and returns the kind of the value that starts at w.pos.
func (w *walker) peekKind() kinds {
	w.skipSpace()
	if w.pos >= len(w.data) {
		w.syntax(w.pos, "unexpected end of input")
	}
	switch c := w.data[w.pos]; {
	case c == '{':
		return kindObject
	case c == '[':
		return kindArray
	case c == '"':
		return kindString
	case c == 't' || c == 'f':
		return kindBoolean
	case c == 'n':
		return kindNull
	case c == '-' || '0' <= c && c <= '9':
		return kindNumber
	}
	w.unexpected(w.pos, "looking for beginning of value")
	return 0
}

const (
	ones  = 0x0101010101010101
	highs = 0x8080808080808080
)

// scanString scans the string that starts at w.pos and moves past it. It returns the bytes
// between the quotes, whether they contain escapes and whether they are valid UTF-8.
func (w *walker) scanString() (content []byte, escaped, valid bool) {
	data := w.data
	start := w.pos + 1
	i := start
	valid = true
	for {
		// Skip eight bytes at a time while none is a quote, a backslash, a control character or
		// part of a multi-byte sequence.
		for i+8 <= len(data) {
			x := binary.LittleEndian.Uint64(data[i:])
			quote := x ^ (ones * '"')
			backslash := x ^ (ones * '\\')
			if ((x-ones*0x20)|(quote-ones)|(backslash-ones)|x)&highs != 0 {
				break
			}
			i += 8
		}
		if i >= len(data) {
			w.syntax(i, "unexpected end of input in string")
		}
		switch c := data[i]; {
		case c == '"':
			w.pos = i + 1
			return data[start:i], escaped, valid
		case c == '\\':
			escaped = true
			i = w.escape(i)
		case c < 0x20:
			w.syntax(i, fmt.Sprintf("control character %s in string", quoteChar(c)))
		case c < utf8.RuneSelf:
			i++
		default:
			r, size := utf8.DecodeRune(data[i:])
			if r == utf8.RuneError && size == 1 {
				valid = false
			}
			i += size
		}
	}
}

// escape checks the escape sequence at i and returns the offset after it.
func (w *walker) escape(i int) int {
	data := w.data
	if i+1 >= len(data) {
		w.syntax(i+1, "unexpected end of input in string")
	}
	switch data[i+1] {
	case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
		return i + 2
	case 'u':
		for j := i + 2; j < i+6; j++ {
			if j >= len(data) {
				w.syntax(j, "unexpected end of input in string")
			}
			if hexValue(data[j]) < 0 {
				w.syntax(j, fmt.Sprintf("invalid character %s in \\u escape", quoteChar(data[j])))
			}
		}
		return i + 6
	}
	w.syntax(i+1, fmt.Sprintf("invalid escape %s in string", quoteChar(data[i+1])))
	return 0
}

func hexValue(c byte) rune {
	switch {
	case '0' <= c && c <= '9':
		return rune(c - '0')
	case 'a' <= c && c <= 'f':
		return rune(c - 'a' + 10)
	case 'A' <= c && c <= 'F':
		return rune(c - 'A' + 10)
	}
	return -1
}

// appendUnescaped appends the string content s with its escapes decoded as encoding/json decodes
// them: a lone surrogate becomes U+FFFD.
func appendUnescaped(dst, s []byte) []byte {
	for len(s) > 0 {
		i := bytes.IndexByte(s, '\\')
		if i < 0 {
			return append(dst, s...)
		}
		dst = append(dst, s[:i]...)
		s = s[i:]
		if len(s) < 2 || s[1] == 'u' && len(s) < 6 {
			// Only lookahead passes unchecked content, and its verdict comes from the full walk.
			return append(dst, s...)
		}
		switch s[1] {
		case 'b':
			dst = append(dst, '\b')
		case 'f':
			dst = append(dst, '\f')
		case 'n':
			dst = append(dst, '\n')
		case 'r':
			dst = append(dst, '\r')
		case 't':
			dst = append(dst, '\t')
		case 'u':
			r := hex4(s[2:6])
			s = s[6:]
			if utf16.IsSurrogate(r) {
				r2 := rune(-1)
				if len(s) >= 6 && s[0] == '\\' && s[1] == 'u' {
					r2 = hex4(s[2:6])
				}
				if pair := utf16.DecodeRune(r, r2); pair != utf8.RuneError {
					r = pair
					s = s[6:]
				} else {
					r = utf8.RuneError
				}
			}
			dst = utf8.AppendRune(dst, r)
			continue
		default: // '"', '\\' and '/'
			dst = append(dst, s[1])
		}
		s = s[2:]
	}
	return dst
}

func hex4(b []byte) rune {
	return hexValue(b[0])<<12 | hexValue(b[1])<<8 | hexValue(b[2])<<4 | hexValue(b[3])
}

// scanNumber scans the number that starts at w.pos and moves past it. integer reports a literal
// without fraction or exponent.
func (w *walker) scanNumber() (literal []byte, integer bool) {
	data := w.data
	start, i := w.pos, w.pos
	if data[i] == '-' {
		i++
	}
	switch {
	case i < len(data) && data[i] == '0':
		i++
	case i < len(data) && '1' <= data[i] && data[i] <= '9':
		i = skipDigits(data, i+1)
	default:
		w.unexpected(i, "in numeric literal")
	}
	integer = true
	if i < len(data) && data[i] == '.' {
		integer = false
		i++
		if i >= len(data) || !isDigit(data[i]) {
			w.unexpected(i, "after decimal point in numeric literal")
		}
		i = skipDigits(data, i)
	}
	if i < len(data) && (data[i] == 'e' || data[i] == 'E') {
		integer = false
		i++
		if i < len(data) && (data[i] == '+' || data[i] == '-') {
			i++
		}
		if i >= len(data) || !isDigit(data[i]) {
			w.unexpected(i, "in exponent of numeric literal")
		}
		i = skipDigits(data, i)
	}
	w.pos = i
	return data[start:i], integer
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func skipDigits(data []byte, i int) int {
	for i < len(data) && isDigit(data[i]) {
		i++
	}
	return i
}

// scanLiteral moves past true, false or null at w.pos and returns it.
func (w *walker) scanLiteral() []byte {
	data := w.data[w.pos:]
	for _, literal := range [...]string{"true", "false", "null"} {
		if bytes.HasPrefix(data, []byte(literal)) {
			w.pos += len(literal)
			return data[:len(literal)]
		}
	}
	w.unexpected(w.pos+literalMismatch(data), "in literal")
	return nil
}

// literalMismatch returns the offset of the first byte of data that no literal continues with.
func literalMismatch(data []byte) int {
	best := 0
	for _, literal := range [...]string{"true", "false", "null"} {
		n := 0
		for n < len(data) && n < len(literal) && data[n] == literal[n] {
			n++
		}
		best = max(best, n)
	}
	return best
}

// skipLenient returns the offset after the value that starts at i, found without checking the
// value, or -1 when the input ends first. Lookahead uses it; the value is checked by a full walk
// afterwards.
func skipLenient(data []byte, i int) int {
	if i >= len(data) {
		return -1
	}
	switch data[i] {
	case '"':
		return endOfString(data, i)
	case '{', '[':
		depth := 0
		for i < len(data) {
			switch data[i] {
			case '"':
				if i = endOfString(data, i); i < 0 {
					return -1
				}
				continue
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return i + 1
				}
			}
			i++
		}
		return -1
	}
	for i < len(data) {
		switch data[i] {
		case ',', '}', ']', ' ', '\t', '\n', '\r':
			return i
		}
		i++
	}
	return i
}

// endOfString returns the offset after the string that starts at i, or -1.
func endOfString(data []byte, i int) int {
	i++
	for {
		j := bytes.IndexByte(data[i:], '"')
		if j < 0 {
			return -1
		}
		i += j
		backslashes := 0
		for k := i - 1; data[k] == '\\'; k-- {
			backslashes++
		}
		i++
		if backslashes%2 == 0 {
			return i
		}
	}
}
