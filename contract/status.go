package contract

import (
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"

	"github.com/tcikit/tci/validate"
)

// unjudgedStatus returns why validate.Response does not judge a response of op with status,
// or "" when it does. The validator skips the redirects 301, 304, 307 and 308, and any status
// that the operation declares neither exactly, by range (such as "4XX") nor by "default".
// The Code Interpreter spec declares only 200.
func unjudgedStatus(v *validate.Validator, op validate.Operation, status int) string {
	switch status {
	case http.StatusMovedPermanently, http.StatusNotModified,
		http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
		return fmt.Sprintf("the validator does not judge status %d", status)
	}
	var declared []string
	if item := v.Document().Paths.Value(op.Path); item != nil {
		if operation := item.GetOperation(op.Method); operation != nil && operation.Responses != nil {
			responses := operation.Responses
			if responses.Status(status) != nil || responses.Default() != nil {
				return ""
			}
			declared = slices.Sorted(maps.Keys(responses.Map()))
		}
	}
	return fmt.Sprintf("the spec declares no response for status %d of %s (it declares %s)",
		status, op.ID, strings.Join(declared, ", "))
}
