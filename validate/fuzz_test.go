package validate

import (
	"errors"
	"regexp"
	"strings"
	"testing"
)

// knownDifference matches the reasons of violations that the fast path reports for bodies the
// reference accepts: the differences from kin-openapi that the package documentation lists.
var knownDifference = regexp.MustCompile(`^(` + strings.Join([]string{
	`invalid JSON at offset \d+: data after the top-level value`,
	`invalid JSON at offset \d+: nesting depth exceeds the limit of 1000`,
	`invalid UTF-8 in (string|property name)`,
	`duplicate property .*`,
	`number .* is out of range for float64`,
	`expected integer without fraction or exponent, got .*`,
	`integer .* is out of range for int64`,
	`expected (object|array) or null, got .*`,
	`property .* differs from property .* only in case`,
}, "|") + `)$`)

func FuzzResponse(f *testing.F) {
	for _, body := range hostileBodies {
		f.Add([]byte(body))
	}
	for _, c := range handWritten() {
		f.Add(c.body)
	}
	v := mustEmbedded(f)
	decoders := map[Operation]func([]byte) error{ListSessions: decodeSessions, ExecuteCode: decodeExecute}
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, op := range []Operation{ListSessions, ExecuteCode} {
			fast := v.Response(op, 200, jsonHeader, body)
			var verr *Error
			if fast != nil && !errors.As(fast, &verr) {
				t.Fatalf("%s: error is %T, want *Error: %v", op, fast, fast)
			}
			if fast == nil {
				if reference := v.ReferenceResponse(op, 200, jsonHeader, body); reference != nil {
					t.Fatalf("%s: fast path accepts a body the reference rejects: %v\nbody: %q", op, reference, body)
				}
				if err := decoders[op](body); err != nil {
					t.Fatalf("%s: valid body does not decode: %v\nbody: %q", op, err, body)
				}
				continue
			}
			if len(verr.Violations) == 0 {
				t.Fatalf("%s: *Error without violations", op)
			}
			for _, violation := range verr.Violations {
				if violation.Reason == "body violates the spec" {
					t.Fatalf("%s: the collect pass found nothing the fast pass rejected\nbody: %q", op, body)
				}
			}
			// Only a violation outside the known differences needs the slow reference.
			if allKnown(verr.Violations) {
				continue
			}
			if v.ReferenceResponse(op, 200, jsonHeader, body) == nil {
				t.Fatalf("%s: fast path rejects a body the reference accepts: %v\nbody: %q", op, fast, body)
			}
		}
	})
}

// allKnown reports whether every violation is a known difference from kin-openapi, one of the
// reasons that knownDifference matches.
func allKnown(violations []Violation) bool {
	for _, v := range violations {
		if !knownDifference.MatchString(v.Reason) {
			return false
		}
	}
	return true
}
