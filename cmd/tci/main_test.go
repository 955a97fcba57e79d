package main

import (
	"strings"
	"testing"

	"github.com/tcikit/tci/wrapper"
)

func TestHelpListsCommands(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{"help"}, {"-h"}, {"--help"}, {"--local", "-h"}} {
		o := tci(t, args...)
		o.expectCode(t, exitOK)
		for _, cmd := range commands() {
			if !strings.Contains(o.stdout, "\n  "+cmd.name+" ") {
				t.Errorf("%v: help does not list %s:\n%s", args, cmd.name, o.stdout)
			}
		}
		if o.stderr != "" {
			t.Errorf("%v: stderr = %q, want nothing", args, o.stderr)
		}
	}
}

func TestCommandHelp(t *testing.T) {
	t.Parallel()
	wants := map[string][]string{
		"exec":     {"tci exec [flags] CODE", "--session ID", "--upload PATH", "--out DIRECTORY", "Exit status"},
		"sessions": {"tci sessions [flags]", "--json"},
		"serve": {"--addr ADDRESS", "(default 127.0.0.1:8080)", "--token TOKEN", "TCI_SERVER_TOKEN",
			"--exec-timeout DURATION"},
		"check":    {"--run REGEX", "--json"},
		"validate": {"--operation OPERATION", "--status CODE", "--request", "--har FILE"},
		"proxy": {"--upstream URL", "--listen ADDRESS", "(default 127.0.0.1:8788)", "--mode MODE",
			"--log-format FORMAT", "--max-body-bytes BYTES", "(default 50331648)", "--insecure-upstream"},
		"version": {"tci version"},
		"help":    {"tci help [COMMAND]"},
	}
	for name, want := range wants {
		for _, args := range [][]string{{name, "-h"}, {"help", name}} {
			o := tci(t, args...)
			o.expectCode(t, exitOK)
			global := []string{"Global flags:", "--base-url URL", "--max-retries N", "--timeout DURATION",
				"--max-response-bytes BYTES"}
			for _, w := range append(want, global...) {
				if !strings.Contains(o.stdout, w) {
					t.Errorf("%v: help lacks %q:\n%s", args, w, o.stdout)
				}
			}
		}
	}
}

func TestVersionPrintsWrapperVersion(t *testing.T) {
	t.Parallel()
	o := tci(t, "version")
	o.expectCode(t, exitOK)
	if want := "tci " + wrapper.Version + "\n"; o.stdout != want {
		t.Errorf("stdout = %q, want %q", o.stdout, want)
	}
}

func TestUsageErrorsOneLine(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args []string
		want string
	}{
		{nil, `tci: missing command; run "tci help" for the list of commands`},
		{[]string{"run"}, `tci: unknown command "run"; run "tci help" for the list of commands`},
		{[]string{"--bogus", "exec"}, `tci: flag provided but not defined: -bogus; run "tci help" for usage`},
		{[]string{"sessions", "--bogus"},
			`tci: sessions: flag provided but not defined: -bogus; run "tci sessions -h"`},
		{[]string{"help", "run"}, `tci: unknown command "run"`},
		{[]string{"version", "1"}, `tci: version takes no arguments`},
		{[]string{"--timeout"}, `flag needs an argument: -timeout`},
	}
	for _, tt := range tests {
		o := tci(t, tt.args...)
		o.expectCode(t, exitUsage)
		last := strings.TrimSuffix(o.stderr, "\n")
		if i := strings.LastIndex(last, "\n"); i >= 0 {
			last = last[i+1:] // tci without a command prints the help first
		}
		if !strings.HasPrefix(last, "tci: ") || !strings.Contains(last, tt.want) {
			t.Errorf("%v: last stderr line = %q, want %q", tt.args, last, tt.want)
		}
	}
}

func TestGlobalFlagsBeforeAndAfterCommand(t *testing.T) {
	t.Parallel()
	// The flag after the command name wins over the one before it.
	o := tci(t, "--validation", "bogus", "exec", "--validation", "strict", "--local", "print(1)")
	o.expectCode(t, exitOK)
	if o.stdout != "1\n" {
		t.Errorf("stdout = %q", o.stdout)
	}
	before := tci(t, "--validation", "bogus", "--local", "exec", "print(1)")
	before.expectCode(t, exitUsage)
}

func TestFlagsAfterDoubleDashAreCode(t *testing.T) {
	t.Parallel()
	o := tci(t, "exec", "--", "-1")
	o.expectCode(t, exitOK)
	if o.stdout != "-1\n" {
		t.Errorf("stdout = %q, want the value of the expression -1", o.stdout)
	}
}
