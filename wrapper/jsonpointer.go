package wrapper

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"

	"github.com/tcikit/tci/validate"
)

// invalid returns an *InvalidResponseError with one violation.
func invalid(pointer, reason string, cause error) *InvalidResponseError {
	if cause == nil {
		cause = errors.New(reason)
	}
	return &InvalidResponseError{
		Violations: []validate.Violation{{Pointer: pointer, Reason: reason}},
		Err:        cause,
	}
}

// jsonError converts an error of json.Unmarshal on body into an *InvalidResponseError whose
// violation points at the offending value.
func jsonError(body []byte, err error) *InvalidResponseError {
	var syntaxErr *json.SyntaxError
	var typeErr *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntaxErr) && strings.HasPrefix(syntaxErr.Error(), "unexpected end of JSON input"):
		return invalid("", "truncated JSON: "+syntaxErr.Error(), err)
	case errors.As(err, &syntaxErr):
		// Offset counts the bytes read, the offending one included.
		reason := fmt.Sprintf("invalid JSON at byte %d: %v", max(syntaxErr.Offset-1, 0), syntaxErr)
		return invalid("", reason, err)
	case errors.As(err, &typeErr):
		reason := fmt.Sprintf("expected %s, got %s", jsonKind(typeErr.Type), typeErr.Value)
		return invalid(pointerAt(body, typeErr.Offset), reason, err)
	default:
		return invalid("", err.Error(), err)
	}
}

// jsonKind names the JSON type that a Go type decodes from.
func jsonKind(t reflect.Type) string {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil {
		return "a value"
	}
	switch t.Kind() {
	case reflect.Struct, reflect.Map:
		return "object"
	case reflect.Slice, reflect.Array:
		return "array"
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "integer"
	case reflect.Float32, reflect.Float64:
		return "number"
	default:
		return t.String()
	}
}

// pointerAt returns the JSON pointer (RFC 6901) of the value in body that ends at byte offset
// or contains it, which is where encoding/json reports an *json.UnmarshalTypeError. It walks
// the tokens from the start, so it is meant for error paths only.
func pointerAt(body []byte, offset int64) string {
	type frame struct {
		array   bool
		index   int
		key     string
		wantKey bool
	}
	var stack []frame
	path := func() string {
		var b strings.Builder
		for _, f := range stack {
			b.WriteByte('/')
			if f.array {
				b.WriteString(strconv.Itoa(f.index))
			} else {
				b.WriteString(escapePointerToken(f.key))
			}
		}
		return b.String()
	}
	// valueDone moves the innermost container to its next element.
	valueDone := func() {
		if n := len(stack); n > 0 {
			if stack[n-1].array {
				stack[n-1].index++
			} else {
				stack[n-1].wantKey = true
			}
		}
	}

	// The path is built only once, on return, so the walk stays linear in the size of body
	// however deep it nests.
	decoder := json.NewDecoder(bytes.NewReader(body))
	for {
		if n := len(stack); n > 0 && !stack[n-1].array && stack[n-1].wantKey {
			token, err := decoder.Token()
			if err != nil {
				return path()
			}
			if key, ok := token.(string); ok {
				stack[n-1].key, stack[n-1].wantKey = key, false
				continue
			}
			stack = stack[:n-1] // the object ended
			valueDone()
			continue
		}
		// The next token starts a value at path(), or closes an array.
		token, err := decoder.Token()
		if err != nil {
			return path()
		}
		switch token {
		case json.Delim(']'):
			stack = stack[:len(stack)-1]
			valueDone()
			continue
		case json.Delim('['), json.Delim('{'):
			if decoder.InputOffset() >= offset {
				return path()
			}
			isArray := token == json.Delim('[')
			stack = append(stack, frame{array: isArray, wantKey: !isArray})
			continue
		}
		if decoder.InputOffset() >= offset {
			return path()
		}
		valueDone()
	}
}

// escapePointerToken escapes one reference token of a JSON pointer (RFC 6901 section 3).
func escapePointerToken(s string) string {
	if !strings.ContainsAny(s, "~/") {
		return s
	}
	return strings.NewReplacer("~", "~0", "/", "~1").Replace(s)
}
