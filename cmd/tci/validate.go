package main

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/tcikit/tci/contract"
)

// validateFlags are the flags of "tci validate".
type validateFlags struct {
	operation string
	status    intValue
	request   bool
	har       string
	json      bool
}

func runValidate(c *cli, args []string) error {
	var f validateFlags
	fs := newFlagSet("validate")
	fs.StringVar(&f.operation, "operation", "", "spec `operation` to judge the body against: an "+
		`operationId such as tci/execute, or "METHOD /path"`)
	fs.Var(&f.status, "status", "status `CODE` of the response (default 200); the spec has a schema "+
		"for 200 only, so judge an error body as 200")
	fs.BoolVar(&f.request, "request", false, "judge a request body instead of a response body")
	fs.StringVar(&f.har, "har", "", "judge every exchange of the HAR 1.2 capture in `FILE`, or standard "+
		"input for -")
	fs.BoolVar(&f.json, "json", false, "print the report as JSON")
	positional, err := c.parse(fs, args, 1)
	if err != nil {
		return err
	}

	report, err := c.validate(fs.Name(), &f, positional, isFlagSet(fs, "status"))
	if err != nil {
		return err
	}
	if f.json {
		err = report.WriteJSON(c.stdout)
	} else {
		err = report.WriteText(c.stdout)
	}
	if err != nil {
		return failedError(fmt.Errorf("write report: %w", err))
	}
	if !report.Valid() {
		return silentExit(exitFailed)
	}
	return nil
}

// validate judges the HAR capture or the body that the flags and arguments name.
func (c *cli) validate(command string, f *validateFlags, positional []string,
	statusSet bool) (*contract.ValidationReport, error) {
	if f.har != "" {
		if f.operation != "" || statusSet || f.request || len(positional) > 0 {
			return nil, usageErrorf("--har judges a whole capture and takes no --operation, --status, " +
				"--request or FILE argument")
		}
		data, err := c.readValidateInput("--har "+f.har, f.har, maxValidateInputBytes)
		if err != nil {
			return nil, err
		}
		report, err := contract.ValidateHAR(bytes.NewReader(data))
		if err != nil {
			return nil, usageErrorf("--har %s: %v", f.har, err)
		}
		return report, nil
	}

	hint := fmt.Sprintf(`run "tci %s -h" for usage`, command)
	switch {
	case f.operation == "":
		return nil, usageErrorf("missing --operation, or --har for a capture; %s", hint)
	case len(positional) == 0:
		return nil, usageErrorf("missing FILE argument; give the file with the body, or - for standard "+
			"input; %s", hint)
	}
	data, err := c.readValidateInput(positional[0], positional[0], maxValidateInputBytes)
	if err != nil {
		return nil, err
	}
	report, err := contract.ValidateBody(bytes.NewReader(data), contract.BodyOptions{
		Operation: f.operation,
		Request:   f.request,
		Status:    int(f.status),
	})
	if err != nil {
		return nil, usageError(err)
	}
	return report, nil
}

// readValidateInput reads the file at path, or standard input for "-", up to limit bytes.
// name is the input as the command line gave it, for errors.
func (c *cli) readValidateInput(name, path string, limit int64) ([]byte, error) {
	open := openFile(path)
	if path == "-" {
		open = openReader(c.stdin)
	}
	data, err := readInput(c.ctx, open, limit)
	switch {
	case errors.Is(err, errInputTooLarge):
		return nil, usageErrorf("%s: larger than %s, the largest input that tci validate reads",
			name, formatBytes(limit))
	case err != nil && c.ctx.Err() != nil:
		return nil, err
	case err != nil:
		return nil, usageError(err)
	}
	return data, nil
}
