package main

import (
	"context"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/tcikit/tci/validate"
	"github.com/tcikit/tci/wrapper"
)

// Exit statuses. Commands document which of them they use.
const (
	exitOK = 0
	// exitFailed: the code raised an exception, the execution or listing failed, a check
	// scenario failed, validation found violations, or a server could not start.
	exitFailed = 1
	// exitUsage: invalid flags, arguments or configuration, or unreadable input.
	exitUsage = 2
	// exitRequest: no usable HTTP response, a status outside 2xx, or no server to talk to.
	exitRequest = 3
	// exitInvalidResponse: a 2xx response that breaks the spec or cannot be decoded.
	exitInvalidResponse = 4
	// exitInterrupted: SIGINT or SIGTERM canceled the command, 128 + SIGINT as shells report.
	exitInterrupted = 130
)

// exitError is an error with the exit status it causes. A nil err prints nothing.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit status %d", e.code)
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

// errHelp is returned after printing help that the user asked for: exit 0, nothing more.
var errHelp = &exitError{code: exitOK}

func usageErrorf(format string, args ...any) error {
	return &exitError{code: exitUsage, err: fmt.Errorf(format, args...)}
}

func usageError(err error) error { return &exitError{code: exitUsage, err: err} }

func failedError(err error) error { return &exitError{code: exitFailed, err: err} }

// silentExit is an exit status whose cause the command has already printed.
func silentExit(code int) error { return &exitError{code: code} }

// exit prints err, if any, as one line prefixed "tci:" on stderr and returns its exit status.
func (c *cli) exit(err error) int {
	if err == nil {
		return exitOK
	}
	code, message := c.describe(err)
	if message != "" {
		fmt.Fprintf(c.stderr, "tci: %s\n", oneLine(message))
	}
	return code
}

// describe maps err to an exit status and the message to print.
func (c *cli) describe(err error) (int, string) {
	var (
		exitErr    *exitError
		apiErr     *wrapper.APIError
		invalidErr *wrapper.InvalidResponseError
		failed     *wrapper.FailedError
	)
	switch {
	case errors.Is(err, context.Canceled) && c.ctx.Err() != nil:
		return exitInterrupted, "interrupted: " + context.Cause(c.ctx).Error()
	case errors.As(err, &exitErr):
		if exitErr.err == nil {
			return exitErr.code, ""
		}
		return exitErr.code, exitErr.err.Error()
	case errors.As(err, &failed):
		return exitFailed, failed.Error()
	case errors.As(err, &apiErr):
		c.adviseFlags(apiErr)
		return exitRequest, apiErr.Error()
	case errors.As(err, &invalidErr):
		return exitInvalidResponse, invalidResponseMessage(invalidErr)
	case errors.Is(err, wrapper.ErrInsecureHTTP):
		// The wrapper's message names its Go option, which no flag of tci is called.
		return exitUsage, "refusing to send the API key over plain HTTP to a host that is not " +
			"loopback; use an https:// base URL or a loopback address, or allow it with --insecure-http"
	}
	return exitFailed, err.Error()
}

// adviseFlags replaces the Hint of apiErr with one that names the flag to change, where the
// client's hint names none.
func (c *cli) adviseFlags(apiErr *wrapper.APIError) {
	switch {
	case apiErr.Hint == "":
	case apiErr.StatusCode == 0 && errors.Is(apiErr, context.DeadlineExceeded) && c.global.timeout > 0:
		apiErr.Hint = fmt.Sprintf("each attempt times out after %v; raise it with --timeout, or use "+
			"--timeout 0 for no limit", c.global.timeout)
	case apiErr.StatusCode == http.StatusUnauthorized:
		apiErr.Hint = fmt.Sprintf("no API key was sent; set %s or pass --api-key", wrapper.EnvAPIKey)
	}
}

// invalidResponseMessage adds what to do to a response that the client rejected: a larger
// --max-response-bytes for one that is too large, and --validation report for one that
// breaks the spec's schema but that report mode would accept.
func invalidResponseMessage(e *wrapper.InvalidResponseError) string {
	switch {
	case errors.Is(e, wrapper.ErrResponseTooLarge):
		return e.Error() + "; raise the limit with --max-response-bytes"
	case reportModeAccepts(e):
		return e.Error() + `; "--validation report" accepts a response that breaks the spec but decodes`
	}
	return e.Error()
}

// reportModeAccepts reports whether --validation report would return what e rejected: its
// only problem is the spec's schema, its content type is JSON, and its body decodes to a
// result or a failure.
func reportModeAccepts(e *wrapper.InvalidResponseError) bool {
	var schemaErr *validate.Error
	if !errors.As(e, &schemaErr) || !isJSONMediaType(e.ContentType) {
		return false
	}
	var err error
	if schemaErr.Operation == validate.ListSessions {
		_, err = wrapper.DecodeSessionList(e.Body)
	} else {
		_, err = wrapper.DecodeExecuteResponse(e.Body)
	}
	var failed *wrapper.FailedError
	return err == nil || errors.As(err, &failed)
}

// isJSONMediaType reports whether contentType is application/json or a +json type, which the
// client accepts in report mode.
func isJSONMediaType(contentType string) bool {
	mediaType, _, err := mime.ParseMediaType(contentType)
	return err == nil && (mediaType == "application/json" || strings.HasSuffix(mediaType, "+json"))
}

// oneLine joins the lines of s, so that each error takes one line on stderr, and escapes its
// control characters, which a server could put in a message it reports.
func oneLine(s string) string {
	return escapeControl(strings.Join(strings.Fields(strings.ReplaceAll(s, "\n", " ")), " "))
}

// escapeControl returns s with each control character and each byte of invalid UTF-8 written
// as a Go escape, such as \x1b or \u0085. Text from a server then cannot start a terminal
// escape sequence that moves the cursor or clears the screen.
func escapeControl(s string) string {
	if !strings.ContainsFunc(s, isControlOrInvalid) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r < 0x80 && unicode.IsControl(r):
			fmt.Fprintf(&b, `\x%02x`, r)
		case unicode.IsControl(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

func isControlOrInvalid(r rune) bool { return r == utf8.RuneError || unicode.IsControl(r) }
