package main

import (
	"flag"
	"fmt"
	"io"
)

// commandHelp is the help of one command: its synopsis lines and a description that follows
// them, before the flags.
type commandHelp struct {
	synopsis    string
	description string
}

var helps = map[string]commandHelp{
	"exec": {
		synopsis: "tci exec [flags] CODE\n  tci exec [flags] --file PATH\n  tci exec [flags] -",
		description: `Runs Python code on the server and prints its outputs in the order the code produced them:
stdout outputs and the value of a trailing expression go to stdout, stderr outputs and the
traceback of an exception go to stderr. Display data, such as matplotlib figures, and the
images of a trailing expression's value are saved as files display-N.EXT in --out, with N
chosen so that no existing file is overwritten, and each saved name is printed on stderr.
The last line on stderr names the session, for --session.

"-" reads the code from standard input. The code and the --upload files may be at most 32 MiB
together, the largest request body the reference server accepts.

Exit status:
  0    success
  1    the code raised an exception, the execution failed (such as an unknown session), or
       the code ran but writing its outputs to stdout, stderr or --out failed; the session
       line then still follows the error
  2    invalid usage or input
  3    the request failed: no connection, a status outside 2xx, or the local reference
       server could not start
  4    the response breaks the spec or cannot be decoded
  130  interrupted`,
	},
	"sessions": {
		synopsis: "tci sessions [flags]",
		description: `Lists the active sessions: id, executes run, start, last execute and expiry. Times are in
the time zone the server sent. The local reference server started without a base URL has
no sessions, because sessions end with the command that started them.

Exit status as for exec.`,
	},
	"serve": {
		synopsis: "tci serve [flags]",
		description: `Runs the reference server, which executes code in local Python processes, and prints the
base URL for clients on stdout, as TOGETHER_BASE_URL=http://HOST:PORT/v1. Logs go to
stderr. SIGINT or SIGTERM stops it: running requests finish first, then every session is
killed. The wait is about twice the execute timeout at most, because an execute may wait up to
the execute timeout for its session's turn, after which it gets 409 session_busy, and then run
as long. A second signal stops it at once.

The token comes from --token or TCI_SERVER_TOKEN; clients send it as their API key. A
server without a token must listen on a loopback address, because anyone who can reach it
can run code as this user. The server isolates sessions from one another, not from this
machine: serve only code you would run yourself.

Exit status: 0 stopped by a signal, 1 the server could not start, 2 invalid usage.`,
	},
	"check": {
		synopsis: "tci check [flags]",
		description: `Runs named scenarios against a server and validates every response against the spec.
Without --base-url and TOGETHER_BASE_URL, or with --local, it checks the reference server,
started in-process with a random token that it also uses as the API key, so that the auth
scenarios run. Scenarios that need a key are skipped without one.

Exit status: 0 every selected scenario passed, 1 a scenario failed or was skipped,
2 invalid usage, 130 interrupted.`,
	},
	"validate": {
		synopsis: "tci validate --operation OPERATION [--status CODE] [--request] FILE|-\n" +
			"  tci validate --har FILE|-",
		description: `Judges one request or response body, or every exchange of a HAR 1.2 capture, against the
spec. OPERATION is an operationId (tci/execute, sessions/list) or "METHOD /path". "-" reads
standard input. A body or capture may be at most 256 MiB.

Exit status: 0 valid, 1 violations found, 2 invalid usage or input that cannot be judged.`,
	},
	"proxy": {
		synopsis: "tci proxy --upstream URL [flags]",
		description: `Runs a reverse proxy to the upstream server that validates the requests and responses of
the API's operations as they pass and logs each violation on stderr. Report mode forwards
everything and adds the header Tci-Contract-Violations; enforce mode rejects a violating
request with 400 and replaces a violating response with a 502. Bodies above --max-body-bytes
are forwarded unvalidated in report mode and rejected in enforce mode. The base URL for
clients is printed on stdout. The upstream URL's path is put in front of each request's path.

The proxy forwards each client's Authorization header, so it rejects a plain http://
upstream that is not a loopback address unless --insecure-upstream allows it.

Exit status: 0 stopped by a signal, 1 the proxy could not start, 2 invalid usage.`,
	},
	"version": {synopsis: "tci version", description: "Prints the version of tci."},
	"help":    {synopsis: "tci help [COMMAND]", description: "Shows help for tci or for one command."},
}

// printUsage writes the help of tci itself.
func (c *cli) printUsage(w io.Writer) error {
	fmt.Fprint(w, `tci runs Python code on a Code Interpreter API server, serves the reference server, and
tests servers and traffic against the API's OpenAPI spec.

Usage:
  tci [global flags] COMMAND [flags] [arguments]

Commands:
`)
	for _, cmd := range commands() {
		fmt.Fprintf(w, "  %-9s %s\n", cmd.name, cmd.summary)
	}
	fmt.Fprint(w, "\nGlobal flags, accepted before or after the command:\n")
	writeGlobalFlags(w)
	_, err := fmt.Fprint(w, `
exec, sessions and check talk to the server at --base-url or TOGETHER_BASE_URL. Without a
base URL and an API key, or with --local, they start the reference server in-process on a
random loopback port and say so on stderr; its sessions end when the command exits. With a
key but no base URL, exec and sessions use the spec's server, where the hosted service was
removed in 2026-09, and check starts the local reference server.

A server could echo the API key, so tci replaces it with [REDACTED] in the program output,
JSON bodies, check reports, session ids and text display files it writes, also where the key
is JSON-escaped. A key shorter than 8 bytes is left in place, because replacing it would
corrupt ordinary text, and a key shorter than 16 bytes gets a warning.

Run "tci COMMAND -h" for the flags of a command.
`)
	return err
}

// printCommandUsage writes the help of the command that fs parses to stdout and returns
// errHelp.
func (c *cli) printCommandUsage(fs *flag.FlagSet) error {
	help := helps[fs.Name()]
	w := c.stdout
	fmt.Fprintf(w, "Usage:\n  %s\n\n%s\n", help.synopsis, help.description)
	own := false
	fs.VisitAll(func(f *flag.Flag) { own = own || !isGlobalFlag(f.Name) })
	if own {
		fmt.Fprint(w, "\nFlags:\n")
		writeFlags(w, fs, func(name string) bool { return !isGlobalFlag(name) })
	}
	fmt.Fprint(w, "\nGlobal flags:\n")
	writeGlobalFlags(w)
	return errHelp
}

// writeGlobalFlags writes the global flags with their defaults, never with values from the
// command line, which may include the API key.
func writeGlobalFlags(w io.Writer) {
	fs := newFlagSet("")
	g := defaultGlobalFlags()
	g.register(fs)
	writeFlags(w, fs, func(string) bool { return true })
}
