package validate

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// corpusCase is a body judged by the fast path and by the reference.
type corpusCase struct {
	name string
	op   Operation
	body []byte
	// differs names the known difference from kin-openapi for a body that the fast path
	// rejects and the reference accepts. It is empty when the verdicts must agree.
	differs string
}

// Known differences from kin-openapi v0.153.0, each explained where the validator decides it.
const (
	differsImpliedType = "implied type"
	differsInteger     = "integer literal"
	differsFloat       = "float64 range"
	differsFolded      = "case-folded member"
	differsDuplicate   = "duplicate member"
	differsUTF8        = "invalid UTF-8"
	differsTrailing    = "trailing data"
	differsDepth       = "depth limit"
)

const (
	validSession = `{"id":"ses_1","execute_count":3,"started_at":"2026-01-02T03:04:05Z",` +
		`"last_execute_at":"2026-01-02T03:04:06.5Z","expires_at":"2026-01-02T04:04:05Z"}`
	stdoutOutput  = `{"type":"stdout","data":"hello\n"}`
	errorOutput   = `{"type":"error","data":"Traceback (most recent call last): ZeroDivisionError"}`
	displayOutput = `{"type":"display_data","data":{"image/png":"iVBORw0KGgo=","text/plain":"<Figure>",` +
		`"application/json":{"a":[1,2.5,{"b":null}]},"text/html":"<b>x</b>"}}`
	resultOutput = `{"type":"execute_result","data":{"text/plain":"42"}}`
)

func sessions(items ...string) string {
	return `{"data":{"sessions":[` + strings.Join(items, ",") + `]}}`
}

func success(outputs ...string) string {
	return `{"data":{"session_id":"ses_1","status":"success","outputs":[` + strings.Join(outputs, ",") + `]},"errors":null}`
}

func session(replace map[string]string) string {
	fields := map[string]string{
		"id": `"ses_1"`, "execute_count": `3`, "started_at": `"2026-01-02T03:04:05Z"`,
		"last_execute_at": `"2026-01-02T03:04:06.5Z"`, "expires_at": `"2026-01-02T04:04:05Z"`,
	}
	maps.Copy(fields, replace)
	var parts []string
	for _, name := range slices.Sorted(maps.Keys(fields)) {
		if fields[name] != "" {
			parts = append(parts, strconv.Quote(name)+":"+fields[name])
		}
	}
	return "{" + strings.Join(parts, ",") + "}"
}

// handWritten returns response bodies written to cover each keyword, format and known
// difference of the spec.
func handWritten() []corpusCase {
	s := func(name, body string) corpusCase {
		return corpusCase{name: name, op: ListSessions, body: []byte(body)}
	}
	e := func(name, body string) corpusCase { return corpusCase{name: name, op: ExecuteCode, body: []byte(body)} }
	differ := func(c corpusCase, difference string) corpusCase { c.differs = difference; return c }
	return []corpusCase{
		s("sessions empty", sessions()),
		s("sessions one", sessions(validSession)),
		s("sessions two", sessions(validSession, validSession)),
		s("sessions with errors", `{"data":{"sessions":[]},"errors":["quota",{"code":429}]}`),
		s("sessions errors only", `{"errors":["not found"]}`),
		s("sessions empty object", `{}`),
		s("sessions data null", `{"data":null}`),
		s("sessions missing sessions", `{"data":{}}`),
		s("sessions not array", `{"data":{"sessions":{}}}`),
		s("sessions null", `{"data":{"sessions":null}}`),
		s("sessions top array", `[]`),
		s("sessions top string", `"x"`),
		s("sessions top null", `null`),
		s("session not object", sessions(`"ses_1"`)),
		s("session missing id", sessions(session(map[string]string{"id": ""}))),
		s("session missing count", sessions(session(map[string]string{"execute_count": ""}))),
		s("session missing started", sessions(session(map[string]string{"started_at": ""}))),
		s("session id number", sessions(session(map[string]string{"id": `7`}))),
		s("session id null", sessions(session(map[string]string{"id": `null`}))),
		s("session count string", sessions(session(map[string]string{"execute_count": `"3"`}))),
		s("session count fraction", sessions(session(map[string]string{"execute_count": `3.5`}))),
		s("session count negative", sessions(session(map[string]string{"execute_count": `-3`}))),
		s("session count zero", sessions(session(map[string]string{"execute_count": `0`}))),
		s("session count max int64", sessions(session(map[string]string{"execute_count": `9223372036854775807`}))),
		s("session count min int64", sessions(session(map[string]string{"execute_count": `-9223372036854775808`}))),
		s("session count boolean", sessions(session(map[string]string{"execute_count": `true`}))),
		s("session extra field", sessions(session(map[string]string{"region": `"eu"`}))),
		s("session date-time nanos", sessions(session(map[string]string{"started_at": `"2026-01-02T03:04:05.123456789Z"`}))),
		s("session date-time offset", sessions(session(map[string]string{"started_at": `"2026-01-02T03:04:05+05:30"`}))),
		s("session date-time negative offset", sessions(session(map[string]string{"started_at": `"2026-01-02T03:04:05.5-08:00"`}))),
		s("session date-time unknown offset", sessions(session(map[string]string{"started_at": `"2026-01-02T03:04:05-00:00"`}))),
		s("session date-time month 13", sessions(session(map[string]string{"started_at": `"2024-13-01T00:00:00Z"`}))),
		s("session date-time 31 February", sessions(session(map[string]string{"started_at": `"2024-02-31T00:00:00Z"`}))),
		s("session date-time 29 February leap", sessions(session(map[string]string{"started_at": `"2024-02-29T00:00:00Z"`}))),
		s("session date-time 29 February", sessions(session(map[string]string{"started_at": `"2023-02-29T00:00:00Z"`}))),
		s("session date-time second 60", sessions(session(map[string]string{"started_at": `"2016-12-31T23:59:60Z"`}))),
		s("session date-time hour 24", sessions(session(map[string]string{"started_at": `"2024-01-01T24:00:00Z"`}))),
		s("session date-time lowercase t", sessions(session(map[string]string{"started_at": `"2024-01-01t00:00:00Z"`}))),
		s("session date-time lowercase z", sessions(session(map[string]string{"started_at": `"2024-01-01T00:00:00z"`}))),
		s("session date-time no offset", sessions(session(map[string]string{"started_at": `"2024-01-01T00:00:00"`}))),
		s("session date-time space", sessions(session(map[string]string{"started_at": `"2024-01-01 00:00:00Z"`}))),
		s("session date-time date only", sessions(session(map[string]string{"started_at": `"2024-01-01"`}))),
		s("session date-time offset 24", sessions(session(map[string]string{"started_at": `"2024-01-01T00:00:00+24:00"`}))),
		s("session date-time empty", sessions(session(map[string]string{"started_at": `""`}))),
		s("session date-time number", sessions(session(map[string]string{"started_at": `1700000000`}))),
		s("errors item number", `{"errors":[5]}`),
		s("errors item null", `{"errors":[null]}`),
		s("errors not array", `{"errors":"x"}`),
		s("errors item array", `{"errors":[[]]}`),

		e("execute stdout", success(stdoutOutput)),
		e("execute all outputs", success(stdoutOutput, errorOutput, displayOutput, resultOutput)),
		e("execute no outputs", success()),
		e("execute no status", `{"data":{"session_id":"s","outputs":[]},"errors":null}`),
		e("execute stderr", success(`{"type":"stderr","data":"warning"}`)),
		e("execute unknown output type", success(`{"type":"foo","data":"x"}`)),
		e("execute output type number", success(`{"type":1,"data":"x"}`)),
		e("execute output missing type", success(`{"data":"x"}`)),
		e("execute output missing data", success(`{"type":"stdout"}`)),
		e("execute output data number", success(`{"type":"stdout","data":1}`)),
		e("execute output string", success(`"hello"`)),
		e("execute output null", success(`null`)),
		e("execute output array", success(`[]`)),
		e("execute output extra field", success(`{"type":"stdout","data":"x","name":"cell"}`)),
		e("execute error output object data", success(`{"type":"error","data":{"ename":"ValueError"}}`)),
		e("execute display data string", success(`{"type":"display_data","data":"x"}`)),
		e("execute display bad base64 url alphabet", success(`{"type":"display_data","data":{"image/png":"a-_b"}}`)),
		e("execute display bad base64 no padding", success(`{"type":"display_data","data":{"image/png":"aGk"}}`)),
		e("execute display bad base64 length", success(`{"type":"display_data","data":{"image/png":"aGVsb"}}`)),
		e("execute display bad base64 excess padding", success(`{"type":"display_data","data":{"image/png":"aGk=="}}`)),
		e("execute display base64 empty", success(`{"type":"display_data","data":{"image/png":""}}`)),
		e("execute display base64 line breaks", success(`{"type":"display_data","data":{"image/gif":"aGVs\nbG8=\r\n"}}`)),
		e("execute display base64 escaped slash", success(`{"type":"display_data","data":{"image/jpeg":"a\/8="}}`)),
		e("execute display pdf", success(`{"type":"display_data","data":{"application/pdf":"JVBERi0xLjQ="}}`)),
		e("execute display json not object", success(`{"type":"display_data","data":{"application/json":[1]}}`)),
		e("execute display geojson", success(`{"type":"display_data","data":{"application/geo+json":{"type":"Point"}}}`)),
		e("execute display vega", success(`{"type":"display_data","data":{"application/vnd.vega.v5+json":{},"application/vnd.vegalite.v4+json":{}}}`)),
		e("execute display svg number", success(`{"type":"display_data","data":{"image/svg+xml":5}}`)),
		e("execute display unknown mime", success(`{"type":"display_data","data":{"image/webp":"UklGRg=="}}`)),
		e("execute display all text", success(`{"type":"execute_result","data":{"text/html":"a","text/latex":"b","text/markdown":"c","application/javascript":"d"}}`)),
		e("execute status unknown", `{"data":{"session_id":"s","status":"failed","outputs":[]},"errors":null}`),
		e("execute session id null", `{"data":{"session_id":null,"outputs":[]},"errors":null}`),
		e("execute missing session id", `{"data":{"outputs":[]},"errors":null}`),
		e("execute outputs null", `{"data":{"session_id":"s","outputs":null},"errors":null}`),
		e("execute missing errors", `{"data":{"session_id":"s","outputs":[]}}`),
		e("execute errors empty array", `{"data":{"session_id":"s","outputs":[]},"errors":[]}`),
		e("execute failed", `{"data":null,"errors":["boom",{"code":"E1","detail":{"x":1}}]}`),
		e("execute failed empty", `{"data":null,"errors":[]}`),
		e("execute failed item number", `{"data":null,"errors":[1]}`),
		e("execute failed data object", `{"data":{},"errors":["x"]}`),
		e("execute both null", `{"data":null,"errors":null}`),
		e("execute empty object", `{}`),
		e("execute top array", `[]`),
		e("execute top string", `"x"`),

		differ(s("integer with zero fraction", sessions(session(map[string]string{"execute_count": `1.0`}))), differsInteger),
		differ(s("integer with exponent", sessions(session(map[string]string{"execute_count": `1e2`}))), differsInteger),
		differ(s("integer beyond int64", sessions(session(map[string]string{"execute_count": `9223372036854775808`}))), differsInteger),
		differ(s("integer below int64", sessions(session(map[string]string{"execute_count": `-9223372036854775809`}))), differsInteger),
		differ(s("number beyond float64", `{"data":{"sessions":[]},"extra":1e400}`), differsFloat),
		differ(e("number beyond float64 in json", success(`{"type":"display_data","data":{"application/json":{"x":-1e999}}}`)), differsFloat),
		s("date-time with escape", sessions(session(map[string]string{"started_at": `"2026-01-02T03:04:05\u005a"`}))),
		differ(s("data string", `{"data":"x"}`), differsImpliedType),
		differ(s("data number", `{"data":5}`), differsImpliedType),
		differ(s("data array", `{"data":[]}`), differsImpliedType),
		differ(s("case-folded data", `{"data":{"sessions":[]},"Data":5}`), differsFolded),
		differ(s("case-folded session field", sessions(session(map[string]string{"ID": `7`}))), differsFolded),
		differ(s("case-folded long s", sessions(session(map[string]string{"ſtarted_at": `"x"`}))), differsFolded),
		differ(e("case-folded output data", success(`{"type":"stdout","data":"x","DATA":5}`)), differsFolded),
		differ(e("case-folded output data replacing a valid value", success(`{"type":"stdout","data":"real","Data":"fake"}`)), differsFolded),
		differ(s("case-folded session id replacing a valid value", sessions(session(map[string]string{"ID": `"ses_fake"`}))), differsFolded),
		differ(s("duplicate member", `{"data":{"sessions":[]},"data":{"sessions":[]}}`), differsDuplicate),
		differ(s("duplicate escaped member", `{"data":{"sessions":[]},"d\u0061ta":{"sessions":[]}}`), differsDuplicate),
		differ(s("duplicate extra member", `{"data":{"sessions":[]},"x":1,"x":2}`), differsDuplicate),
		differ(s("invalid UTF-8 string", "{\"data\":{\"sessions\":[]},\"x\":\"\xff\"}"), differsUTF8),
		differ(s("invalid UTF-8 name", "{\"data\":{\"sessions\":[]},\"\xc3\":1}"), differsUTF8),
		differ(s("trailing data", sessions()+` {}`), differsTrailing),
		differ(s("trailing garbage", sessions()+`x`), differsTrailing),
		differ(e("depth beyond limit", success(`{"type":"display_data","data":{"application/json":{"x":`+
			strings.Repeat("[", MaxDepth)+strings.Repeat("]", MaxDepth)+`}}}`)), differsDepth),
		e("depth at limit", success(`{"type":"display_data","data":{"application/json":{"x":`+
			strings.Repeat("[", MaxDepth-6)+strings.Repeat("]", MaxDepth-6)+`}}}`)),
	}
}

// mutations returns bodies derived from seed by changing one value at a time. Each value is
// replaced with a value of every kind and with strings that break or keep the formats and enums
// of the spec. Objects lose and gain members, and arrays shrink and grow.
func mutations(tb testing.TB, name string, op Operation, seed string, implied map[string]bool) []corpusCase {
	tb.Helper()
	root := decodeAny(tb, []byte(seed))
	var out []corpusCase
	add := func(pointer, what string, value any, kinds string) {
		differs := ""
		if implied[pointer] && kinds != "object" && kinds != "null" {
			differs = differsImpliedType
		}
		out = append(out, corpusCase{
			name:    fmt.Sprintf("%s %s %s", name, pointerOrRoot(pointer), what),
			op:      op,
			body:    mustMarshal(tb, value),
			differs: differs,
		})
	}
	for _, path := range paths(root, nil) {
		pointer := pointerOfPath(path)
		current := valueAt(root, path)
		for _, r := range replacements(current) {
			add(pointer, "= "+r.what, replaceAt(root, path, r.value), r.kind)
		}
		switch current := current.(type) {
		case map[string]any:
			for _, member := range slices.Sorted(maps.Keys(current)) {
				changed := maps.Clone(current)
				delete(changed, member)
				add(pointer, "without "+member, replaceAt(root, path, changed), "object")
			}
			for _, extra := range []any{"x", nil, json.Number("1"), map[string]any{}} {
				changed := maps.Clone(current)
				changed["extra_field"] = extra
				add(pointer, fmt.Sprintf("with extra %v", extra), replaceAt(root, path, changed), "object")
			}
		case []any:
			if len(current) > 0 {
				add(pointer, "without first", replaceAt(root, path, slices.Clone(current[1:])), "array")
				add(pointer, "with first twice", replaceAt(root, path, append(slices.Clone(current), current[0])), "array")
			}
			add(pointer, "with number", replaceAt(root, path, append(slices.Clone(current), json.Number("5"))), "array")
			add(pointer, "with null", replaceAt(root, path, append(slices.Clone(current), nil)), "array")
		}
	}
	return out
}

type replacement struct {
	what  string
	value any
	kind  string
}

var (
	kindReplacements = []replacement{
		{"null", nil, "null"},
		{"true", true, "boolean"},
		{"7", json.Number("7"), "number"},
		{"-1.5", json.Number("-1.5"), "number"},
		{`"text"`, "text", "string"},
		{"[]", []any{}, "array"},
		{"{}", map[string]any{}, "object"},
	}
	stringReplacements = []string{
		"", "2024-13-01T00:00:00Z", "2016-12-31T23:59:60Z", "2023-02-29T10:00:00Z",
		"2024-01-01 00:00:00Z", "2024-01-01T00:00:00.123456789+05:30", "2024-01-01T00:00:00-00:00",
		"a-_b", "aGk", "aGk=", "aGVsbG8gd29ybGQ=", "a", "foo", "stdout", "stderr", "error",
		"display_data", "execute_result", "success", "python", "base64", "string",
	}
)

func replacements(current any) []replacement {
	out := slices.Clone(kindReplacements)
	if _, isString := current.(string); isString {
		for _, s := range stringReplacements {
			out = append(out, replacement{strconv.Quote(s), s, "string"})
		}
	}
	return out
}

func pointerOrRoot(pointer string) string {
	if pointer == "" {
		return "/"
	}
	return pointer
}

func decodeAny(tb testing.TB, body []byte) any {
	tb.Helper()
	decoder := json.NewDecoder(bytes.NewReader(body))
	decoder.UseNumber()
	var v any
	if err := decoder.Decode(&v); err != nil {
		tb.Fatalf("decode %s: %v", body, err)
	}
	return v
}

// paths returns the path of every value inside v, v's own included, in document order.
func paths(v any, prefix []any) [][]any {
	out := [][]any{slices.Clone(prefix)}
	switch v := v.(type) {
	case map[string]any:
		for _, name := range slices.Sorted(maps.Keys(v)) {
			out = append(out, paths(v[name], append(prefix, name))...)
		}
	case []any:
		for i, item := range v {
			out = append(out, paths(item, append(prefix, i))...)
		}
	}
	return out
}

func pointerOfPath(path []any) string {
	var b strings.Builder
	for _, step := range path {
		b.WriteByte('/')
		switch step := step.(type) {
		case string:
			b.WriteString(escapePointer(step))
		case int:
			b.WriteString(strconv.Itoa(step))
		}
	}
	return b.String()
}

func valueAt(v any, path []any) any {
	for _, step := range path {
		switch step := step.(type) {
		case string:
			v = v.(map[string]any)[step]
		case int:
			v = v.([]any)[step]
		}
	}
	return v
}

// replaceAt returns a copy of v with the value at path replaced.
func replaceAt(v any, path []any, value any) any {
	if len(path) == 0 {
		return value
	}
	switch step := path[0].(type) {
	case string:
		changed := maps.Clone(v.(map[string]any))
		changed[step] = replaceAt(changed[step], path[1:], value)
		return changed
	default:
		changed := slices.Clone(v.([]any))
		changed[step.(int)] = replaceAt(changed[step.(int)], path[1:], value)
		return changed
	}
}

// resolve reports whether the JSON pointer names a value of the body.
func resolve(body any, pointer string) bool {
	if pointer == "" {
		return true
	}
	v := body
	for _, token := range strings.Split(pointer[1:], "/") {
		token = strings.NewReplacer("~1", "/", "~0", "~").Replace(token)
		switch current := v.(type) {
		case map[string]any:
			next, ok := current[token]
			if !ok {
				return false
			}
			v = next
		case []any:
			i, err := strconv.Atoi(token)
			if err != nil || i < 0 || i >= len(current) {
				return false
			}
			v = current[i]
		default:
			return false
		}
	}
	return true
}

// tryDecodeAny decodes body into interface{} values, or reports that it is not one JSON value.
func tryDecodeAny(body []byte) (any, bool) {
	if !json.Valid(body) {
		return nil, false
	}
	decoder := json.NewDecoder(bytes.NewReader(body))
	decoder.UseNumber()
	var v any
	if err := decoder.Decode(&v); err != nil {
		return nil, false
	}
	return v, true
}
