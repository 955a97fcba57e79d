package main

import (
	"context"
	"errors"
	"fmt"
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
		return exitRequest, apiErr.Error()
	case errors.As(err, &invalidErr):
		return exitInvalidResponse, invalidResponseMessage(invalidErr)
	case errors.Is(err, wrapper.ErrInsecureHTTP):
		return exitUsage, err.Error()
	}
	return exitFailed, err.Error()
}

// invalidResponseMessage adds a hint to a response that breaks the spec's schema, which
// --validation report still accepts when the body decodes.
func invalidResponseMessage(e *wrapper.InvalidResponseError) string {
	var schemaErr *validate.Error
	if errors.As(e, &schemaErr) {
		return e.Error() + `; "--validation report" accepts a response that breaks the spec but decodes`
	}
	return e.Error()
}

// oneLine joins the lines of s, so that each error takes one line on stderr, and escapes its
// control characters, which a server could put in a message it reports.
func oneLine(s string) string {
	return escapeControl(strings.Join(strings.Fields(strings.ReplaceAll(s, "\n", " ")), " "))
}

// escapeControl returns s with each control character, such as the ESC that starts a
// terminal escape sequence, and each byte of invalid UTF-8 written as a Go escape (\x1b,
// \u0085), so that text from a server cannot move the cursor or clear the terminal.
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
