package wrapper

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/tcikit/tci/generated"
	"github.com/tcikit/tci/validate"
)

// DecodeExecuteResponse decodes the body of a 2xx response to POST /tci/execute. It does not
// check the body against the spec; the Client does that before it decodes.
//
// The body alone decides between success and failure: "data" set with "errors" null or
// absent yields the *Result, and "data" null or absent with "errors" set (an array, even an
// empty one) yields a *FailedError. Anything that cannot be read as one of the two without
// guessing yields an *InvalidResponseError. Such bodies are empty or truncated, not UTF-8, not
// a JSON object, or set both or neither of "data" and "errors". Others lack a required field,
// carry a value of the wrong JSON type, or a payload that is not valid base64.
func DecodeExecuteResponse(body []byte) (*Result, error) {
	if err := checkJSONText(body); err != nil {
		return nil, err
	}
	var wire wireExecuteResponse
	if err := json.Unmarshal(body, &wire); err != nil {
		return nil, jsonError(body, err)
	}
	switch {
	case wire.Data != nil && wire.Errors != nil:
		return nil, invalid("", "data and errors are both set; a response carries exactly one", nil)
	case wire.Errors != nil:
		return nil, &FailedError{Operation: validate.ExecuteCode, Errors: *wire.Errors}
	case wire.Data == nil:
		return nil, invalid("", "data and errors are both missing or null", nil)
	}
	return wire.Data.result()
}

// DecodeSessionList decodes the body of a 2xx response to GET /tci/sessions. It does not check
// the body against the spec; the Client does that before it decodes.
//
// A non-empty "errors" array yields a *FailedError. The spec makes both "data" and "errors"
// optional, so a body whose "data" is missing or null, such as {}, lists no sessions. Otherwise
// "data.sessions" must be an array of sessions with every required field, and each timestamp
// must be an RFC 3339 date-time in any of its forms. Anything else yields an
// *InvalidResponseError naming the field and value.
func DecodeSessionList(body []byte) ([]Session, error) {
	if err := checkJSONText(body); err != nil {
		return nil, err
	}
	var wire wireSessionList
	if err := json.Unmarshal(body, &wire); err != nil {
		return nil, jsonError(body, err)
	}
	if wire.Errors != nil && len(*wire.Errors) > 0 {
		return nil, &FailedError{Operation: validate.ListSessions, Errors: *wire.Errors}
	}
	if wire.Data == nil {
		return []Session{}, nil
	}
	if wire.Data.Sessions == nil {
		return nil, invalid("/data", "sessions is missing or null", nil)
	}
	sessions := make([]Session, len(*wire.Data.Sessions))
	for i, w := range *wire.Data.Sessions {
		s, err := w.session("/data/sessions/" + strconv.Itoa(i))
		if err != nil {
			return nil, err
		}
		sessions[i] = s
	}
	return sessions, nil
}

// checkJSONText rejects bodies that no JSON decoder should read: empty, not UTF-8 (RFC 8259
// section 8.1 requires UTF-8, and encoding/json would silently replace the bad bytes), or the
// JSON null.
func checkJSONText(body []byte) *InvalidResponseError {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 {
		return invalid("", "empty body", nil)
	}
	if !utf8.Valid(body) {
		return invalid("", fmt.Sprintf("body is not valid UTF-8 at byte %d", invalidUTF8Offset(body)), nil)
	}
	if string(trimmed) == "null" {
		return invalid("", "expected object, got null", nil)
	}
	return nil
}

func invalidUTF8Offset(b []byte) int {
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size == 1 {
			return i
		}
		i += size
	}
	return len(b)
}

type wireExecuteResponse struct {
	Data   *wireExecutionData         `json:"data"`
	Errors *[]generated.ResponseError `json:"errors"`
}

type wireExecutionData struct {
	SessionID *string       `json:"session_id"`
	Status    *string       `json:"status"`
	Outputs   *[]wireOutput `json:"outputs"`
}

type wireOutput struct {
	Type *string    `json:"type"`
	Data outputData `json:"data"`
}

// outputData is the "data" of an output, a string or an object depending on its type. It
// records the JSON type it found so that the caller can report a mismatch with a pointer.
type outputData struct {
	kind   byte // first byte of the JSON value, 0 when the field is absent
	text   string
	fields map[string]json.RawMessage
}

// UnmarshalJSON stores a string or the members of an object, and only the kind of anything
// else.
func (d *outputData) UnmarshalJSON(b []byte) error {
	d.kind = b[0]
	switch d.kind {
	case '"':
		return unquote(b, &d.text)
	case '{':
		return json.Unmarshal(b, &d.fields)
	}
	return nil
}

// unquote decodes the JSON string literal b into s. encoding/json has already checked b as part
// of a valid UTF-8 body, so a literal without a backslash is its bytes between the quotes, and
// only one with escapes needs the decoder, which would check it all again.
func unquote(b []byte, s *string) error {
	if inner, ok := unescaped(b); ok {
		*s = string(inner)
		return nil
	}
	return json.Unmarshal(b, s)
}

// unescaped returns the content of a JSON string literal that contains no escape sequence.
func unescaped(b []byte) ([]byte, bool) {
	if len(b) < 2 || b[0] != '"' || bytes.IndexByte(b[1:len(b)-1], '\\') >= 0 {
		return nil, false
	}
	return b[1 : len(b)-1], true
}

func (w *wireExecutionData) result() (*Result, error) {
	if w.SessionID == nil {
		return nil, invalid("/data", "session_id is missing or null", nil)
	}
	if w.Outputs == nil {
		return nil, invalid("/data", "outputs is missing or null", nil)
	}
	result := &Result{SessionID: *w.SessionID, Outputs: make([]Output, len(*w.Outputs))}
	if w.Status != nil {
		result.Status = *w.Status
	}
	for i, wo := range *w.Outputs {
		o, err := wo.output("/data/outputs/" + strconv.Itoa(i))
		if err != nil {
			return nil, err
		}
		result.Outputs[i] = o
	}
	return result, nil
}

func (w *wireOutput) output(pointer string) (Output, error) {
	if w.Type == nil {
		return Output{}, invalid(pointer, "type is missing or null", nil)
	}
	t := OutputType(*w.Type)
	switch t {
	case OutputStdout, OutputStderr, OutputError:
		if w.Data.kind != '"' {
			return Output{}, wrongKind(pointer+"/data", "string", w.Data.kind)
		}
		return Output{Type: t, Text: w.Data.text}, nil
	case OutputDisplayData, OutputExecuteResult:
		if w.Data.kind != '{' {
			return Output{}, wrongKind(pointer+"/data", "object", w.Data.kind)
		}
		data, err := decodeMIMEBundle(pointer+"/data", w.Data.fields)
		return Output{Type: t, Data: data}, err
	}
	// An output type the spec does not define is kept as it is: a string as Text, an object
	// with its members as Data and no base64 decoding.
	switch w.Data.kind {
	case '"':
		return Output{Type: t, Text: w.Data.text}, nil
	case '{':
		data := make(map[string][]byte, len(w.Data.fields))
		for name, raw := range w.Data.fields {
			data[name] = rawPayload(raw)
		}
		return Output{Type: t, Data: data}, nil
	}
	return Output{}, invalid(pointer, fmt.Sprintf("output type %s is unknown and its data is %s",
		quoteShort(string(t)), kindName(w.Data.kind)), nil)
}

// payloadEncoding is the encoding that the spec gives the payload of one MIME type in a
// display_data or execute_result output.
type payloadEncoding int

const (
	payloadUnknown payloadEncoding = iota // not in the spec: strings as text, others as JSON
	payloadText                           // a string
	payloadBase64                         // a string with "format: byte"
	payloadJSON                           // an object
)

// mimeEncodings lists the MIME types of the spec's DisplayorExecuteOutput.data.
var mimeEncodings = map[string]payloadEncoding{
	"application/geo+json":             payloadJSON,
	"application/javascript":           payloadText,
	"application/json":                 payloadJSON,
	"application/pdf":                  payloadBase64,
	"application/vnd.vega.v5+json":     payloadJSON,
	"application/vnd.vegalite.v4+json": payloadJSON,
	"image/gif":                        payloadBase64,
	"image/jpeg":                       payloadBase64,
	"image/png":                        payloadBase64,
	"image/svg+xml":                    payloadText,
	"text/html":                        payloadText,
	"text/latex":                       payloadText,
	"text/markdown":                    payloadText,
	"text/plain":                       payloadText,
}

func decodeMIMEBundle(pointer string, fields map[string]json.RawMessage) (map[string][]byte, error) {
	names := make([]string, 0, len(fields))
	for name := range fields {
		names = append(names, name)
	}
	slices.Sort(names) // report the first bad payload in a stable order
	data := make(map[string][]byte, len(fields))
	for _, name := range names {
		raw := fields[name]
		at := pointer + "/" + escapePointerToken(name)
		switch mimeEncodings[name] {
		case payloadText, payloadBase64:
			if raw[0] != '"' {
				return nil, wrongKind(at, "string", raw[0])
			}
			payload, err := stringBytes(raw)
			if err != nil {
				return nil, invalid(at, err.Error(), err)
			}
			if mimeEncodings[name] == payloadText {
				data[name] = payload
				continue
			}
			decoded, err := decodeBase64(payload)
			if err != nil {
				return nil, invalid(at, "invalid base64: "+err.Error(), err)
			}
			data[name] = decoded
		case payloadJSON:
			if raw[0] != '{' {
				return nil, wrongKind(at, "object", raw[0])
			}
			data[name] = raw
		default:
			data[name] = rawPayload(raw)
		}
	}
	return data, nil
}

// stringBytes returns the content of the JSON string literal raw as bytes. The result may
// share memory with raw, which the caller owns.
func stringBytes(raw []byte) ([]byte, error) {
	if inner, ok := unescaped(raw); ok {
		return inner, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return nil, err
	}
	return []byte(s), nil
}

// decodeBase64 decodes standard base64 with padding (RFC 4648 section 4), as encoding/json
// decodes a string into []byte and as the validator checks "format: byte". Line breaks, which
// some kernels insert, are ignored. Unpadded input is rejected: without the padding a truncated
// payload can still decode, to the wrong bytes.
func decodeBase64(src []byte) ([]byte, error) {
	dst := make([]byte, base64.StdEncoding.DecodedLen(len(src)))
	n, err := base64.StdEncoding.Decode(dst, src)
	if err != nil {
		return nil, err
	}
	return dst[:n], nil
}

// rawPayload returns a JSON string as its text and any other JSON value as its JSON text.
func rawPayload(raw json.RawMessage) []byte {
	if raw[0] == '"' {
		if payload, err := stringBytes(raw); err == nil {
			return payload
		}
	}
	return raw
}

func wrongKind(pointer, want string, kind byte) *InvalidResponseError {
	return invalid(pointer, fmt.Sprintf("expected %s, got %s", want, kindName(kind)), nil)
}

// kindName names the JSON type of a value from its first byte.
func kindName(first byte) string {
	switch first {
	case 0:
		return "nothing"
	case '"':
		return "string"
	case '{':
		return "object"
	case '[':
		return "array"
	case 't', 'f':
		return "boolean"
	case 'n':
		return "null"
	}
	return "number"
}

type wireSessionList struct {
	Data *struct {
		Sessions *[]wireSession `json:"sessions"`
	} `json:"data"`
	Errors *[]generated.ResponseError `json:"errors"`
}

type wireSession struct {
	ID            *string `json:"id"`
	ExecuteCount  *int    `json:"execute_count"`
	ExpiresAt     *string `json:"expires_at"`
	LastExecuteAt *string `json:"last_execute_at"`
	StartedAt     *string `json:"started_at"`
}

func (w *wireSession) session(pointer string) (Session, error) {
	if w.ID == nil {
		return Session{}, invalid(pointer, "id is missing or null", nil)
	}
	if w.ExecuteCount == nil {
		return Session{}, invalid(pointer, "execute_count is missing or null", nil)
	}
	s := Session{ID: *w.ID, ExecuteCount: *w.ExecuteCount}
	times := []struct {
		name  string
		value *string
		dest  *time.Time
	}{
		{"started_at", w.StartedAt, &s.StartedAt},
		{"last_execute_at", w.LastExecuteAt, &s.LastExecuteAt},
		{"expires_at", w.ExpiresAt, &s.ExpiresAt},
	}
	for _, field := range times {
		if field.value == nil {
			return Session{}, invalid(pointer, field.name+" is missing or null", nil)
		}
		t, err := parseTimestamp(*field.value)
		if err != nil {
			return Session{}, invalid(pointer+"/"+field.name, field.name+": "+err.Error(), err)
		}
		*field.dest = t
	}
	return s, nil
}

// failureErrors returns the items of "errors" when body has the spec's failure shape: a JSON
// object whose "data" is null or absent and whose "errors" is a non-empty array. It returns nil
// for any other body, such as an HTML page, a truncated body or {"detail": "Not Found"}.
func failureErrors(body []byte) []generated.ResponseError {
	var wire struct {
		Data   json.RawMessage           `json:"data"`
		Errors []generated.ResponseError `json:"errors"`
	}
	if !utf8.Valid(body) || json.Unmarshal(body, &wire) != nil {
		return nil
	}
	if (len(wire.Data) > 0 && string(wire.Data) != "null") || len(wire.Errors) == 0 {
		return nil
	}
	return wire.Errors
}

// errorItemMessage returns an item of "errors" as one message: a string as it is, an object by
// its "message" field when that is a string, and anything else as its JSON text.
func errorItemMessage(item generated.ResponseError) string {
	raw, err := item.MarshalJSON()
	if err != nil || len(raw) == 0 {
		return ""
	}
	if text, err := item.AsErrorMessage(); err == nil {
		return text
	}
	if detail, err := item.AsErrorDetail(); err == nil {
		if message, ok := detail["message"].(string); ok {
			return message
		}
	}
	var compact bytes.Buffer
	if json.Compact(&compact, raw) == nil {
		return compact.String()
	}
	return string(raw)
}
