package validate

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"

	"github.com/tcikit/tci"
)

// Operation is one operation of the spec.
type Operation struct {
	// ID is the spec's operationId, such as "tci/execute".
	ID string
	// Method is the HTTP method in upper case.
	Method string
	// Path is the path template relative to the server URL, such as "/tci/execute".
	Path string
}

// String returns the operation as "METHOD /path".
func (o Operation) String() string { return o.Method + " " + o.Path }

// The operations of the Code Interpreter API.
var (
	ExecuteCode  = Operation{ID: "tci/execute", Method: http.MethodPost, Path: "/tci/execute"}
	ListSessions = Operation{ID: "sessions/list", Method: http.MethodGet, Path: "/tci/sessions"}
)

// Validator checks messages against one OpenAPI document.
type Validator struct {
	doc        *openapi3.T
	router     routers.Router
	operations []Operation
	schemas    map[Operation]*operationSchemas
}

// New loads and checks an OpenAPI document and prepares its operations for validation.
func New(spec []byte) (*Validator, error) {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(spec)
	if err != nil {
		return nil, fmt.Errorf("load OpenAPI document: %w", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		return nil, fmt.Errorf("invalid OpenAPI document: %w", err)
	}

	// The router matches paths relative to the server URL. Routing with the document's servers
	// would reject every host but the spec's own, so the router gets a copy without servers and
	// Route strips the caller's base path itself.
	relative := *doc
	relative.Servers = nil
	router, err := legacy.NewRouter(&relative)
	if err != nil {
		return nil, fmt.Errorf("build router: %w", err)
	}

	v := &Validator{doc: doc, router: router}
	for _, path := range doc.Paths.InMatchingOrder() {
		for method, op := range doc.Paths.Value(path).Operations() {
			v.operations = append(v.operations, Operation{ID: op.OperationID, Method: method, Path: path})
		}
	}
	slices.SortFunc(v.operations, func(a, b Operation) int { return strings.Compare(a.String(), b.String()) })
	if v.schemas, err = compileOperations(doc, v.operations); err != nil {
		return nil, err
	}
	return v, nil
}

var (
	embeddedOnce sync.Once
	embedded     *Validator
	embeddedErr  error
)

// Embedded returns the Validator for the document embedded in package tci. It is built on first
// use and shared afterwards.
func Embedded() (*Validator, error) {
	embeddedOnce.Do(func() { embedded, embeddedErr = New(tci.OpenAPI) })
	return embedded, embeddedErr
}

// Document returns the loaded OpenAPI document. Callers must not modify it.
func (v *Validator) Document() *openapi3.T { return v.doc }

// Operations returns the spec's operations sorted by method and path.
func (v *Validator) Operations() []Operation { return slices.Clone(v.operations) }

// Lookup finds an operation by its operationId ("tci/execute") or as "METHOD /path"
// ("POST /tci/execute").
func (v *Validator) Lookup(name string) (Operation, error) {
	for _, op := range v.operations {
		if op.ID == name || strings.EqualFold(op.Method+" "+op.Path, strings.Join(strings.Fields(name), " ")) {
			return op, nil
		}
	}
	known := make([]string, 0, 2*len(v.operations))
	for _, op := range v.operations {
		known = append(known, op.ID, op.String())
	}
	return Operation{}, fmt.Errorf("unknown operation %q; use one of: %s", name, strings.Join(known, ", "))
}

// ErrNoRoute reports a request that matches no operation of the spec.
var ErrNoRoute = errors.New("no operation of the spec matches this request")

// Route finds the operation that a request to u with method targets. The URL may carry any
// scheme, host and base path: "https://example.com/v1/tci/execute" and "/tci/execute" both route
// to ExecuteCode. A trailing slash must match the spec's path exactly, because servers route
// "/tci/execute/" elsewhere (the reference server responds to it with 404), so that path routes to
// no operation.
func (v *Validator) Route(method string, u *url.URL) (Operation, error) {
	path := u.EscapedPath()
	if path == "" {
		path = "/"
	}
	noRoute := fmt.Errorf("%s %s: %w", method, u.Path, ErrNoRoute)
	// Try the whole path first, then drop one leading segment at a time, so that the shortest
	// base path wins.
	for rest := path; ; {
		req := &http.Request{Method: method, URL: &url.URL{Path: rest, RawPath: rest}, Host: "localhost"}
		route, _, err := v.router.FindRoute(req)
		if err == nil {
			// The router ignores a trailing slash, and dropping leading segments keeps it, so
			// a mismatch here means that no operation matches.
			if strings.HasSuffix(rest, "/") != strings.HasSuffix(route.Path, "/") {
				return Operation{}, noRoute
			}
			return v.operationFor(route), nil
		}
		if errors.Is(err, routers.ErrMethodNotAllowed) {
			return Operation{}, fmt.Errorf("%s %s: %w (method not allowed)", method, u.Path, ErrNoRoute)
		}
		next := strings.IndexByte(rest[1:], '/')
		if next < 0 {
			return Operation{}, noRoute
		}
		rest = rest[next+1:]
	}
}

func (v *Validator) operationFor(route *routers.Route) Operation {
	for _, op := range v.operations {
		if op.Path == route.Path && op.Method == route.Method {
			return op
		}
	}
	return Operation{ID: route.Operation.OperationID, Method: route.Method, Path: route.Path}
}
