package tcitest

import (
	"bytes"
	"net/http"
	"strings"
)

// Redacted replaces the credentials of the Authorization header in recorded requests.
const Redacted = "[REDACTED]"

// Request is a request that a Server received.
type Request struct {
	Method string
	// Path is the URL path, such as "/v1/tci/execute".
	Path string
	// Header contains the request headers. The credentials of Authorization are replaced with
	// Redacted and its scheme is kept, so "Bearer abc" is recorded as "Bearer [REDACTED]".
	Header http.Header
	Body   []byte
	// Operation is the operationId of the spec operation the request matched, such as
	// "tci/execute", or "" when it matched none.
	Operation string
	// Fault is the fault applied to the request, or nil when the reference server handled it.
	Fault *Fault
}

func (r Request) clone() Request {
	out := r
	out.Header = r.Header.Clone()
	out.Body = bytes.Clone(r.Body)
	if r.Fault != nil {
		fault := *r.Fault
		out.Fault = &fault
	}
	return out
}

// redact returns a copy of header with the credentials of Authorization replaced by Redacted.
func redact(header http.Header) http.Header {
	out := header.Clone()
	values := header.Values("Authorization")
	if len(values) == 0 {
		return out
	}
	redacted := make([]string, len(values))
	for i, value := range values {
		redacted[i] = Redacted
		if scheme, _, hasCredentials := strings.Cut(strings.TrimSpace(value), " "); hasCredentials {
			redacted[i] = scheme + " " + Redacted
		}
	}
	out["Authorization"] = redacted
	return out
}
