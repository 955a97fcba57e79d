package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// The redaction rule. tci removes the API key from what it prints of the server's data
// (program output, --json bodies, check reports, session ids and text display files), because a
// hostile or broken server could echo the key into them. A key shorter than
// minRedactedKeyBytes is left there, because a short string occurs in ordinary output by
// chance: key "data" would turn "metadata" into "meta[REDACTED]". Such a key is too short to be
// a secret worth hiding anyway. Messages that tci writes itself never contain the key, whatever
// its length. A key or serve token shorter than minStrongKeyBytes gets a warning.
const (
	minRedactedKeyBytes = 8
	minStrongKeyBytes   = 16
)

// redacted is the text that replaces the API key in the server's data.
const redacted = "[REDACTED]"

// redactionKey returns the key to remove from the server's data, or "" when the rule leaves
// the key in place.
func (t *target) redactionKey() string {
	if len(t.apiKey) < minRedactedKeyBytes {
		return ""
	}
	return t.apiKey
}

// redact replaces the API key in text from the server.
func (t *target) redact(text string) string {
	key := t.redactionKey()
	if key == "" || !strings.Contains(text, key) {
		return text
	}
	return strings.ReplaceAll(text, key, redacted)
}

// warnShortKey writes one warning when the API key that the user configured is short. The
// key of the local reference server is random and long, so it never gets one.
func (c *cli) warnShortKey(t *target) {
	if t.apiKey == "" || t.local != nil || len(t.apiKey) >= minStrongKeyBytes {
		return
	}
	message := fmt.Sprintf("tci: warning: the API key from %s is shorter than %d bytes, so it is easy "+
		"to guess", t.apiKeySource, minStrongKeyBytes)
	if len(t.apiKey) < minRedactedKeyBytes {
		message += fmt.Sprintf("; a key shorter than %d bytes is also not removed from the server's "+
			"output", minRedactedKeyBytes)
	}
	fmt.Fprintln(c.stderr, message)
}

// redactJSON returns body with the API key replaced, also where the server escaped it in a
// JSON string, such as "\u0074ci-key" or a "/" sent as "\/". Only then does it decode and
// encode body again, which sorts the members of each object and indents with two spaces when
// indent is set. A body that is not JSON gets the plain replacement.
func (t *target) redactJSON(body []byte, indent bool) []byte {
	key := t.redactionKey()
	if key == "" {
		return body
	}
	clean := bytes.ReplaceAll(body, []byte(key), []byte(redacted))
	if !mayHideKey(clean, key) {
		return clean
	}
	decoder := json.NewDecoder(bytes.NewReader(clean))
	decoder.UseNumber()
	var value any
	if decoder.Decode(&value) != nil || decoder.More() {
		return clean
	}
	value, found := redactValue(value, key)
	if !found {
		return clean
	}
	var out bytes.Buffer
	encoder := json.NewEncoder(&out)
	encoder.SetEscapeHTML(false)
	if indent {
		encoder.SetIndent("", "  ")
	}
	if encoder.Encode(value) != nil {
		return clean
	}
	return bytes.TrimSuffix(out.Bytes(), []byte("\n"))
}

// mayHideKey reports whether a JSON text could carry key in escaped form: it has a \u or \/
// escape, or key contains a character that JSON must escape.
func mayHideKey(text []byte, key string) bool {
	return bytes.Contains(text, []byte(`\u`)) || bytes.Contains(text, []byte(`\/`)) ||
		strings.ContainsAny(key, `"\`)
}

// redactValue replaces key in every string and member name of a decoded JSON value and
// reports whether it found any.
func redactValue(value any, key string) (any, bool) {
	switch v := value.(type) {
	case string:
		if strings.Contains(v, key) {
			return strings.ReplaceAll(v, key, redacted), true
		}
		return v, false
	case []any:
		found := false
		for i, item := range v {
			var itemFound bool
			v[i], itemFound = redactValue(item, key)
			found = found || itemFound
		}
		return v, found
	case map[string]any:
		out := make(map[string]any, len(v))
		found := false
		for name, item := range v {
			clean, nameFound := redactValue(name, key)
			cleanItem, itemFound := redactValue(item, key)
			out[clean.(string)] = cleanItem
			found = found || nameFound || itemFound
		}
		return out, found
	}
	return value, false
}

// redactingWriter writes to w with the API key replaced, also when the key arrives split
// across two writes, such as two stdout outputs. It holds back the end of a write that could
// be the start of the key until the next write or Flush, so Flush must follow the last write.
type redactingWriter struct {
	w       io.Writer
	key     string
	pending []byte
}

// newRedactingWriter returns a writer that removes the key that the redaction rule selects
// for t, or passes everything through when there is none.
func newRedactingWriter(w io.Writer, t *target) *redactingWriter {
	return &redactingWriter{w: w, key: t.redactionKey()}
}

func (r *redactingWriter) Write(p []byte) (int, error) {
	if r.key == "" {
		return r.w.Write(p)
	}
	text := bytes.ReplaceAll(append(r.pending, p...), []byte(r.key), []byte(redacted))
	// Only text after the last replacement can start a new occurrence of the key.
	start := 0
	if i := bytes.LastIndex(text, []byte(redacted)); i >= 0 {
		start = i + len(redacted)
	}
	held := heldBack(text[start:], r.key)
	r.pending = append([]byte(nil), text[len(text)-held:]...)
	if _, err := r.w.Write(text[:len(text)-held]); err != nil {
		return 0, err
	}
	return len(p), nil
}

// Flush writes the text held back.
func (r *redactingWriter) Flush() error {
	if len(r.pending) == 0 {
		return nil
	}
	_, err := r.w.Write(r.pending)
	r.pending = nil
	return err
}

// heldBack returns the length of the longest end of text that is a proper prefix of key.
func heldBack(text []byte, key string) int {
	for n := min(len(key)-1, len(text)); n > 0; n-- {
		if string(text[len(text)-n:]) == key[:n] {
			return n
		}
	}
	return 0
}
