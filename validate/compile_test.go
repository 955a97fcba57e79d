package validate

import (
	"strings"
	"testing"
)

// specWith returns an OpenAPI 3.1 document whose one operation, POST /things, takes and returns
// a JSON body described by schema (JSON or YAML flow), with extra added to the operation and
// components added to the document.
func specWith(schema, extra, components string) []byte {
	return []byte(`openapi: 3.1.0
info: {title: things, version: '1'}
paths:
  /things:
    post:
      operationId: things/create
` + extra + `
      requestBody:
        content:
          application/json:
            schema: ` + schema + `
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema: ` + schema + `
components:
  schemas:
    Thing: {type: object}
` + components)
}

func TestNewRejectsWhatItCannotCheck(t *testing.T) {
	for _, tc := range []struct {
		name, schema, extra, components string
		want                            string
	}{
		{"minLength", `{type: string, minLength: 1}`, "", "", `uses "minLength"`},
		{"pattern", `{type: string, pattern: "^a"}`, "", "", `uses "pattern"`},
		{"const", `{const: a}`, "", "", `uses "const"`},
		{"not", `{not: {type: string}}`, "", "", `uses "not"`},
		{"minimum", `{type: integer, minimum: 1}`, "", "", `uses "minimum"`},
		{"uniqueItems", `{type: array, uniqueItems: true}`, "", "", `uses "uniqueItems"`},
		{"patternProperties", `{type: object, patternProperties: {"^a": {}}}`, "", "", `uses "patternProperties"`},
		{"readOnly", `{type: object, properties: {id: {type: string, readOnly: true}}}`, "", "", `uses "readOnly"`},
		{"if", `{if: {type: string}, then: {minLength: 1}}`, "", "", `uses "if", "then"`},
		{"unknown keyword", `{type: string, maxGraphemes: 3}`, "", "", `maxGraphemes`},
		{"nested", `{type: object, properties: {a: {type: array, items: {type: string, maxLength: 3}}}}`, "", "",
			`/properties/a/items uses "maxLength"`},
		{"format uuid", `{type: string, format: uuid}`, "", "", `format "uuid"`},
		{"format int32 on string", `{type: string, format: int32}`, "", "", `format "int32" on type string`},
		{"numeric enum", `{enum: [1, 2]}`, "", "", "enum value 1"},
		{"nested reference", `{type: object, properties: {a: {$ref: '#/components/schemas/Thing'}}}`, "", "",
			"refers to #/components/schemas/Thing"},
		{"parameters", `{type: object}`, "      parameters: [{name: q, in: query, schema: {type: string}}]", "", "declares parameters"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(specWith(tc.schema, tc.extra, tc.components))
			if err == nil {
				t.Fatal("New accepts the spec")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not contain %q", err, tc.want)
			}
		})
	}
}

func TestNewAcceptsReferencedRoot(t *testing.T) {
	v, err := New(specWith(`{$ref: '#/components/schemas/Thing'}`, "", ""))
	if err != nil {
		t.Fatal(err)
	}
	op, err := v.Lookup("things/create")
	if err != nil {
		t.Fatal(err)
	}
	if err := v.Response(op, 200, jsonHeader, []byte(`[]`)); err == nil {
		t.Error("array accepted for a schema of type object")
	}
}

func TestNewRejectsResponseHeaders(t *testing.T) {
	spec := strings.Replace(string(specWith(`{type: object}`, "", "")), "          description: ok\n",
		"          description: ok\n          headers:\n            X-Request-Id: {schema: {type: string}}\n", 1)
	_, err := New([]byte(spec))
	if err == nil || !strings.Contains(err.Error(), `header "X-Request-Id"`) {
		t.Errorf("error %v, want one naming the header", err)
	}
}

// TestKeywordsAgreeWithReference judges bodies against schemas that use keywords the Code
// Interpreter spec does not use yet, with the fast path and with the reference.
func TestKeywordsAgreeWithReference(t *testing.T) {
	for _, tc := range []struct {
		name   string
		schema string
		bodies []string
	}{
		{
			"allOf with closed members",
			`{allOf: [{type: object, properties: {a: {type: string}}, required: [a]}, {type: object, properties: {b: {type: integer}}, additionalProperties: false}]}`,
			[]string{`{"a":"x"}`, `{"a":"x","b":1}`, `{"b":1}`, `{"a":"x","c":1}`, `{}`, `[]`, `{"a":1,"b":"x"}`},
		},
		{
			"anyOf",
			`{anyOf: [{type: string, enum: [a, b]}, {type: integer}, {type: object, required: [k]}]}`,
			[]string{`"a"`, `"c"`, `3`, `3.5`, `{"k":1}`, `{}`, `null`, `true`, `[]`},
		},
		{
			"oneOf overlapping",
			`{oneOf: [{type: [string, "null"]}, {type: ["null", integer]}, {type: boolean}]}`,
			[]string{`"a"`, `null`, `1`, `true`, `1.5`, `{}`},
		},
		{
			"oneOf discriminated",
			`{type: object, discriminator: {propertyName: kind}, oneOf: [{properties: {kind: {enum: [a]}, x: {type: string}}, required: [kind, x]}, {properties: {kind: {enum: [b, c]}, y: {type: array, items: {type: integer}}}, required: [kind]}]}`,
			[]string{`{"kind":"a","x":"s"}`, `{"kind":"a"}`, `{"kind":"b"}`, `{"kind":"c","y":[1,2]}`, `{"kind":"c","y":[1,"2"]}`,
				`{"kind":"d"}`, `{"kind":1}`, `{"x":"s"}`, `{"y":[],"kind":"b","x":"s"}`, `{"kind":"\u0061","x":"s"}`, `{"k\u0069nd":"a","x":"s"}`},
		},
		{
			"enum of booleans and null",
			`{enum: [true, null, "yes"]}`,
			[]string{`true`, `false`, `null`, `"yes"`, `"no"`, `0`, `{}`, `[]`},
		},
		{
			"false schema member",
			`{type: object, properties: {gone: false, kept: true}}`,
			[]string{`{}`, `{"kept":[1]}`, `{"gone":null}`},
		},
		{
			"required without property",
			`{type: object, properties: {a: {type: string}}, required: [b], additionalProperties: {type: integer}}`,
			[]string{`{"b":1}`, `{"b":"x"}`, `{"a":"x"}`, `{"a":"x","b":2,"c":3}`, `{"a":"x","b":2,"c":"3"}`},
		},
		{
			"closed object without properties",
			`{type: object, additionalProperties: false}`,
			[]string{`{}`, `{"a":1}`, `null`},
		},
		{
			"array of nullable strings",
			`{type: array, items: {type: [string, "null"]}}`,
			[]string{`[]`, `["a",null]`, `[1]`, `[[]]`, `{}`},
		},
		{
			"integer formats",
			`{type: object, properties: {small: {type: integer, format: int32}, large: {type: integer, format: int64}}}`,
			[]string{`{"small":2147483647,"large":9223372036854775807}`, `{"small":2147483648}`, `{"small":-2147483649}`, `{"large":-9223372036854775808}`, `{"small":1.5}`},
		},
		{
			"number",
			`{type: number}`,
			[]string{`1`, `1.5`, `-2e10`, `"1"`, `null`},
		},
		{
			"nullable in 3.1 is ignored",
			`{type: string, nullable: true}`,
			[]string{`"a"`, `null`},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v, err := New(specWith(tc.schema, "", ""))
			if err != nil {
				t.Fatal(err)
			}
			op, err := v.Lookup("things/create")
			if err != nil {
				t.Fatal(err)
			}
			for _, body := range tc.bodies {
				fast := v.Response(op, 200, jsonHeader, []byte(body))
				reference := v.ReferenceResponse(op, 200, jsonHeader, []byte(body))
				if (fast == nil) != (reference == nil) {
					t.Errorf("%s: verdicts differ\nfast:      %v\nreference: %v", body, fast, reference)
				}
				request := v.Request(op, jsonHeader, []byte(body))
				if (request == nil) != (fast == nil) {
					t.Errorf("%s: Request says %v, Response says %v", body, request, fast)
				}
			}
		})
	}
}
