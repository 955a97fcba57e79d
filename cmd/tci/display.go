package main

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"mime"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// extensions maps the MIME types of the spec's display data to file extensions. Types that
// share an extension elsewhere get a longer one here, so that one output's files differ.
var extensions = map[string]string{
	"application/geo+json":             ".geojson",
	"application/javascript":           ".js",
	"application/json":                 ".json",
	"application/pdf":                  ".pdf",
	"application/vnd.vega.v5+json":     ".vega.json",
	"application/vnd.vegalite.v4+json": ".vl.json",
	"image/gif":                        ".gif",
	"image/jpeg":                       ".jpg",
	"image/png":                        ".png",
	"image/svg+xml":                    ".svg",
	"text/html":                        ".html",
	"text/latex":                       ".tex",
	"text/markdown":                    ".md",
	"text/plain":                       ".txt",
}

// maxDisplayNumber bounds the search for a free file name.
const maxDisplayNumber = 100000

// binaryTypes are the MIME types whose payloads the spec sends base64-encoded ("format:
// byte"), which are saved as received. Every other payload is text or JSON, from which the
// API key is removed as from stdout.
var binaryTypes = map[string]bool{
	"application/pdf": true,
	"image/gif":       true,
	"image/jpeg":      true,
	"image/png":       true,
}

// displaySaver saves display data as files display-N.EXT in dir. N is the smallest number
// from the last one used on for which none of an output's files exists yet, so no existing
// file is ever overwritten and the payloads of one output share N.
type displaySaver struct {
	dir    string
	stderr io.Writer
	// target is the server, whose API key text payloads are written without.
	target *target
	next   int
}

// save writes every payload of one display_data output except text/plain, which every
// rich payload repeats as a fallback description.
func (s *displaySaver) save(data map[string][]byte) error {
	types := make([]string, 0, len(data))
	for mimeType := range data {
		if mimeType != "text/plain" {
			types = append(types, mimeType)
		}
	}
	if len(types) == 0 {
		types = append(types, "text/plain")
	}
	slices.Sort(types)
	if err := os.MkdirAll(s.dir, 0o755); err != nil {
		return failedError(fmt.Errorf("--out: %w", err))
	}

	names := fileExtensions(types)
	for n := max(s.next, 1); n <= maxDisplayNumber; n++ {
		files, err := createAll(s.dir, fmt.Sprintf("display-%d", n), names)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return failedError(fmt.Errorf("--out: %w", err))
		}
		s.next = n + 1
		return s.writeAll(files, types, s.redactPayloads(types, data))
	}
	return failedError(fmt.Errorf("--out %s: display-1 to display-%d are all taken; choose another "+
		"directory", s.dir, maxDisplayNumber))
}

// redactPayloads returns the payloads of types with the API key removed from each text or
// JSON payload.
func (s *displaySaver) redactPayloads(types []string, data map[string][]byte) map[string][]byte {
	clean := make(map[string][]byte, len(types))
	for _, mimeType := range types {
		payload := data[mimeType]
		switch {
		case binaryTypes[mimeType] || s.target == nil:
		case mimeType == "application/json" || strings.HasSuffix(mimeType, "+json"):
			payload = s.target.redactJSON(payload, false)
		default:
			payload = []byte(s.target.redact(string(payload)))
		}
		clean[mimeType] = payload
	}
	return clean
}

// writeAll writes each payload to its file and names the file on stderr.
func (s *displaySaver) writeAll(files []*os.File, types []string, data map[string][]byte) error {
	var firstErr error
	for i, f := range files {
		_, err := f.Write(data[types[i]])
		if closeErr := f.Close(); err == nil {
			err = closeErr
		}
		if err != nil {
			firstErr = cmp.Or(firstErr, fmt.Errorf("--out: write %s: %w", f.Name(), err))
			continue
		}
		fmt.Fprintf(s.stderr, "tci: saved %s (%s, %d bytes)\n", f.Name(),
			sanitizeForMessage(types[i]), len(data[types[i]]))
	}
	if firstErr != nil {
		return failedError(firstErr)
	}
	return nil
}

// createAll creates base+ext in dir for every extension, failing with fs.ErrExist when any
// of them exists. It removes the files it created when it fails.
func createAll(dir, base string, exts []string) ([]*os.File, error) {
	var files []*os.File
	for _, ext := range exts {
		f, err := os.OpenFile(filepath.Join(dir, base+ext), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if err != nil {
			for _, created := range files {
				created.Close()
				os.Remove(created.Name())
			}
			return nil, err
		}
		files = append(files, f)
	}
	return files, nil
}

// fileExtensions returns one distinct extension per MIME type, in the order of types.
func fileExtensions(types []string) []string {
	exts := make([]string, len(types))
	used := make(map[string]bool)
	for i, mimeType := range types {
		ext := extensionOf(mimeType)
		if used[ext] {
			ext = fmt.Sprintf(".%d%s", i+1, ext)
		}
		used[ext] = true
		exts[i] = ext
	}
	return exts
}

// extensionOf returns the extension for a MIME type: from the table above, from the system's
// MIME database, or ".bin".
func extensionOf(mimeType string) string {
	if ext, ok := extensions[mimeType]; ok {
		return ext
	}
	if exts, err := mime.ExtensionsByType(mimeType); err == nil && len(exts) > 0 {
		return exts[0]
	}
	return ".bin"
}

// sanitizeForMessage keeps control characters of a MIME type out of the terminal.
func sanitizeForMessage(s string) string {
	return strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f {
			return '?'
		}
		return r
	}, s)
}
