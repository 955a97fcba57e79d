package validate

import "net/http"

// Response checks a response of op against the spec: the status, the Content-Type header and the
// body. It returns nil or an *Error listing every violation. body is not retained.
//
// TODO: replace the reference path with a validator compiled once from the spec.
func (v *Validator) Response(op Operation, status int, header http.Header, body []byte) error {
	return v.ReferenceResponse(op, status, header, body)
}

// Request checks a request body of op against the spec. It returns nil or an *Error listing
// every violation. Security requirements are left to the server.
func (v *Validator) Request(op Operation, header http.Header, body []byte) error {
	return v.ReferenceRequest(op, header, body)
}
