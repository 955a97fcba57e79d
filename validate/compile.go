package validate

import (
	"fmt"
	"slices"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// kinds is a set of JSON value kinds, named as JSON Schema's "type" names them.
type kinds uint8

const (
	kindNull kinds = 1 << iota
	kindBoolean
	kindObject
	kindArray
	kindNumber
	kindInteger
	kindString
)

var kindNames = []struct {
	kind kinds
	name string
}{
	{kindObject, "object"},
	{kindArray, "array"},
	{kindString, "string"},
	{kindNumber, "number"},
	{kindInteger, "integer"},
	{kindBoolean, "boolean"},
	{kindNull, "null"},
}

// format is a string or integer format that the validator asserts.
type format uint8

const (
	formatNone format = iota
	formatDateTime
	formatByte
	formatInt32
	formatInt64
)

// node is one schema of the document compiled for the walker. A nil *node accepts every value.
type node struct {
	// location is the JSON pointer of the schema in the document, for load errors.
	location string
	title    string

	never bool  // the schema false
	types kinds // the kinds the schema accepts; 0 accepts every kind
	// impliedTypes marks types derived from object or array keywords, not written as "type".
	impliedTypes bool
	format       format
	enum         *enumSet

	props     []property
	propIndex map[string]int
	// folded maps the case-folded name of each declared property to its index. It is set when
	// encoding/json decodes the object into a struct, which matches member names to fields
	// without regard to case.
	folded   map[string]int
	required []int
	// noExtra rejects undeclared properties (additionalProperties: false); otherwise extra
	// checks them, and a nil extra accepts every value.
	noExtra bool
	extra   *node
	items   *node

	unions []union

	// flat is the node followed by the flattened nodes of its allOf: a value valid against every
	// node of flat is valid against the node.
	flat []*node
	// deep marks a node with keywords that the walker checks inside the value: properties,
	// items, enum, format or the integer check. A node that is not deep is settled by its type
	// and its unions alone.
	deep bool
	// objectRules marks a node with keywords that apply to object members.
	objectRules bool
}

// property is a declared or required property of an object schema.
type property struct {
	name string
	node *node // nil accepts every value
	// declared is false for a name that is only required: additionalProperties still applies
	// to it.
	declared bool
}

// enumSet holds the values of an enum. Only strings, booleans and null are supported.
type enumSet struct {
	strings       []string
	null, yes, no bool
	display       string // the values as JSON, joined by ", ", for messages
	onlyStrings   bool
}

func (e *enumSet) hasString(s []byte) bool {
	for _, v := range e.strings {
		if v == string(s) {
			return true
		}
	}
	return false
}

// union is the oneOf or the anyOf of a schema.
type union struct {
	branches   []*node
	exactlyOne bool          // oneOf; anyOf needs one or more
	disc       *discriminant // nil when no property distinguishes the branches
}

// discriminant is a property that distinguishes the branches of a union: every branch requires it
// and restricts it to strings that no other branch allows. For an object, only the branch whose
// enum holds the property's value can match, so the walker checks that branch alone.
type discriminant struct {
	property string
	branch   map[string]int
	values   []string // every allowed value in branch order, for messages
}

// emptyNode accepts every value. It is the node of a union branch that has no constraints.
var emptyNode = &node{location: "(empty)"}

// compiler turns kin-openapi's resolved schema model into nodes.
type compiler struct{}

// allowedKeywords lists the schema keywords the validator implements or that only annotate.
// Any other keyword is a load error, so that no constraint of the spec is silently ignored.
var allowedKeywords = map[string]bool{
	"type": true, "properties": true, "required": true, "additionalProperties": true,
	"items": true, "enum": true, "oneOf": true, "anyOf": true, "allOf": true, "format": true,
	// Annotations.
	"title": true, "description": true, "example": true, "examples": true, "default": true,
	"deprecated": true, "externalDocs": true, "$comment": true,
	// kin-openapi v0.153.0 validates OpenAPI 3.1 documents with JSON Schema 2020-12, where
	// "nullable" and "discriminator" are unknown keywords and change no verdict. The validator
	// treats them the same way; it uses the discriminator only to pick the branch to report.
	"nullable": true, "discriminator": true,
}

// compileRoot compiles the schema of a request or response body. The root may be a reference
// to a component; kin-openapi validates the component itself.
func (c *compiler) compileRoot(ref *openapi3.SchemaRef, location string) (*node, error) {
	if ref.Ref != "" {
		location = ref.Ref
	}
	n, err := c.compileValue(ref, location)
	if err != nil {
		return nil, err
	}
	if n == nil {
		n = emptyNode
	}
	return n, nil
}

// compile compiles a subschema. It returns nil for a schema that accepts every value.
func (c *compiler) compile(ref *openapi3.SchemaRef, location string) (*node, error) {
	if ref == nil {
		return nil, nil
	}
	// NOTE: kin-openapi v0.153.0 validates a body schema that contains references to components
	// with its OpenAPI 3.0 walk instead of JSON Schema 2020-12 (see useJSONSchema2020 in
	// openapi3/schema_jsonschema_validator.go), where nullable and discriminator change the
	// verdict. The validator implements only the 2020-12 rules, so it rejects such a schema.
	if ref.Ref != "" {
		return nil, fmt.Errorf("schema at %s refers to %s: references inside a body schema are not supported, because kin-openapi validates such schemas by OpenAPI 3.0 rules", location, ref.Ref)
	}
	return c.compileValue(ref, location)
}

func (c *compiler) compileValue(ref *openapi3.SchemaRef, location string) (*node, error) {
	s := ref.Value
	if s == nil {
		return nil, fmt.Errorf("schema at %s is not resolved", location)
	}
	if s.Always != nil {
		if *s.Always {
			return nil, nil
		}
		n := &node{location: location, never: true}
		n.flat = []*node{n}
		return n, nil
	}
	if err := checkKeywords(s, location); err != nil {
		return nil, err
	}

	n := &node{location: location, title: s.Title}
	var err error
	if n.types, err = compileTypes(s, location); err != nil {
		return nil, err
	}
	if n.enum, err = compileEnum(s.Enum, location); err != nil {
		return nil, err
	}
	if n.format, err = compileFormat(s.Format, n.types, location); err != nil {
		return nil, err
	}
	if err := c.compileObject(n, s, location); err != nil {
		return nil, err
	}
	if n.items, err = c.compile(s.Items, location+"/items"); err != nil {
		return nil, err
	}
	if err := c.compileUnions(n, s, location); err != nil {
		return nil, err
	}
	impliedTypes(n, s)

	n.objectRules = len(n.props) > 0 || n.noExtra || n.extra != nil
	n.deep = n.objectRules || n.items != nil || n.enum != nil || n.format != formatNone ||
		integerOnly(n.types)
	if !n.deep && n.types == 0 && len(n.flat) == 1 && len(n.unions) == 0 {
		return nil, nil
	}
	return n, nil
}

// checkKeywords rejects a schema that uses a keyword outside allowedKeywords.
func checkKeywords(s *openapi3.Schema, location string) error {
	encoded, err := s.MarshalYAML()
	if err != nil {
		return fmt.Errorf("schema at %s: %w", location, err)
	}
	fields, _ := encoded.(map[string]any)
	var unsupported []string
	for keyword := range fields {
		if !allowedKeywords[keyword] && !strings.HasPrefix(keyword, "x-") {
			unsupported = append(unsupported, keyword)
		}
	}
	if len(unsupported) > 0 {
		slices.Sort(unsupported)
		return fmt.Errorf("schema at %s uses %s, which the validator does not support; add the keyword to package validate before using it in the spec",
			location, quoteAll(unsupported))
	}
	return nil
}

func compileTypes(s *openapi3.Schema, location string) (kinds, error) {
	var types kinds
	for _, name := range s.Type.Slice() {
		found := false
		for _, k := range kindNames {
			if k.name == name {
				types |= k.kind
				found = true
			}
		}
		if !found {
			return 0, fmt.Errorf("schema at %s has unknown type %q", location, name)
		}
	}
	return types, nil
}

func compileEnum(values []any, location string) (*enumSet, error) {
	if len(values) == 0 {
		return nil, nil
	}
	e := &enumSet{}
	display := make([]string, 0, len(values))
	for _, v := range values {
		switch v := v.(type) {
		case string:
			e.strings = append(e.strings, v)
			display = append(display, quoteString(v))
		case bool:
			e.yes = e.yes || v
			e.no = e.no || !v
			display = append(display, fmt.Sprint(v))
		case nil:
			e.null = true
			display = append(display, "null")
		default:
			return nil, fmt.Errorf("schema at %s has enum value %v of type %T; only strings, booleans and null are supported", location, v, v)
		}
	}
	e.display = strings.Join(display, ", ")
	e.onlyStrings = !e.null && !e.yes && !e.no
	return e, nil
}

// compileFormat maps a format to the check that the Go type oapi-codegen generates for it
// decodes with. A format without such a check is a load error rather than an annotation.
func compileFormat(name string, types kinds, location string) (format, error) {
	switch name {
	case "":
		return formatNone, nil
	case "date-time":
		return formatDateTime, nil
	case "byte":
		return formatByte, nil
	case "int32", "int64":
		if types&^kindNull != kindInteger {
			return formatNone, fmt.Errorf("schema at %s has format %q on type %s; it is supported on integers only", location, name, kindList(types))
		}
		if name == "int32" {
			return formatInt32, nil
		}
		return formatInt64, nil
	}
	return formatNone, fmt.Errorf("schema at %s has format %q, which the validator does not check; add a check that matches its Go type to package validate", location, name)
}

func (c *compiler) compileObject(n *node, s *openapi3.Schema, location string) error {
	names := make([]string, 0, len(s.Properties))
	for name := range s.Properties {
		names = append(names, name)
	}
	slices.Sort(names)
	n.propIndex = make(map[string]int, len(names)+len(s.Required))
	for _, name := range names {
		child, err := c.compile(s.Properties[name], location+"/properties/"+escapePointer(name))
		if err != nil {
			return err
		}
		n.propIndex[name] = len(n.props)
		n.props = append(n.props, property{name: name, node: child, declared: true})
	}
	for _, name := range s.Required {
		i, ok := n.propIndex[name]
		if !ok {
			i = len(n.props)
			n.propIndex[name] = i
			n.props = append(n.props, property{name: name})
		}
		if !slices.Contains(n.required, i) {
			n.required = append(n.required, i)
		}
	}

	extra := s.AdditionalProperties
	switch {
	case extra.Has != nil && !*extra.Has:
		n.noExtra = true
	case extra.Schema != nil:
		child, err := c.compile(extra.Schema, location+"/additionalProperties")
		if err != nil {
			return err
		}
		n.extra = child
	}
	// oapi-codegen v2.8.2 generates a plain struct for an object with properties and no
	// additionalProperties, and encoding/json matches its member names to fields without regard
	// to case. With additionalProperties set, the generated type decodes members by exact name.
	if len(s.Properties) > 0 && extra.Has == nil && extra.Schema == nil {
		n.folded = make(map[string]int, len(names))
		for _, name := range names {
			n.folded[string(appendFold(nil, []byte(name)))] = n.propIndex[name]
		}
	}
	return nil
}

func (c *compiler) compileUnions(n *node, s *openapi3.Schema, location string) error {
	preferred := ""
	if s.Discriminator != nil {
		preferred = s.Discriminator.PropertyName
	}
	for _, u := range []struct {
		refs       openapi3.SchemaRefs
		keyword    string
		exactlyOne bool
	}{{s.OneOf, "oneOf", true}, {s.AnyOf, "anyOf", false}} {
		if len(u.refs) == 0 {
			continue
		}
		branches, err := c.compileBranches(u.refs, location+"/"+u.keyword)
		if err != nil {
			return err
		}
		n.unions = append(n.unions, union{
			branches:   branches,
			exactlyOne: u.exactlyOne,
			disc:       findDiscriminant(branches, preferred),
		})
	}

	allOf, err := c.compileBranches(s.AllOf, location+"/allOf")
	if err != nil {
		return err
	}
	n.flat = []*node{n}
	for _, member := range allOf {
		n.flat = append(n.flat, member.flat...)
	}
	return nil
}

func (c *compiler) compileBranches(refs openapi3.SchemaRefs, location string) ([]*node, error) {
	var out []*node
	for i, ref := range refs {
		b, err := c.compile(ref, fmt.Sprintf("%s/%d", location, i))
		if err != nil {
			return nil, err
		}
		if b == nil {
			b = emptyNode
		}
		out = append(out, b)
	}
	return out, nil
}

// impliedTypes restricts a schema without "type" that has object or array keywords to that kind
// or null.
//
// NOTE: JSON Schema, and so kin-openapi, accepts any value of another kind there, because
// object and array keywords ignore such values. oapi-codegen generates a struct, map or slice
// for these schemas, which encoding/json can fill only from that kind or null, so the validator
// rejects the rest: {"data": "x"} is a violation in a sessions response although kin-openapi
// accepts it.
func impliedTypes(n *node, s *openapi3.Schema) {
	if n.types != 0 {
		return
	}
	explicitExtra := s.AdditionalProperties.Has != nil || s.AdditionalProperties.Schema != nil
	if len(s.Properties) > 0 || explicitExtra {
		n.types |= kindObject | kindNull
	}
	if s.Items != nil {
		n.types |= kindArray | kindNull
	}
	n.impliedTypes = n.types != 0
}

// findDiscriminant looks for a property that distinguishes the branches, trying preferred first
// and then the properties the first branch requires.
func findDiscriminant(branches []*node, preferred string) *discriminant {
	if len(branches) < 2 {
		return nil
	}
	var candidates []string
	if preferred != "" {
		candidates = append(candidates, preferred)
	}
	for _, i := range branches[0].required {
		candidates = append(candidates, branches[0].props[i].name)
	}
	for _, name := range candidates {
		if d := discriminantFor(branches, name); d != nil {
			return d
		}
	}
	return nil
}

func discriminantFor(branches []*node, name string) *discriminant {
	d := &discriminant{property: name, branch: map[string]int{}}
	for bi, b := range branches {
		i, ok := b.propIndex[name]
		if !ok || !slices.Contains(b.required, i) {
			return nil
		}
		prop := b.props[i].node
		if prop == nil || prop.enum == nil || !prop.enum.onlyStrings {
			return nil
		}
		for _, v := range prop.enum.strings {
			if _, taken := d.branch[v]; taken {
				return nil
			}
			d.branch[v] = bi
			d.values = append(d.values, v)
		}
	}
	return d
}

// linearLookup is the number of properties up to which lookup compares names one by one, which
// is faster than hashing for the few properties of most objects.
const linearLookup = 16

// lookup returns the index of the declared or required property name.
func (n *node) lookup(name []byte) (int, bool) {
	if len(n.props) > linearLookup {
		i, ok := n.propIndex[string(name)]
		return i, ok
	}
	for i := range n.props {
		if n.props[i].name == string(name) {
			return i, true
		}
	}
	return 0, false
}

// integerOnly reports whether types accept integers but not every number.
func integerOnly(types kinds) bool {
	return types&kindInteger != 0 && types&kindNumber == 0
}

// allows reports whether the node's types accept a value of kind k. A number is checked against
// "integer" later, by its literal.
func (n *node) allows(k kinds) bool {
	if n.types == 0 || n.types&k != 0 {
		return true
	}
	return k == kindNumber && n.types&kindInteger != 0
}

func kindList(types kinds) string {
	var names []string
	for _, k := range kindNames {
		if types&k.kind != 0 && !(k.kind == kindInteger && types&kindNumber != 0) {
			names = append(names, k.name)
		}
	}
	return strings.Join(names, " or ")
}

func quoteAll(values []string) string {
	quoted := make([]string, len(values))
	for i, v := range values {
		quoted[i] = quoteString(v)
	}
	return strings.Join(quoted, ", ")
}

// escapePointer escapes a JSON pointer token as RFC 6901 requires.
func escapePointer(token string) string {
	if !strings.ContainsAny(token, "~/") {
		return token
	}
	return strings.NewReplacer("~", "~0", "/", "~1").Replace(token)
}
