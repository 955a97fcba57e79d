package validate

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
)

// ReferenceResponse judges a response with kin-openapi's openapi3filter.ValidateResponse, which
// compiles the JSON Schema again on every call. It is the reference the fast path is tested
// against and the baseline it is measured against.
//
// The formats date-time and byte are checked as Response checks them, by what encoding/json
// decodes into time.Time and []byte, instead of by kin-openapi's default patterns. The package
// documentation lists where Response still differs.
func (v *Validator) ReferenceResponse(op Operation, status int, header http.Header, body []byte) error {
	route, err := v.route(op)
	if err != nil {
		return err
	}
	input := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{
			Request: &http.Request{Method: op.Method, URL: &url.URL{Path: op.Path}, Header: http.Header{}},
			Route:   route,
		},
		Status:  status,
		Header:  header,
		Body:    io.NopCloser(bytes.NewReader(body)),
		Options: &openapi3filter.Options{MultiError: true, SchemaValidationOptions: decoderFormats()},
	}
	if err := openapi3filter.ValidateResponse(context.Background(), input); err != nil {
		return &Error{Operation: op, Direction: Response, Status: status, Violations: violationsOf(err)}
	}
	return nil
}

// ReferenceRequest judges a request with openapi3filter.ValidateRequest. Security requirements
// are not checked, and formats are checked as ReferenceResponse checks them.
func (v *Validator) ReferenceRequest(op Operation, header http.Header, body []byte) error {
	route, err := v.route(op)
	if err != nil {
		return err
	}
	req := &http.Request{
		Method: op.Method,
		URL:    &url.URL{Path: op.Path},
		Header: header.Clone(),
		Body:   io.NopCloser(bytes.NewReader(body)),
	}
	if req.Header == nil {
		req.Header = http.Header{}
	}
	input := &openapi3filter.RequestValidationInput{
		Request: req,
		Route:   route,
		Options: &openapi3filter.Options{
			MultiError:              true,
			AuthenticationFunc:      openapi3filter.NoopAuthenticationFunc,
			SchemaValidationOptions: decoderFormats(),
		},
	}
	if err := openapi3filter.ValidateRequest(context.Background(), input); err != nil {
		return &Error{Operation: op, Direction: Request, Violations: violationsOf(err)}
	}
	return nil
}

func (v *Validator) route(op Operation) (*routers.Route, error) {
	item := v.doc.Paths.Value(op.Path)
	if item == nil || item.GetOperation(op.Method) == nil {
		return nil, errors.New("operation " + op.String() + " is not in the spec")
	}
	return &routers.Route{
		Spec:      v.doc,
		Path:      op.Path,
		PathItem:  item,
		Method:    op.Method,
		Operation: item.GetOperation(op.Method),
	}, nil
}

// violationsOf flattens kin-openapi's error tree into violations.
func violationsOf(err error) []Violation {
	var out []Violation
	var walk func(err error, reason string)
	walk = func(err error, reason string) {
		var multi openapi3.MultiError
		if errors.As(err, &multi) {
			for _, e := range multi {
				walk(e, reason)
			}
			return
		}
		var schemaErr *openapi3.SchemaError
		if errors.As(err, &schemaErr) {
			pointer := ""
			for _, part := range schemaErr.JSONPointer() {
				pointer += "/" + strings.NewReplacer("~", "~0", "/", "~1").Replace(part)
			}
			out = append(out, Violation{Pointer: pointer, Reason: schemaErr.Reason})
			return
		}
		var responseErr *openapi3filter.ResponseError
		if errors.As(err, &responseErr) && responseErr.Err != nil {
			walk(responseErr.Err, responseErr.Reason)
			return
		}
		var requestErr *openapi3filter.RequestError
		if errors.As(err, &requestErr) && requestErr.Err != nil {
			walk(requestErr.Err, requestErr.Reason)
			return
		}
		message := err.Error()
		if reason != "" && !strings.Contains(message, reason) {
			message = reason + ": " + message
		}
		out = append(out, Violation{Reason: firstLine(message)})
	}
	walk(err, "")
	return out
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
