package validate

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// Response checks a response of op against the spec: the status, the Content-Type header and the
// body. It returns nil or an *Error listing every violation. body is not retained.
//
// As kin-openapi does by default, a status that the operation does not declare (and that no
// "default" or range such as "2XX" covers) is not validated, nor are 301, 304, 307 and 308.
func (v *Validator) Response(op Operation, status int, header http.Header, body []byte) error {
	schemas, err := v.schemasOf(op)
	if err != nil {
		return err
	}
	switch status {
	case http.StatusNotModified, http.StatusPermanentRedirect, http.StatusTemporaryRedirect,
		http.StatusMovedPermanently:
		return nil
	}
	response := schemas.response(status)
	if response == nil {
		return nil
	}
	if violations := response.check(header, body); violations != nil {
		return &Error{Operation: op, Direction: Response, Status: status, Violations: violations}
	}
	return nil
}

// Request checks a request body of op against the spec. It returns nil or an *Error listing
// every violation. Security requirements are left to the server, and body is not retained.
//
// An empty body is valid when the spec marks the request body optional, as it does for
// POST /tci/execute. A body with content is validated as the spec gives it: kin-openapi fills
// no defaults for an OpenAPI 3.1 document, so {"code": "..."} without "language" is a
// violation, as it is for ReferenceRequest.
func (v *Validator) Request(op Operation, header http.Header, body []byte) error {
	schemas, err := v.schemasOf(op)
	if err != nil {
		return err
	}
	if schemas.request == nil {
		return nil
	}
	if len(body) == 0 {
		if schemas.requestRequired {
			return &Error{Operation: op, Direction: Request,
				Violations: []Violation{{Reason: "missing request body"}}}
		}
		return nil
	}
	if violations := schemas.request.check(header, body); violations != nil {
		return &Error{Operation: op, Direction: Request, Violations: violations}
	}
	return nil
}

func (v *Validator) schemasOf(op Operation) (*operationSchemas, error) {
	schemas, ok := v.schemas[op]
	if !ok {
		return nil, errors.New("operation " + op.String() + " is not in the spec; use one of the operations Validator.Operations returns")
	}
	return schemas, nil
}

// operationSchemas holds the compiled bodies of one operation.
type operationSchemas struct {
	request         *bodySchemas // nil when the operation has no request body
	requestRequired bool

	statuses map[int]*bodySchemas // responses declared by status code
	ranges   [6]*bodySchemas      // responses declared by range: ranges[2] for "2XX"
	fallback *bodySchemas         // the "default" response
}

// response finds the response for status as kin-openapi does: the exact status, then its range,
// then "default".
func (o *operationSchemas) response(status int) *bodySchemas {
	if r, ok := o.statuses[status]; ok {
		return r
	}
	if 99 < status && status < 600 && o.ranges[status/100] != nil {
		return o.ranges[status/100]
	}
	return o.fallback
}

// addResponse files the response declared under key, as the responses object of the spec
// names it.
func (o *operationSchemas) addResponse(key string, body *bodySchemas) error {
	if key == "default" {
		o.fallback = body
		return nil
	}
	if len(key) == 3 && '1' <= key[0] && key[0] <= '5' && strings.ToUpper(key[1:]) == "XX" {
		o.ranges[key[0]-'0'] = body
		return nil
	}
	status, err := strconv.Atoi(key)
	if err != nil {
		return fmt.Errorf("response %q is neither a status code, a range such as 2XX, nor default", key)
	}
	o.statuses[status] = body
	return nil
}

// bodySchemas holds the compiled schemas of a body by media type.
type bodySchemas struct {
	content  openapi3.Content
	roots    map[*openapi3.MediaType]*node // nil for a media type without schema
	declared string                        // the declared media types, for messages
}

// check validates the Content-Type header and the body.
func (b *bodySchemas) check(header http.Header, body []byte) []Violation {
	if len(b.content) == 0 {
		return nil
	}
	contentType := header.Get("Content-Type")
	mediaType := b.content.Get(contentType)
	if mediaType == nil {
		return []Violation{{Reason: fmt.Sprintf("Content-Type %s is not %s", quoteString(contentType), b.declared)}}
	}
	root := b.roots[mediaType]
	if root == nil {
		return nil
	}
	return check(root, body)
}

// compileOperations compiles the request and response bodies of every operation of doc.
func compileOperations(doc *openapi3.T, operations []Operation) (map[Operation]*operationSchemas, error) {
	c := &compiler{}
	out := make(map[Operation]*operationSchemas, len(operations))
	for _, op := range operations {
		spec := doc.Paths.Value(op.Path).GetOperation(op.Method)
		location := "#/paths/" + escapePointer(op.Path) + "/" + strings.ToLower(op.Method)
		schemas, err := c.compileOperation(spec, location)
		if err != nil {
			return nil, fmt.Errorf("compile %s: %w", op, err)
		}
		out[op] = schemas
	}
	return out, nil
}

func (c *compiler) compileOperation(op *openapi3.Operation, location string) (*operationSchemas, error) {
	// Request checks bodies only, so a parameter would go unchecked.
	if len(op.Parameters) > 0 {
		return nil, errors.New("the operation declares parameters, which Request does not validate; add parameter validation to package validate")
	}
	schemas := &operationSchemas{statuses: map[int]*bodySchemas{}}
	if ref := op.RequestBody; ref != nil {
		if ref.Value == nil {
			return nil, errors.New("request body is not resolved")
		}
		body, err := c.compileContent(ref.Value.Content, location+"/requestBody/content")
		if err != nil {
			return nil, err
		}
		schemas.request = body
		schemas.requestRequired = ref.Value.Required
	}
	if op.Responses == nil {
		return schemas, nil
	}
	for status, ref := range op.Responses.Map() {
		responseLocation := location + "/responses/" + status
		if ref.Value == nil {
			return nil, fmt.Errorf("response %s is not resolved", status)
		}
		for name := range ref.Value.Headers {
			if !strings.EqualFold(name, "Content-Type") {
				return nil, fmt.Errorf("response %s declares header %q, which Response does not validate; add header validation to package validate", status, name)
			}
		}
		body, err := c.compileContent(ref.Value.Content, responseLocation+"/content")
		if err != nil {
			return nil, err
		}
		if err := schemas.addResponse(status, body); err != nil {
			return nil, err
		}
	}
	return schemas, nil
}

func (c *compiler) compileContent(content openapi3.Content, location string) (*bodySchemas, error) {
	b := &bodySchemas{content: content, roots: map[*openapi3.MediaType]*node{}}
	names := make([]string, 0, len(content))
	for name, mediaType := range content {
		names = append(names, name)
		if mediaType == nil || mediaType.Schema == nil {
			b.roots[mediaType] = nil
			continue
		}
		if !isJSON(name) {
			return nil, fmt.Errorf("media type %q has a schema, but only JSON bodies are validated", name)
		}
		root, err := c.compileRoot(mediaType.Schema, location+"/"+escapePointer(name)+"/schema")
		if err != nil {
			return nil, err
		}
		b.roots[mediaType] = root
	}
	slices.Sort(names)
	b.declared = quoteAll(names)
	return b, nil
}

// isJSON reports whether a declared media type is JSON, which kin-openapi decodes with its JSON
// decoder: application/json or a type with the suffix +json, parameters ignored.
func isJSON(mediaType string) bool {
	base, _, _ := strings.Cut(strings.ToLower(mediaType), ";")
	base = strings.TrimSpace(base)
	return base == "application/json" || strings.HasSuffix(base, "+json") && !strings.Contains(base, "*")
}
