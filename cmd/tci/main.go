// Command tci runs code on a Code Interpreter API server, serves the reference server, and
// tests servers and traffic against the API's OpenAPI spec.
//
//	tci exec 'print(sum(range(10)))'      # 45, on a local reference server
//	tci serve                             # prints TOGETHER_BASE_URL=http://127.0.0.1:8080/v1
//	tci check --base-url http://127.0.0.1:8080/v1
//
// Run "tci help" for the commands and "tci COMMAND -h" for the flags of one command.
//
// Without TOGETHER_BASE_URL and TOGETHER_API_KEY, or with --local, exec, sessions and check
// start the reference server in-process on a random loopback port, with a random token, and
// talk to it over HTTP. Its sessions end when the command exits. check does so whenever no
// base URL is set.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/tcikit/tci/wrapper"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	// The first signal cancels ctx. Restoring the default action then lets a second signal
	// stop tci at once, while it waits for a server to drain.
	context.AfterFunc(ctx, stop)
	os.Exit(run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv))
}

// command is a subcommand of tci.
type command struct {
	name    string
	summary string
	run     func(c *cli, args []string) error
}

// commands returns the subcommands in the order "tci help" shows them. It is a function
// because runHelp refers to the list.
func commands() []command {
	return []command{
		{"exec", "run Python code and print its outputs", runExec},
		{"sessions", "list the active sessions", runSessions},
		{"serve", "run the reference server", runServe},
		{"check", "test a server against the spec with named scenarios", runCheck},
		{"validate", "judge a body or a HAR capture against the spec", runValidate},
		{"proxy", "run a proxy that validates the traffic passing through it", runProxy},
		{"version", "print the version", runVersion},
		{"help", "show help for tci or a command", runHelp},
	}
}

// cli is one invocation of tci: its streams, environment and global flags.
type cli struct {
	ctx    context.Context
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	getenv func(string) string
	global globalFlags
}

// run executes the command line args and returns the exit status. It reads the environment
// only through getenv, so that tests can run it in-process with a fake environment.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer,
	getenv func(string) string) int {
	c := &cli{ctx: ctx, stdin: stdin, stdout: stdout, stderr: stderr, getenv: getenv}
	c.global = defaultGlobalFlags()
	return c.exit(c.dispatch(args))
}

// dispatch parses the global flags in front of the command name and runs the command.
func (c *cli) dispatch(args []string) error {
	fs := newFlagSet("tci")
	c.global.register(fs)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return c.printUsage(c.stdout)
		}
		return flagError("", err)
	}
	if fs.NArg() == 0 {
		c.printUsage(c.stderr)
		return usageErrorf(`missing command; run "tci help" for the list of commands`)
	}
	name, rest := fs.Arg(0), fs.Args()[1:]
	for _, cmd := range commands() {
		if cmd.name == name {
			return cmd.run(c, rest)
		}
	}
	return usageErrorf(`unknown command %q; run "tci help" for the list of commands`, name)
}

func runVersion(c *cli, args []string) error {
	fs := newFlagSet("version")
	if _, err := c.parse(fs, args, 0); err != nil {
		return err
	}
	_, err := fmt.Fprintf(c.stdout, "tci %s\n", wrapper.Version)
	return err
}

func runHelp(c *cli, args []string) error {
	fs := newFlagSet("help")
	names, err := c.parse(fs, args, 1)
	if err != nil {
		return err
	}
	if len(names) == 0 {
		return c.printUsage(c.stdout)
	}
	for _, cmd := range commands() {
		if cmd.name == names[0] {
			return cmd.run(c, []string{"-h"})
		}
	}
	return usageErrorf(`unknown command %q; run "tci help" for the list of commands`, names[0])
}
