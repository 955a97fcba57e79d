package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"github.com/tcikit/tci/contract"
)

func runCheck(c *cli, args []string) error {
	fs := newFlagSet("check")
	asJSON := fs.Bool("json", false, "print the report as JSON instead of a table")
	pattern := fs.String("run", "", "run only the scenarios whose name matches the regular expression "+
		"`REGEX`, unanchored, such as ^execute/")
	if _, err := c.parse(fs, args, 0); err != nil {
		return err
	}
	options := []contract.CheckOption{contract.WithRun(*pattern)}
	if c.global.timeout > 0 {
		options = append(options, contract.WithScenarioTimeout(c.global.timeout))
	}

	t, err := c.resolveTarget(true)
	if err != nil {
		return err
	}
	defer t.close()
	if t.apiKey != "" {
		options = append(options, contract.WithAPIKey(t.apiKey))
	}
	if c.global.insecureHTTP {
		options = append(options, contract.WithInsecureHTTP())
	}

	report, err := contract.Check(c.ctx, t.baseURL, options...)
	if errors.Is(err, contract.ErrInsecureHTTP) {
		return insecureHTTPError(t.baseURL)
	}
	if err != nil {
		return usageError(err)
	}
	// The reasons of failed scenarios quote responses, which may echo the key.
	var out bytes.Buffer
	if *asJSON {
		err = report.WriteJSON(&out)
	} else {
		err = report.WriteTable(&out)
	}
	text := t.redact(out.String())
	if *asJSON {
		text = withNewline(string(t.redactJSON(out.Bytes(), true)))
	}
	if err == nil {
		_, err = io.WriteString(c.stdout, text)
	}
	if err != nil {
		return failedError(fmt.Errorf("write report: %w", err))
	}

	if c.ctx.Err() != nil {
		return c.ctx.Err()
	}
	if skipped := report.Count(contract.Skip); skipped > 0 && report.Count(contract.Fail) == 0 {
		return failedError(fmt.Errorf("%d selected scenarios skipped; give the server's token with "+
			"--api-key or TOGETHER_API_KEY to run them, or leave them out with --run", skipped))
	}
	if !report.Passed() {
		return silentExit(exitFailed)
	}
	return nil
}
