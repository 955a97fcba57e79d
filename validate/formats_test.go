package validate

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3filter"

	"github.com/tcikit/tci/generated"
)

func sessionWithStart(start string) []byte {
	return []byte(sessions(session(map[string]string{"started_at": start})))
}

func TestDateTimeAcceptsRFC3339Forms(t *testing.T) {
	v := mustEmbedded(t)
	for _, tc := range []struct {
		value string
		want  time.Time
	}{
		{"2026-01-02T03:04:05Z", time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)},
		{"2026-01-02T03:04:05.5Z", time.Date(2026, 1, 2, 3, 4, 5, 5e8, time.UTC)},
		{"2026-01-02T03:04:05.123Z", time.Date(2026, 1, 2, 3, 4, 5, 123e6, time.UTC)},
		{"2026-01-02T03:04:05.123456Z", time.Date(2026, 1, 2, 3, 4, 5, 123456e3, time.UTC)},
		{"2026-01-02T03:04:05.123456789Z", time.Date(2026, 1, 2, 3, 4, 5, 123456789, time.UTC)},
		{"2026-01-02T03:04:05.123456789123Z", time.Date(2026, 1, 2, 3, 4, 5, 123456789, time.UTC)},
		{"2026-01-02T03:04:05+00:00", time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)},
		{"2026-01-02T03:04:05-00:00", time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)},
		{"2026-01-02T08:34:05+05:30", time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)},
		{"2026-01-01T19:04:05.25-08:00", time.Date(2026, 1, 2, 3, 4, 5, 25e7, time.UTC)},
		{"2026-01-03T03:03:05+23:59", time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)},
		{"2026-01-01T03:05:05-23:59", time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)},
		{"2024-02-29T00:00:00Z", time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC)},
		{"0000-01-01T00:00:00Z", time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC)},
		{"9999-12-31T23:59:59.999999999Z", time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC)},
	} {
		t.Run(tc.value, func(t *testing.T) {
			body := sessionWithStart(`"` + tc.value + `"`)
			if err := v.Response(ListSessions, 200, jsonHeader, body); err != nil {
				t.Fatalf("Response: %v", err)
			}
			var decoded generated.SessionListResponse
			if err := json.Unmarshal(body, &decoded); err != nil {
				t.Fatalf("decode: %v", err)
			}
			if got := decoded.Data.Sessions[0].StartedAt; !got.Equal(tc.want) {
				t.Errorf("decoded %v, want %v", got, tc.want)
			}
		})
	}
}

func TestDateTimeRejectsOtherForms(t *testing.T) {
	v := mustEmbedded(t)
	for _, value := range []string{
		"2024-13-01T00:00:00Z",
		"2024-00-01T00:00:00Z",
		"2024-02-30T00:00:00Z",
		"2023-02-29T00:00:00Z",
		"2024-04-31T00:00:00Z",
		"2024-01-01T24:00:00Z",
		"2024-01-01T00:60:00Z",
		"2024-01-01T1:02:03Z",    // time.Time decodes it; RFC 3339 requires two digits
		"2024-01-01T00:00:00,5Z", // time.Time decodes it; RFC 3339 requires a period
		"2024-01-01T00:00:00+24:00",
		"2024-01-01T00:00:00+23:60",
		"2024-01-01T00:00:00+0100",
		"2024-01-01T00:00:00+01",
		"2024-01-01T00:00:00.Z",
		"2024-01-01T00:00:00",
		"2024-01-01 00:00:00Z",
		"2024-01-01",
		"24-01-01T00:00:00Z",
		"+2024-01-01T00:00:00Z",
		"2024-01-01T00:00:00 Z",
		"2024-01-01T00:00:00UTC",
		"",
		"now",
	} {
		t.Run(value, func(t *testing.T) {
			err := v.Response(ListSessions, 200, jsonHeader, sessionWithStart(`"`+value+`"`))
			want := Violation{Pointer: "/data/sessions/0/started_at", Reason: `invalid date-time "` + value + `"`}
			checkOnlyViolation(t, err, want)
		})
	}
}

func TestDateTimeReasonTruncatesLongValue(t *testing.T) {
	v := mustEmbedded(t)
	long := "2024-01-01T00:00:00Z" + strings.Repeat("0", 500)
	err := v.Response(ListSessions, 200, jsonHeader, sessionWithStart(`"`+long+`"`))
	want := Violation{Pointer: "/data/sessions/0/started_at", Reason: `invalid date-time "` + long[:maxQuoted] + `..."`}
	checkOnlyViolation(t, err, want)
}

// checkOnlyViolation checks that err is an *Error with the one violation want.
func checkOnlyViolation(t *testing.T, err error, want Violation) {
	t.Helper()
	var verr *Error
	if !errors.As(err, &verr) {
		t.Fatalf("error is %v, want *Error with %v", err, want)
	}
	if len(verr.Violations) != 1 || verr.Violations[0] != want {
		t.Errorf("violations %q, want [%q]", verr.Violations, want)
	}
}

func TestBase64AgreesWithEncodingJSON(t *testing.T) {
	random := rand.New(rand.NewPCG(7, 11))
	alphabet := "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=-_\r\n "
	inputs := []string{
		"", "a", "aG", "aGk", "aGk=", "aGk==", "aGk=\n", "aG=k", "====", "aGk=aGk=", "a-_b",
		"aGVsbG8=", "aGVsbG8", "aGVs\nbG8=", "\r\naGVsbG8=\r\n", "aGVsbG9=",
	}
	// Long inputs cross the chunks of validBase64, with padding and line breaks near the edges.
	valid := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{0xfb, 0xff, 0x01}, 5000))
	inputs = append(inputs, valid, valid[:base64Chunk]+"="+valid[base64Chunk+1:],
		valid[:base64Chunk-1]+"=", valid[:base64Chunk+4], valid[:base64Chunk-2]+"==",
		valid[:base64Chunk-2]+"=="+valid[base64Chunk:], valid[:100]+"\n"+valid[100:],
		strings.Repeat("\n", 5000)+valid[:8])
	for range 20000 {
		n := random.IntN(12)
		if random.IntN(10) == 0 {
			n = base64Chunk - 8 + random.IntN(16)
		}
		var b strings.Builder
		for range n {
			if random.IntN(3) == 0 {
				b.WriteByte(alphabet[random.IntN(len(alphabet))])
			} else {
				b.WriteByte(valid[random.IntN(64)])
			}
		}
		inputs = append(inputs, b.String())
	}
	var scratch []byte
	for _, input := range inputs {
		literal, _ := json.Marshal(input)
		var decoded []byte
		want := json.Unmarshal(literal, &decoded) == nil
		if got := validBase64([]byte(input), &scratch); got != want {
			t.Errorf("validBase64(%q) = %v, encoding/json decodes it: %v", truncate(input), got, want)
		}
	}
}

func TestIntegerFits(t *testing.T) {
	for _, tc := range []struct {
		literal string
		bits    int
		want    bool
	}{
		{"0", 64, true},
		{"-0", 64, true},
		{"9223372036854775807", 64, true},
		{"9223372036854775808", 64, false},
		{"-9223372036854775808", 64, true},
		{"-9223372036854775809", 64, false},
		{"10000000000000000000", 64, false},
		{"2147483647", 32, true},
		{"2147483648", 32, false},
		{"-2147483648", 32, true},
		{"-2147483649", 32, false},
	} {
		if got := integerFits([]byte(tc.literal), tc.bits); got != tc.want {
			t.Errorf("integerFits(%s, %d) = %v, want %v", tc.literal, tc.bits, got, tc.want)
		}
	}
}

// TestFoldMatchesEncodingJSON checks appendFold against the member names encoding/json
// decodes into a field.
func TestFoldMatchesEncodingJSON(t *testing.T) {
	var target struct {
		Status string `json:"status"`
		Kind   string `json:"kind"`
	}
	for _, name := range []string{"status", "STATUS", "Status", "ſtatus", "ſtatuſ", "kind", "KIND", "\u212aind", "statu", "statuss", "stätus"} {
		target.Status, target.Kind = "", ""
		if err := json.Unmarshal([]byte(`{"`+name+`":"set"}`), &target); err != nil {
			t.Fatal(err)
		}
		decoded := target.Status == "set" || target.Kind == "set"
		folded := string(appendFold(nil, []byte(name)))
		matches := folded == string(appendFold(nil, []byte("status"))) || folded == string(appendFold(nil, []byte("kind")))
		if matches != decoded {
			t.Errorf("%q: fold matches a field: %v, encoding/json decodes it into one: %v", name, matches, decoded)
		}
	}
}

// kinDefaultResponse validates a response with openapi3filter.ValidateResponse and kin-openapi's
// default format patterns.
func kinDefaultResponse(t *testing.T, v *Validator, op Operation, body []byte) error {
	t.Helper()
	route, err := v.route(op)
	if err != nil {
		t.Fatal(err)
	}
	return openapi3filter.ValidateResponse(context.Background(), &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{
			Request: &http.Request{Method: op.Method, URL: &url.URL{Path: op.Path}, Header: http.Header{}},
			Route:   route,
		},
		Status: 200,
		Header: jsonHeader,
		Body:   io.NopCloser(bytes.NewReader(body)),
	})
}

// TestFormatsDifferFromKinDefaults pins the values on which kin-openapi's default format
// patterns and the encoding/json decoder disagree. Response and ReferenceResponse follow the
// decoder.
func TestFormatsDifferFromKinDefaults(t *testing.T) {
	v := mustEmbedded(t)
	image := func(value string) []byte {
		return []byte(success(`{"type":"display_data","data":{"image/png":"` + value + `"}}`))
	}
	for _, tc := range []struct {
		name       string
		op         Operation
		body       []byte
		kinDefault bool // whether kin-openapi's default patterns accept the body
		decoder    bool // whether encoding/json decodes it into the generated types
	}{
		{"base64 URL alphabet", ExecuteCode, image("a-_b"), true, false},
		{"base64 missing padding", ExecuteCode, image("aGk"), true, false},
		{"base64 excess padding", ExecuteCode, image("aGk=="), true, false},
		{"base64 length 1 mod 4", ExecuteCode, image("aGVsb"), true, false},
		{"base64 line break", ExecuteCode, image(`aGVs\nbG8=`), false, true},
		{"date-time second 60", ListSessions, sessionWithStart(`"2016-12-31T23:59:60Z"`), true, true},
		{"date-time 31 February", ListSessions, sessionWithStart(`"2024-02-31T00:00:00Z"`), false, false},
		{"date-time valid", ListSessions, sessionWithStart(`"2024-02-29T00:00:00.5+01:00"`), true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := kinDefaultResponse(t, v, tc.op, tc.body) == nil; got != tc.kinDefault {
				t.Errorf("kin-openapi defaults accept: %v, want %v", got, tc.kinDefault)
			}
			decode := map[Operation]func([]byte) error{ListSessions: decodeSessions, ExecuteCode: decodeExecute}[tc.op]
			if got := decode(tc.body) == nil; got != tc.decoder {
				t.Errorf("decodes: %v, want %v", got, tc.decoder)
			}
			if got := v.Response(tc.op, 200, jsonHeader, tc.body) == nil; got != tc.decoder {
				t.Errorf("Response accepts: %v, want %v", got, tc.decoder)
			}
			if got := v.ReferenceResponse(tc.op, 200, jsonHeader, tc.body) == nil; got != tc.decoder {
				t.Errorf("ReferenceResponse accepts: %v, want %v", got, tc.decoder)
			}
		})
	}
}

// TestDateTimeAgreesWithDecoder compares validDateTime with generated.DateTime, the type the
// spec's date-time format decodes into, on generated values that are mostly near the grammar.
func TestDateTimeAgreesWithDecoder(t *testing.T) {
	random := rand.New(rand.NewPCG(3, 5))
	two := func(max int) string { return fmt.Sprintf("%02d", random.IntN(max+1)) }
	pick := func(choices ...string) string { return choices[random.IntN(len(choices))] }
	for range 50000 {
		value := fmt.Sprintf("%04d-%s-%s", random.IntN(10000), two(12), two(31)) +
			pick("T", "t", " ") + two(24) + ":" + two(60) + ":" + two(61)
		if random.IntN(2) == 0 {
			value += pick(".", ",") + strings.Repeat("7", random.IntN(12))
		}
		switch random.IntN(4) {
		case 0:
			value += pick("Z", "z")
		case 1:
			value += "+" + two(24) + ":" + two(60)
		case 2:
			value += "-" + two(24) + ":" + two(60)
		}
		raw := []byte(`"` + value + `"`)
		var decoded generated.DateTime
		want := decoded.UnmarshalJSON(raw) == nil
		if got := validDateTime(raw); got != want {
			t.Errorf("validDateTime(%s) = %v, generated.DateTime decodes it: %v", value, got, want)
		}
	}
}

func TestDateTimeAcceptsEveryRFC3339Form(t *testing.T) {
	v := mustEmbedded(t)
	for _, value := range []string{
		`"2016-12-31T23:59:60Z"`,
		`"2024-01-01t00:00:00Z"`,
		`"2024-01-01T00:00:00z"`,
		`"2024-01-01T00:00:00.123456789123-07:30"`,
		`"2024-01-01T00:00:00-00:00"`,
		`"2026-01-02T03:04:05\u005a"`,
	} {
		body := sessionWithStart(value)
		if err := v.Response(ListSessions, 200, jsonHeader, body); err != nil {
			t.Errorf("%s: %v", value, err)
		}
		if err := decodeSessions(body); err != nil {
			t.Errorf("%s does not decode: %v", value, err)
		}
	}
}
