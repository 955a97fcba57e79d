package specextract

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

func readUpstream(t *testing.T) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "testdata", "together-openapi.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestExtractMatchesCheckedInSpec(t *testing.T) {
	got, err := Extract(readUpstream(t), Tag)
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile(filepath.Join("..", "..", "openapi.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("openapi.yaml differs from the extraction of testdata/together-openapi.yaml; run make spec")
	}
}

func TestExtractIsDeterministic(t *testing.T) {
	upstream := readUpstream(t)
	first, err := Extract(upstream, Tag)
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		again, err := Extract(upstream, Tag)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(first, again) {
			t.Fatal("two extractions of the same input differ")
		}
	}
}

// TestExtractKeepsSchemasVerbatim compares every extracted component and operation with the
// upstream node it came from, as decoded YAML values.
func TestExtractKeepsSchemasVerbatim(t *testing.T) {
	upstreamBytes := readUpstream(t)
	extracted, err := Extract(upstreamBytes, Tag)
	if err != nil {
		t.Fatal(err)
	}
	var upstream, ours map[string]any
	if err := yaml.Unmarshal(upstreamBytes, &upstream); err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(extracted, &ours); err != nil {
		t.Fatal(err)
	}

	for _, key := range []string{"openapi", "info", "servers", "security"} {
		if !reflect.DeepEqual(ours[key], upstream[key]) {
			t.Errorf("%s differs from upstream", key)
		}
	}

	ourPaths := ours["paths"].(map[string]any)
	upstreamPaths := upstream["paths"].(map[string]any)
	wantOperations := map[string]string{"/tci/execute": "post", "/tci/sessions": "get"}
	if len(ourPaths) != len(wantOperations) {
		t.Errorf("extracted %d paths, want %d", len(ourPaths), len(wantOperations))
	}
	for path, method := range wantOperations {
		item, ok := ourPaths[path].(map[string]any)
		if !ok {
			t.Errorf("path %s is missing", path)
			continue
		}
		if len(item) != 1 {
			t.Errorf("path %s has %d operations, want 1", path, len(item))
		}
		want := upstreamPaths[path].(map[string]any)[method]
		if !reflect.DeepEqual(item[method], want) {
			t.Errorf("%s %s differs from upstream", method, path)
		}
	}

	ourComponents := ours["components"].(map[string]any)
	upstreamComponents := upstream["components"].(map[string]any)
	schemas := ourComponents["schemas"].(map[string]any)
	for _, name := range []string{"ExecuteRequest", "ExecuteResponse", "SessionListResponse"} {
		if _, ok := schemas[name]; !ok {
			t.Errorf("schema %s is missing", name)
		}
	}
	for section, entries := range ourComponents {
		for name, value := range entries.(map[string]any) {
			want := upstreamComponents[section].(map[string]any)[name]
			if !reflect.DeepEqual(value, want) {
				t.Errorf("components/%s/%s differs from upstream", section, name)
			}
		}
	}
}

func TestExtractErrors(t *testing.T) {
	tests := []struct {
		name     string
		document string
		want     string
	}{
		{"not yaml", "openapi: [", "parse upstream document"},
		{"not a mapping", "- a\n- b\n", "not a YAML mapping"},
		{"missing info", "openapi: 3.1.0\nservers: []\nsecurity: []\npaths: {}\n", `no "info" field`},
		{
			"no tagged operation",
			"openapi: 3.1.0\ninfo: {}\nservers: []\nsecurity: []\npaths:\n  /a:\n    get:\n      tags: [Other]\ncomponents: {}\n",
			`no operation tagged "Code Interpreter"`,
		},
		{
			"dangling reference",
			"openapi: 3.1.0\ninfo: {}\nservers: []\nsecurity: []\npaths:\n  /a:\n    get:\n      tags: [Code Interpreter]\n      responses:\n        '200':\n          $ref: '#/components/responses/Missing'\ncomponents: {}\n",
			"#/components/responses/Missing has no target",
		},
		{
			"external reference",
			"openapi: 3.1.0\ninfo: {}\nservers: []\nsecurity: []\npaths:\n  /a:\n    get:\n      tags: [Code Interpreter]\n      responses:\n        '200':\n          $ref: 'other.yaml#/x'\ncomponents: {}\n",
			"only local component references are supported",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Extract([]byte(tt.document), Tag)
			if err == nil {
				t.Fatal("Extract succeeded, want an error")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %q does not contain %q", err, tt.want)
			}
		})
	}
}

func TestExtractFollowsTransitiveReferences(t *testing.T) {
	document := `openapi: 3.1.0
info: {title: t, version: '1'}
servers: [{url: 'https://example.com/v1'}]
security: []
paths:
  /a:
    get:
      tags: [Code Interpreter]
      responses:
        '200':
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Outer'}
  /b:
    get:
      tags: [Other]
      responses:
        '200':
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Unused'}
components:
  schemas:
    Unused: {type: string}
    Inner: {type: integer}
    Outer:
      type: object
      properties:
        inner: {$ref: '#/components/schemas/Inner'}
        self: {$ref: '#/components/schemas/Outer'}
  securitySchemes:
    bearerAuth: {type: http, scheme: bearer}
`
	out, err := Extract([]byte(document), Tag)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Paths      map[string]any `yaml:"paths"`
		Components struct {
			Schemas         map[string]any `yaml:"schemas"`
			SecuritySchemes map[string]any `yaml:"securitySchemes"`
		} `yaml:"components"`
	}
	if err := yaml.Unmarshal(out, &doc); err != nil {
		t.Fatal(err)
	}
	if _, ok := doc.Paths["/b"]; ok {
		t.Error("untagged path /b was kept")
	}
	for _, name := range []string{"Outer", "Inner"} {
		if _, ok := doc.Components.Schemas[name]; !ok {
			t.Errorf("referenced schema %s is missing", name)
		}
	}
	if _, ok := doc.Components.Schemas["Unused"]; ok {
		t.Error("unreferenced schema Unused was kept")
	}
	if _, ok := doc.Components.SecuritySchemes["bearerAuth"]; !ok {
		t.Error("security scheme bearerAuth is missing")
	}
}
