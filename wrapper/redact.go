package wrapper

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"github.com/tcikit/tci/validate"
)

// redacted replaces secrets wherever this package prints, logs or stores text that came from
// the network.
const redacted = "[REDACTED]"

// secret is an API key kept inside a closure. fmt prints a func value as an address, even
// inside unexported fields where it ignores String and Format methods, so printing a Client or
// its config with any verb never shows the key (TestKeyNeverLeaks checks each verb). The
// methods below print "[REDACTED]" when a secret is printed or logged directly.
type secret func() string

func newSecret(key string) secret { return func() string { return key } }

// value returns the key, or "" for a nil secret.
func (s secret) value() string {
	if s == nil {
		return ""
	}
	return s()
}

// Format writes "[REDACTED]" for every verb, including %x and %q.
func (s secret) Format(f fmt.State, verb rune) { _, _ = f.Write([]byte(redacted)) }

// String returns "[REDACTED]".
func (s secret) String() string { return redacted }

// GoString returns "[REDACTED]".
func (s secret) GoString() string { return redacted }

// MarshalJSON returns the JSON string "[REDACTED]".
func (s secret) MarshalJSON() ([]byte, error) { return []byte(`"` + redacted + `"`), nil }

// LogValue returns "[REDACTED]" for slog.
func (s secret) LogValue() slog.Value { return slog.StringValue(redacted) }

// redactor removes one API key from text that may echo it, such as a response body written by
// a server that reflects request headers. The zero redactor changes nothing.
type redactor struct {
	key secret
}

func (r redactor) string(s string) string {
	key := r.key.value()
	if key == "" || !strings.Contains(s, key) {
		return s
	}
	return strings.ReplaceAll(s, key, redacted)
}

// bytes returns b unchanged when it does not contain the key, and a redacted copy otherwise.
func (r redactor) bytes(b []byte) []byte {
	key := r.key.value()
	if key == "" || !bytes.Contains(b, []byte(key)) {
		return b
	}
	return bytes.ReplaceAll(b, []byte(key), []byte(redacted))
}

// error returns err unchanged when its message lacks the key. Otherwise it returns an error
// whose message and whole chain have the key replaced: a *validate.Error is copied with its
// violations redacted, and any other link becomes a *redactedError that unwraps to the
// redacted rest of the chain. Links without the key, such as sentinels, stay as they are.
func (r redactor) error(err error) error {
	if err == nil || r.string(err.Error()) == err.Error() {
		return err
	}
	var validationErr *validate.Error
	if errors.As(err, &validationErr) && err == error(validationErr) {
		clean := *validationErr
		clean.Violations = r.violations(validationErr.Violations)
		return &clean
	}
	return &redactedError{message: r.string(err.Error()), err: r.error(errors.Unwrap(err))}
}

// violations returns a copy of violations with the key replaced.
func (r redactor) violations(violations []validate.Violation) []validate.Violation {
	out := make([]validate.Violation, len(violations))
	for i, v := range violations {
		out[i] = validate.Violation{Pointer: r.string(v.Pointer), Reason: r.string(v.Reason)}
	}
	return out
}

// redactedError stands for an error whose message contained the API key.
type redactedError struct {
	message string
	err     error
}

func (e *redactedError) Error() string { return e.message }
func (e *redactedError) Unwrap() error { return e.err }

// header returns h unchanged when no value contains the key, and a redacted copy otherwise.
// Authorization values are always redacted.
func (r redactor) header(h http.Header) http.Header {
	out, cloned := h, false
	for name, values := range h {
		for i, v := range values {
			clean := r.string(v)
			if http.CanonicalHeaderKey(name) == "Authorization" {
				clean = redacted
			}
			if clean == v {
				continue
			}
			if !cloned {
				out, cloned = h.Clone(), true
			}
			out[name][i] = clean
		}
	}
	return out
}
