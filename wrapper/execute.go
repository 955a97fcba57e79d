package wrapper

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/tcikit/tci/generated"
)

// ExecuteOption adds to one Execute call. Each option checks its arguments, and Execute returns
// the first error before sending anything.
type ExecuteOption func(*executeRequest) error

// executeRequest is the request body that the options build.
type executeRequest struct {
	body  generated.ExecuteRequest
	names map[string]bool
}

func newExecuteRequest(code string, opts []ExecuteOption) (generated.ExecuteRequest, error) {
	if !utf8.ValidString(code) {
		return generated.ExecuteRequest{}, fmt.Errorf("code is not valid UTF-8 at byte %d; JSON cannot carry it",
			invalidUTF8Offset([]byte(code)))
	}
	r := &executeRequest{body: generated.ExecuteRequest{Code: code, Language: generated.LanguagePython}}
	for i, opt := range opts {
		if opt == nil {
			return generated.ExecuteRequest{}, fmt.Errorf("execute option %d is nil", i)
		}
		if err := opt(r); err != nil {
			return generated.ExecuteRequest{}, err
		}
	}
	return r.body, nil
}

// WithSessionID runs the code in an existing session, as returned in Result.SessionID or by
// ListSessions, so that variables and installed packages from earlier calls are still there.
func WithSessionID(id string) ExecuteOption {
	return func(r *executeRequest) error {
		if id == "" {
			return &OptionError{Option: "WithSessionID",
				Err: errors.New("session id is empty: omit the option to start a new session")}
		}
		if strings.IndexFunc(id, isSpaceOrControl) >= 0 || !utf8.ValidString(id) {
			return &OptionError{Option: "WithSessionID", Value: id,
				Err: fmt.Errorf("invalid session id %s: it contains a space, a control character or "+
					"invalid UTF-8: pass the id as the server returned it", quoteShort(id))}
		}
		r.body.SessionID = &id
		return nil
	}
}

// WithFile uploads a file to the session before the code runs. Content that is valid UTF-8 is
// sent with the "string" encoding, anything else as "base64".
func WithFile(name string, content []byte) ExecuteOption {
	return func(r *executeRequest) error {
		if utf8.Valid(content) {
			return r.addFile("WithFile", name, generated.FileEncodingString, string(content))
		}
		return r.addFile("WithFile", name, generated.FileEncodingBase64, base64.StdEncoding.EncodeToString(content))
	}
}

// WithTextFile uploads a text file with the "string" encoding. The content must be valid UTF-8,
// because JSON would otherwise replace the invalid bytes; use WithBinaryFile for other content.
func WithTextFile(name, content string) ExecuteOption {
	return func(r *executeRequest) error {
		if !utf8.ValidString(content) {
			return &OptionError{Option: "WithTextFile", Value: name,
				Err: fmt.Errorf("content of file %s is not valid UTF-8 at byte %d: upload it with the "+
					"base64 encoding of WithBinaryFile", quoteShort(name), invalidUTF8Offset([]byte(content)))}
		}
		return r.addFile("WithTextFile", name, generated.FileEncodingString, content)
	}
}

// WithBinaryFile uploads a file with the "base64" encoding, for images and other binary
// content.
func WithBinaryFile(name string, content []byte) ExecuteOption {
	return func(r *executeRequest) error {
		return r.addFile("WithBinaryFile", name, generated.FileEncodingBase64,
			base64.StdEncoding.EncodeToString(content))
	}
}

// addFile adds a file to the request, or returns an *OptionError for option when the name is
// empty, invalid or already taken.
func (r *executeRequest) addFile(option, name string, encoding generated.FileEncoding, content string) error {
	var problem error
	switch {
	case name == "":
		problem = errors.New("file name is empty: give each file a name")
	case !utf8.ValidString(name) || strings.IndexFunc(name, isControl) >= 0:
		problem = fmt.Errorf("invalid file name %s: it contains a control character or invalid UTF-8",
			quoteShort(name))
	case r.names[name]:
		problem = fmt.Errorf("file %s is given twice: give each file its own name", quoteShort(name))
	}
	if problem != nil {
		return &OptionError{Option: option, Value: name, Err: problem}
	}
	if r.names == nil {
		r.names = make(map[string]bool)
	}
	r.names[name] = true
	if r.body.Files == nil {
		r.body.Files = &[]generated.File{}
	}
	*r.body.Files = append(*r.body.Files, generated.File{Name: name, Encoding: encoding, Content: content})
	return nil
}

func isControl(r rune) bool { return r < ' ' || r == 0x7f }

func isSpaceOrControl(r rune) bool { return r <= ' ' || r == 0x7f }
