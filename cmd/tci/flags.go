package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/tcikit/tci/wrapper"
)

// defaultTimeout is the per-attempt timeout of exec and sessions, the wrapper client's
// default, which covers the longest request to a reference server with the default execute
// timeout.
const defaultTimeout = wrapper.DefaultTimeout

// globalFlags are the flags that every command accepts, before or after its name.
type globalFlags struct {
	baseURL          string
	apiKey           string
	validation       string
	local            bool
	maxRetries       int
	timeout          time.Duration
	maxResponseBytes sizeValue
	insecureHTTP     bool
	python           string
}

func defaultGlobalFlags() globalFlags {
	return globalFlags{
		validation:       wrapper.ValidationStrict.String(),
		maxRetries:       wrapper.DefaultMaxRetries,
		timeout:          defaultTimeout,
		maxResponseBytes: wrapper.DefaultMaxResponseBytes,
	}
}

// register defines the global flags on fs with their current values as defaults, so that a
// value given before the command name survives unless the same flag follows it.
func (g *globalFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&g.baseURL, "base-url", g.baseURL,
		"`URL` of the API, such as http://127.0.0.1:8080/v1 (env TOGETHER_BASE_URL)")
	fs.StringVar(&g.apiKey, "api-key", g.apiKey,
		"API `key` sent as a bearer token; prefer the env TOGETHER_API_KEY, which ps cannot show")
	fs.StringVar(&g.validation, "validation", g.validation,
		"`mode` for a response that breaks the spec: strict fails (exit 4), report warns, off skips the check")
	fs.BoolVar(&g.local, "local", g.local,
		"run on a reference server started in-process, even when a base URL or key is set")
	fs.Var((*intValue)(&g.maxRetries), "max-retries",
		"retries of a failed request, 0 to 10, only where repeating it is safe")
	fs.Var((*durationValue)(&g.timeout), "timeout",
		"timeout of each attempt of a request, such as 90s; 0 disables it. check bounds each scenario "+
			"by a positive value instead")
	fs.Var(&g.maxResponseBytes, "max-response-bytes",
		"largest response body, in `BYTES`, that exec and sessions accept")
	fs.BoolVar(&g.insecureHTTP, "insecure-http", g.insecureHTTP,
		"send the API key over plain http:// to a host that is not loopback, where anyone on the "+
			"network path can read it")
	fs.StringVar(&g.python, "python", g.python,
		"Python `interpreter` of the reference server started by tci (env TCI_PYTHON, default python3)")
}

// isGlobalFlag reports whether name is one of the global flags.
func isGlobalFlag(name string) bool {
	fs := newFlagSet("")
	g := defaultGlobalFlags()
	g.register(fs)
	return fs.Lookup(name) != nil
}

// newFlagSet returns a flag set that reports errors to its caller instead of printing them.
func newFlagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return fs
}

// parse parses the flags of command fs, which may come before, between or after the
// positional arguments; "--" ends the flags. It returns the positional arguments, of which
// there may be at most maxArgs. With -h it prints the command's help and returns errHelp.
func (c *cli) parse(fs *flag.FlagSet, args []string, maxArgs int) ([]string, error) {
	c.global.register(fs)
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, c.printCommandUsage(fs)
			}
			return nil, flagError(fs.Name(), err)
		}
		rest := fs.Args()
		if len(rest) == 0 {
			break
		}
		consumed := args[:len(args)-len(rest)]
		if len(consumed) > 0 && consumed[len(consumed)-1] == "--" {
			positional = append(positional, rest...)
			break
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
	if len(positional) > maxArgs {
		return nil, tooManyArguments(fs.Name(), positional, maxArgs)
	}
	return positional, nil
}

func tooManyArguments(command string, positional []string, maxArgs int) error {
	hint := fmt.Sprintf(`run "tci %s -h" for usage`, command)
	if maxArgs == 0 {
		return usageErrorf("%s takes no arguments, got %q; %s", command, positional[0], hint)
	}
	return usageErrorf("%s takes at most %d argument, got %d (%q); quote code that contains spaces; %s",
		command, maxArgs, len(positional), positional, hint)
}

// flagError turns an error of flag.Parse into a usage error with a hint.
func flagError(command string, err error) error {
	if command == "" || command == "tci" {
		return usageErrorf(`%v; run "tci help" for usage`, err)
	}
	return usageErrorf(`%s: %v; run "tci %s -h" for usage`, command, err, command)
}

// durationValue is a flag.Value for a time.Duration whose error names the accepted syntax,
// unlike flag.Duration's "parse error".
type durationValue time.Duration

func (d *durationValue) String() string { return time.Duration(*d).String() }

func (d *durationValue) Set(s string) error {
	v, err := time.ParseDuration(strings.TrimSpace(s))
	if err != nil {
		return errors.New("not a duration; use a number with a unit, such as 90s, 5m or 1h30m")
	}
	if v < 0 {
		return errors.New("negative duration; use 0 or a positive duration such as 90s")
	}
	*d = durationValue(v)
	return nil
}

// sizeValue is a flag.Value for a size in bytes.
type sizeValue int64

func (s *sizeValue) String() string { return strconv.FormatInt(int64(*s), 10) }

func (s *sizeValue) Set(text string) error {
	v, err := strconv.ParseInt(strings.TrimSpace(text), 10, 64)
	if err != nil {
		return errors.New("not a whole number of bytes, such as 50331648 for 48 MiB")
	}
	*s = sizeValue(v)
	return nil
}

// intValue is a flag.Value for an int whose error names the expected input.
type intValue int

func (i *intValue) String() string { return strconv.Itoa(int(*i)) }

func (i *intValue) Set(s string) error {
	v, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil {
		return errors.New("not a whole number")
	}
	*i = intValue(v)
	return nil
}

// writeFlags writes one entry per flag of fs for which include returns true, in the form
// "  --name VALUE\n        usage (default D)".
func writeFlags(w io.Writer, fs *flag.FlagSet, include func(name string) bool) {
	fs.VisitAll(func(f *flag.Flag) {
		if !include(f.Name) {
			return
		}
		name, usage := flag.UnquoteUsage(f)
		switch name {
		case "value":
			name = "N"
			if _, ok := f.Value.(*durationValue); ok {
				name = "DURATION"
			}
		case "":
		default:
			name = strings.ToUpper(name)
		}
		line := "  --" + f.Name
		if name != "" {
			line += " " + name
		}
		if f.DefValue != "" && f.DefValue != "false" && f.DefValue != "0" {
			usage += fmt.Sprintf(" (default %s)", f.DefValue)
		}
		fmt.Fprintf(w, "%s\n        %s\n", line, usage)
	})
}
