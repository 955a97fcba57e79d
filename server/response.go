package server

import (
	"bytes"
	"encoding/json"
	"math"
	"net/http"
	"strconv"
	"unicode/utf8"
)

// MaxResponseOverhead is how many bytes the body of an execute response may have beyond the
// output limit (WithMaxOutputBytes): the JSON around the outputs, the stderr note about
// dropped output and the error output of a timeout or an ended session.
const MaxResponseOverhead = 1024

// The JSON of an execute response is written by hand below, so that its size is exactly what
// the output limit counts. Go's encoding/json escapes "<", ">" and "&" as \u003c and the like,
// six bytes for one, and escapes again what a json.RawMessage holds.

// jsonEscapedSize is the length of each ASCII character in a JSON string: 2 for the short
// escapes, 6 for the other control characters as \u00XX, and 1 for the rest.
var jsonEscapedSize = func() (sizes [utf8.RuneSelf]uint8) {
	for c := range sizes {
		switch {
		case c == '"' || c == '\\' || c == '\b' || c == '\f' || c == '\n' || c == '\r' || c == '\t':
			sizes[c] = 2
		case c < 0x20:
			sizes[c] = 6
		default:
			sizes[c] = 1
		}
	}
	return sizes
}()

// jsonStringSize returns the length of the JSON string that appendJSONString writes for text,
// without the quotes.
func jsonStringSize(text []byte) int64 {
	_, size := jsonStringPrefix(text, math.MaxInt64)
	return size
}

// jsonStringPrefix returns the length n of the longest prefix of text, cut between
// characters, whose JSON string as appendJSONString writes it takes at most maxSize bytes
// without the quotes, and that size.
func jsonStringPrefix(text []byte, maxSize int64) (n int, size int64) {
	for n < len(text) {
		c, width := text[n], 1
		charSize := int64(1)
		if c < utf8.RuneSelf {
			charSize = int64(jsonEscapedSize[c])
		} else {
			r, runeWidth := utf8.DecodeRune(text[n:])
			width, charSize = runeWidth, int64(runeWidth)
			if r == utf8.RuneError && runeWidth == 1 {
				charSize = int64(utf8.RuneLen(utf8.RuneError))
			}
		}
		if size+charSize > maxSize {
			break
		}
		size += charSize
		n += width
	}
	return n, size
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends text to dst as a JSON string. Each byte that is not part of valid
// UTF-8 becomes U+FFFD. Only '"', '\\' and the characters below U+0020 are escaped.
func appendJSONString(dst, text []byte) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(text); {
		c := text[i]
		if c < utf8.RuneSelf {
			i++
			if jsonEscapedSize[c] == 1 {
				continue
			}
			dst = append(dst, text[start:i-1]...)
			start = i
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			continue
		}
		r, n := utf8.DecodeRune(text[i:])
		if r == utf8.RuneError && n == 1 {
			dst = append(dst, text[start:i]...)
			dst = utf8.AppendRune(dst, utf8.RuneError)
			start = i + 1
		}
		i += n
	}
	dst = append(dst, text[start:]...)
	return append(dst, '"')
}

// outputEnvelope returns how many bytes an output of kind takes in the response besides its
// data: {"data":,"type":"KIND"}, the comma before the next output, and the quotes around the
// data of a text output.
func outputEnvelope(kind string) int64 {
	size := len(`{"data":,"type":""},`) + len(kind)
	if isText(kind) {
		size += len(`""`)
	}
	return int64(size)
}

// isText reports whether outputs of kind carry a string: stdout, stderr and error outputs.
func isText(kind string) bool { return isStream(kind) || kind == outputError }

// outputJSON returns the JSON of one output in the response: text as a JSON string for
// streams and errors, or data, the JSON of a MIME bundle, for the display types.
func outputJSON(kind string, text, data []byte) json.RawMessage {
	size := outputEnvelope(kind) + int64(len(data))
	if isText(kind) {
		size += jsonStringSize(text)
	}
	item := make([]byte, 0, size)
	item = append(item, `{"data":`...)
	if isText(kind) {
		item = appendJSONString(item, text)
	} else {
		item = append(item, data...)
	}
	item = append(item, `,"type":"`...)
	item = append(item, kind...)
	return append(item, `"}`...)
}

// errorOutput returns an error output with text.
func errorOutput(text string) json.RawMessage {
	return outputJSON(outputError, []byte(text), nil)
}

// encodeJSON returns the JSON of v without HTML escaping and without a final newline.
func encodeJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	encoder := json.NewEncoder(&buf)
	encoder.SetEscapeHTML(false)
	if err := encoder.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// executeSuccess is the 200 response of ExecuteCode: a SuccessfulExecution with status
// "success" and a null "errors". It writes the outputs as they are, without a copy of the
// whole body.
type executeSuccess struct {
	sessionID string
	outputs   []json.RawMessage
}

// VisitExecuteCodeResponse writes r with a Content-Length.
func (r executeSuccess) VisitExecuteCodeResponse(w http.ResponseWriter) error {
	head := []byte(`{"data":{"outputs":[`)
	tail := appendJSONString([]byte(`],"session_id":`), []byte(r.sessionID))
	tail = append(tail, `,"status":"success"},"errors":null}`+"\n"...)
	size := len(head) + len(tail) + max(len(r.outputs)-1, 0)
	for _, o := range r.outputs {
		size += len(o)
	}

	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(size))
	w.WriteHeader(http.StatusOK)
	if _, err := w.Write(head); err != nil {
		return err
	}
	for i, o := range r.outputs {
		if i > 0 {
			if _, err := w.Write([]byte(",")); err != nil {
				return err
			}
		}
		if _, err := w.Write(o); err != nil {
			return err
		}
	}
	_, err := w.Write(tail)
	return err
}
