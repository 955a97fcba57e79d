package main

import (
	"context"
	"errors"
	"flag"
	"net/http"
	"path/filepath"
	"slices"
	"strings"

	"github.com/tcikit/tci/validate"
	"github.com/tcikit/tci/wrapper"
)

// execFlags are the flags of "tci exec".
type execFlags struct {
	session string
	file    string
	uploads stringList
	out     string
	json    bool
}

func runExec(c *cli, args []string) error {
	var f execFlags
	fs := newFlagSet("exec")
	fs.StringVar(&f.session, "session", "", "run in the existing session `ID` that an earlier exec printed")
	fs.StringVar(&f.file, "file", "", "read the code from the file at `PATH`, or standard input for -")
	fs.Var(&f.uploads, "upload", "upload the file at `PATH` to the session's working directory under its "+
		"base name before the code runs; repeat for more files")
	fs.StringVar(&f.out, "out", ".", "`directory` for display data such as images, created when "+
		"missing; . is the working directory")
	fs.BoolVar(&f.json, "json", false, "print the response body as JSON instead of the outputs, and save "+
		"display data only when --out is given")
	positional, err := c.parse(fs, args, 1)
	if err != nil {
		return err
	}
	outGiven := isFlagSet(fs, "out")

	code, err := c.readCode(f.file, positional)
	if err != nil {
		return err
	}
	options, err := c.uploadOptions(f.uploads, maxRequestInputBytes-int64(len(code)))
	if err != nil {
		return err
	}
	if f.session != "" {
		options = append(options, wrapper.WithSessionID(f.session))
	}

	t, err := c.resolveTarget(false)
	if err != nil {
		return err
	}
	defer t.close()
	var rec *recorder
	if f.json {
		rec = &recorder{}
	}
	client, err := c.newClient(t, rec)
	if err != nil {
		return err
	}

	result, err := client.Execute(c.ctx, code, options...)
	if err != nil {
		return c.executeError(err, f, t, rec)
	}
	if err := c.showResult(result, f, outGiven, t, rec); err != nil {
		return err
	}
	if result.Err() != nil {
		return silentExit(exitFailed) // the traceback is already on stderr
	}
	return nil
}

// readCode returns the code from --file, the CODE argument, or standard input for "-", at
// most maxRequestInputBytes of it.
func (c *cli) readCode(file string, positional []string) (string, error) {
	source, open := "--file "+file, openFile(file)
	switch {
	case file != "" && len(positional) > 0:
		return "", usageErrorf("both --file and a CODE argument given; give the code once")
	case len(positional) > 0 && positional[0] != "-":
		if len(positional[0]) > maxRequestInputBytes {
			return "", usageErrorf("CODE is larger than %s, the largest request body the reference "+
				"server accepts", formatBytes(maxRequestInputBytes))
		}
		return positional[0], nil
	case len(positional) > 0:
		source, open = "standard input", openReader(c.stdin)
	case file == "":
		return "", usageErrorf(`missing code; pass CODE, --file PATH, or - to read standard input; ` +
			`run "tci exec -h" for usage`)
	}
	data, err := readInput(c.ctx, open, maxRequestInputBytes)
	switch {
	case errors.Is(err, errInputTooLarge):
		return "", usageErrorf("%s: the code is larger than %s, the largest request body the reference "+
			"server accepts", source, formatBytes(maxRequestInputBytes))
	case err != nil && c.ctx.Err() != nil:
		return "", err
	case err != nil && file != "":
		return "", usageErrorf("--file: %v", err)
	case err != nil:
		return "", usageErrorf("read the code from standard input: %v", err)
	}
	return string(data), nil
}

// uploadOptions reads each --upload file into an option that uploads it under its base name.
// The files may hold budget bytes together, what maxRequestInputBytes leaves beside the code.
func (c *cli) uploadOptions(paths []string, budget int64) ([]wrapper.ExecuteOption, error) {
	var options []wrapper.ExecuteOption
	byName := make(map[string]string)
	for _, path := range paths {
		name := filepath.Base(path)
		if earlier, ok := byName[name]; ok {
			return nil, usageErrorf("--upload %s and --upload %s would both be named %q in the session; "+
				"rename one of them", earlier, path, name)
		}
		byName[name] = path
		content, err := readInput(c.ctx, openFile(path), budget)
		switch {
		case errors.Is(err, errInputTooLarge):
			return nil, usageErrorf("--upload %s: the code and the uploads together are larger than %s, "+
				"the largest request body the reference server accepts", path, formatBytes(maxRequestInputBytes))
		case err != nil && c.ctx.Err() != nil:
			return nil, err
		case err != nil:
			return nil, usageErrorf("--upload: %v", err)
		}
		budget -= int64(len(content))
		options = append(options, wrapper.WithFile(name, content))
	}
	return options, nil
}

// executeError maps an error of Execute. An unknown or expired session is a failed
// execution, which the reference server reports as a 404 with the failure shape. Other errors
// of no response type come from invalid arguments, such as a session id with spaces.
func (c *cli) executeError(err error, f execFlags, t *target, rec *recorder) error {
	var (
		apiErr     *wrapper.APIError
		invalidErr *wrapper.InvalidResponseError
		failed     *wrapper.FailedError
	)
	switch {
	case errors.As(err, &apiErr) && isSessionNotFound(apiErr, f.session):
		if f.json {
			_ = c.printJSON(rec.last(), t)
		}
		failed := &wrapper.FailedError{Operation: validate.ExecuteCode, Errors: apiErr.Errors}
		message := failed.Error()
		if t.local != nil {
			message += `; sessions of the local reference server end when tci exits, so run "tci serve" ` +
				"and set TOGETHER_BASE_URL to reuse a session"
		}
		return failedError(errors.New(message))
	case errors.As(err, &failed):
		if f.json {
			_ = c.printJSON(rec.last(), t)
		}
		return err
	case errors.As(err, &apiErr), errors.As(err, &invalidErr), errors.Is(err, context.Canceled):
		return err
	}
	return configError(err, t)
}

// isSessionNotFound reports whether apiErr reports the session of an execute as unknown: a
// 404 whose errors carry the reference server's code session_not_found or, from a server
// whose errors carry no code, a 404 whose messages contain the session id. Any other 404, such
// as the reference server's not_found for a path outside the API, stays a request error, and
// so does every 404 to an execute without a session id.
func isSessionNotFound(apiErr *wrapper.APIError, session string) bool {
	if session == "" || apiErr.StatusCode != http.StatusNotFound || len(apiErr.Errors) == 0 {
		return false
	}
	codes := apiErr.Codes()
	if slices.ContainsFunc(codes, func(code string) bool { return code != "" }) {
		return slices.Contains(codes, "session_not_found")
	}
	return slices.ContainsFunc(apiErr.Messages(), func(message string) bool {
		return strings.Contains(message, session)
	})
}

// stringList is a flag.Value that collects every occurrence of a repeated flag.
type stringList []string

func (l *stringList) String() string { return strings.Join(*l, ", ") }

func (l *stringList) Set(s string) error {
	if s == "" {
		return errors.New("empty path")
	}
	*l = append(*l, s)
	return nil
}

// isFlagSet reports whether the command line set the flag name.
func isFlagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}
