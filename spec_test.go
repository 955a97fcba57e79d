package tci_test

import (
	"fmt"
	"net/url"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/tcikit/tci"
)

// The document that Together's API reference publishes for GET /tci/sessions must describe the
// same operation as openapi.yaml once every $ref is resolved. Fields that only document the
// operation (x-codeSamples) or name another host for the same API are not compared.
func TestPublishedSessionsDocumentAgrees(t *testing.T) {
	ours := loadYAML(t, tci.OpenAPI)
	publishedBytes, err := os.ReadFile("testdata/published-tci-sessions.yaml")
	if err != nil {
		t.Fatal(err)
	}
	published := loadYAML(t, publishedBytes)

	ourOperation := resolve(t, ours, dig(t, ours, "paths", "/tci/sessions", "get"))
	publishedOperation := resolve(t, published, dig(t, published, "paths", "/tci/sessions", "get"))
	for _, key := range []string{"operationId", "tags", "parameters", "requestBody", "responses", "security", "callbacks"} {
		if diff := difference(key, ourOperation.(map[string]any)[key], publishedOperation.(map[string]any)[key]); diff != "" {
			t.Errorf("GET /tci/sessions %s", diff)
		}
	}

	for _, key := range []string{"openapi", "security"} {
		if diff := difference(key, ours[key], published[key]); diff != "" {
			t.Errorf("document %s", diff)
		}
	}
	ourScheme := dig(t, ours, "components", "securitySchemes", "bearerAuth").(map[string]any)
	publishedScheme := dig(t, published, "components", "securitySchemes", "bearerAuth").(map[string]any)
	for _, key := range []string{"type", "scheme"} {
		if diff := difference("bearerAuth."+key, ourScheme[key], publishedScheme[key]); diff != "" {
			t.Errorf("security scheme %s", diff)
		}
	}

	// The published document names the older host api.together.xyz; the base path must match.
	if ourPath, publishedPath := serverPath(t, ours), serverPath(t, published); ourPath != publishedPath {
		t.Errorf("server base path %q, published %q", ourPath, publishedPath)
	}
}

func loadYAML(t *testing.T, data []byte) map[string]any {
	t.Helper()
	var doc map[string]any
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	return doc
}

func dig(t *testing.T, node any, keys ...string) any {
	t.Helper()
	for _, key := range keys {
		m, ok := node.(map[string]any)
		if !ok {
			t.Fatalf("no mapping at %q", key)
		}
		node, ok = m[key]
		if !ok {
			t.Fatalf("key %q not found", key)
		}
	}
	return node
}

// resolve returns a copy of node with every local "$ref" replaced by its target. A reference
// cycle fails the test, since neither document has one.
func resolve(t *testing.T, doc map[string]any, node any) any {
	t.Helper()
	var walk func(node any, seen []string) any
	walk = func(node any, seen []string) any {
		switch node := node.(type) {
		case map[string]any:
			if ref, ok := node["$ref"].(string); ok {
				if slices.Contains(seen, ref) {
					t.Fatalf("reference cycle through %s", ref)
				}
				keys := strings.Split(strings.TrimPrefix(ref, "#/"), "/")
				return walk(dig(t, doc, keys...), append(seen, ref))
			}
			out := make(map[string]any, len(node))
			for key, value := range node {
				out[key] = walk(value, seen)
			}
			return out
		case []any:
			out := make([]any, len(node))
			for i, value := range node {
				out[i] = walk(value, seen)
			}
			return out
		default:
			return node
		}
	}
	return walk(node, nil)
}

// difference describes the first place where ours and published differ, or returns "".
func difference(path string, ours, published any) string {
	switch ours := ours.(type) {
	case map[string]any:
		other, ok := published.(map[string]any)
		if !ok {
			return fmt.Sprintf("%s: ours is a mapping, published is %T", path, published)
		}
		keys := make([]string, 0, len(ours)+len(other))
		for key := range ours {
			keys = append(keys, key)
		}
		for key := range other {
			keys = append(keys, key)
		}
		slices.Sort(keys)
		for _, key := range slices.Compact(keys) {
			if diff := difference(path+"."+key, ours[key], other[key]); diff != "" {
				return diff
			}
		}
		return ""
	case []any:
		other, ok := published.([]any)
		if !ok || len(other) != len(ours) {
			return fmt.Sprintf("%s: ours is %v, published is %v", path, ours, published)
		}
		for i := range ours {
			if diff := difference(fmt.Sprintf("%s[%d]", path, i), ours[i], other[i]); diff != "" {
				return diff
			}
		}
		return ""
	default:
		if !reflect.DeepEqual(ours, published) {
			return fmt.Sprintf("%s: ours is %v, published is %v", path, ours, published)
		}
		return ""
	}
}

func serverPath(t *testing.T, doc map[string]any) string {
	t.Helper()
	servers := doc["servers"].([]any)
	u, err := url.Parse(servers[0].(map[string]any)["url"].(string))
	if err != nil {
		t.Fatal(err)
	}
	return u.Path
}
