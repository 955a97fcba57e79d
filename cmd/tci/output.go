package main

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/tcikit/tci/wrapper"
)

// showResult prints the outputs and the session line, or with --json the response body. The
// code has run by then, so when writing stdout, stderr or a file of --out fails, showResult
// reports the failure and still prints the session line, which the user needs to reach the
// session's state. The command then exits 1.
func (c *cli) showResult(result *wrapper.Result, f execFlags, outGiven bool, t *target, rec *recorder) error {
	saver := &displaySaver{dir: f.out, stderr: c.stderr, target: t}
	var err error
	if f.json {
		err = c.printJSON(rec.last(), t)
		if err == nil && outGiven {
			err = saveAllDisplayData(saver, result)
		}
		if err == nil {
			return nil // the body names the session
		}
	} else {
		err = c.printOutputs(result, saver, t)
	}
	if err != nil {
		fmt.Fprintf(c.stderr, "tci: the code ran, but writing its outputs failed: %s\n", oneLine(err.Error()))
	}
	c.printSession(t.redact(result.SessionID), t)
	if err != nil {
		return silentExit(exitFailed)
	}
	return nil
}

// printOutputs writes the outputs in the order the code produced them: stdout text and the
// value of a trailing expression to stdout, stderr text and tracebacks to stderr. Display
// data goes to files, or to stdout when it is text only. Both streams remove the API key,
// also one split across two outputs, and the lines of saved files go through the stderr one
// so that they keep their place.
func (c *cli) printOutputs(result *wrapper.Result, saver *displaySaver, t *target) error {
	stdout, stderr := newRedactingWriter(c.stdout, t), newRedactingWriter(c.stderr, t)
	saver.stderr = stderr
	err := writeOutputs(result.Outputs, stdout, stderr, saver)
	if flushErr := stdout.Flush(); err == nil {
		err = flushErr
	}
	if flushErr := stderr.Flush(); err == nil {
		err = flushErr
	}
	if err != nil {
		return failedError(fmt.Errorf("write output: %w", err))
	}
	return nil
}

// writeOutputs writes every output, also after one failed, and returns the first error.
func writeOutputs(outputs []wrapper.Output, stdout, stderr io.Writer, saver *displaySaver) error {
	var firstErr error
	for _, o := range outputs {
		var err error
		switch o.Type {
		case wrapper.OutputStdout:
			_, err = io.WriteString(stdout, o.Text)
		case wrapper.OutputStderr:
			_, err = io.WriteString(stderr, o.Text)
		case wrapper.OutputError:
			_, err = io.WriteString(stderr, withNewline(o.Text))
		case wrapper.OutputExecuteResult:
			if text, ok := o.Data["text/plain"]; ok {
				_, err = io.WriteString(stdout, withNewline(string(text)))
			}
			if images := imagePayloads(o.Data); err == nil && len(images) > 0 {
				err = saver.save(images)
			}
		case wrapper.OutputDisplayData:
			err = showDisplayData(o.Data, stdout, saver)
		default:
			// An output type outside the spec, let through by --validation report or off.
			if o.Text != "" {
				_, err = fmt.Fprintf(stderr, "[%s] %s", sanitizeForMessage(string(o.Type)), withNewline(o.Text))
			}
		}
		firstErr = cmp.Or(firstErr, err)
	}
	return firstErr
}

// showDisplayData saves the payloads of one display_data output, or prints it when
// text/plain is its only payload.
func showDisplayData(data map[string][]byte, stdout io.Writer, saver *displaySaver) error {
	if text, ok := data["text/plain"]; ok && len(data) == 1 {
		_, err := io.WriteString(stdout, withNewline(string(text)))
		return err
	}
	return saver.save(data)
}

// imagePayloads returns the images and PDF documents among the payloads of an output, which
// the value of a trailing expression carries when it has _repr_png_ or the like. Its HTML and
// other text forms stay unsaved, because its text/plain form is printed.
func imagePayloads(data map[string][]byte) map[string][]byte {
	images := make(map[string][]byte)
	for mimeType, payload := range data {
		if strings.HasPrefix(mimeType, "image/") || mimeType == "application/pdf" {
			images[mimeType] = payload
		}
	}
	return images
}

func saveAllDisplayData(saver *displaySaver, result *wrapper.Result) error {
	for _, data := range result.DisplayData() {
		if err := saver.save(data); err != nil {
			return err
		}
	}
	return nil
}

// printSession writes the line that names the session on stderr, with control characters
// in the id escaped.
func (c *cli) printSession(id string, t *target) {
	id = escapeControl(id)
	if t.local != nil {
		fmt.Fprintf(c.stderr, "tci: session %s ended with the local reference server; "+
			"run \"tci serve\" to keep sessions between commands\n", id)
		return
	}
	fmt.Fprintf(c.stderr, "tci: session %s\n", id)
}

// printJSON writes a response body indented on stdout, with the API key removed.
//
// NOTE: a key split across two strings of the body, such as two stdout outputs, stays in it,
// because no single string contains it. The outputs that exec prints without --json are
// redacted as one stream per file descriptor instead.
func (c *cli) printJSON(body []byte, t *target) error {
	var indented bytes.Buffer
	if err := json.Indent(&indented, body, "", "  "); err != nil {
		indented.Reset()
		indented.Write(body)
	}
	text := t.redactJSON(indented.Bytes(), true)
	_, err := io.WriteString(c.stdout, withNewline(string(text)))
	if err != nil {
		return failedError(fmt.Errorf("write output: %w", err))
	}
	return nil
}

func withNewline(s string) string {
	if s == "" || strings.HasSuffix(s, "\n") {
		return s
	}
	return s + "\n"
}
