// Command extract-spec writes openapi.yaml: the Code Interpreter operations of the upstream
// Together OpenAPI document with every schema they reference, unchanged.
//
//	go run ./cmd/extract-spec -in testdata/together-openapi.yaml -out openapi.yaml
//
// -in takes a file path or an https URL.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/tcikit/tci/internal/specextract"
)

// maxUpstreamSize bounds a downloaded upstream document; the 2026-12 copy is about 460 KB.
const maxUpstreamSize = 32 << 20

func main() {
	in := flag.String("in", "testdata/together-openapi.yaml", "upstream OpenAPI document: a file path or an https URL")
	out := flag.String("out", "openapi.yaml", "file to write the extracted document to")
	flag.Parse()
	if flag.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "extract-spec: unexpected argument %q; pass the input with -in\n", flag.Arg(0))
		os.Exit(2)
	}
	if err := run(*in, *out); err != nil {
		fmt.Fprintf(os.Stderr, "extract-spec: %v\n", err)
		os.Exit(1)
	}
}

func run(in, out string) error {
	upstream, err := read(in)
	if err != nil {
		return err
	}
	doc, err := specextract.Extract(upstream, specextract.Tag)
	if err != nil {
		return fmt.Errorf("%s: %w", in, err)
	}
	return os.WriteFile(out, doc, 0o644)
}

func read(in string) ([]byte, error) {
	if strings.HasPrefix(in, "http://") {
		return nil, fmt.Errorf("input %q uses plain http; use an https URL or a local file", in)
	}
	if !strings.HasPrefix(in, "https://") {
		return os.ReadFile(in)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, in, nil)
	if err != nil {
		return nil, fmt.Errorf("invalid input URL %q: %w", in, err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("download %s: %w", in, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("download %s: status %s", in, resp.Status)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxUpstreamSize+1))
	if err != nil {
		return nil, fmt.Errorf("download %s: %w", in, err)
	}
	if len(body) > maxUpstreamSize {
		return nil, fmt.Errorf("download %s: document is larger than %d bytes", in, maxUpstreamSize)
	}
	return body, nil
}
