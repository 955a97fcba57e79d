package generated

import "encoding/json"

// MarshalJSON encodes the zero Language as LanguagePython, the default the spec gives for
// "language". The field is required and has no Go pointer, so without this a request built
// without a language would send "" and fail validation.
func (l Language) MarshalJSON() ([]byte, error) {
	if l == "" {
		l = LanguagePython
	}
	return json.Marshal(string(l))
}
