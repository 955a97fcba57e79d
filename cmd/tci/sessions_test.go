package main

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/tcikit/tci/tcitest"
)

func TestSessionsListsSessionTable(t *testing.T) {
	t.Parallel()
	srv := tcitest.NewServer(t)
	first := tci(t, "--base-url", srv.URL(), "exec", "x = 1")
	first.expectCode(t, exitOK)
	id := sessionOf(t, first)
	tci(t, "--base-url", srv.URL(), "exec", "--session", id, "x += 1").expectCode(t, exitOK)

	o := tci(t, "sessions", "--base-url", srv.URL())
	o.expectCode(t, exitOK)
	lines := strings.Split(strings.TrimSuffix(o.stdout, "\n"), "\n")
	if len(lines) != 2 {
		t.Fatalf("stdout has %d lines, want a header and one session:\n%s", len(lines), o.stdout)
	}
	header := regexp.MustCompile(`^ID\s+EXECUTES\s+STARTED\s+LAST EXECUTE\s+EXPIRES$`)
	if !header.MatchString(lines[0]) {
		t.Errorf("header = %q", lines[0])
	}
	const timestamp = `\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ`
	row := regexp.MustCompile("^" + id + `\s+2\s+` + timestamp + `\s+` + timestamp + `\s+` + timestamp + "$")
	if !row.MatchString(lines[1]) {
		t.Errorf("row = %q, want %s", lines[1], row)
	}
}

func TestSessionsJSON(t *testing.T) {
	t.Parallel()
	srv := tcitest.NewServer(t)
	id := sessionOf(t, tci(t, "--base-url", srv.URL(), "exec", "1"))

	o := tci(t, "--base-url", srv.URL(), "sessions", "--json")
	o.expectCode(t, exitOK)
	var body struct {
		Data struct {
			Sessions []struct {
				ID           string `json:"id"`
				ExecuteCount int    `json:"execute_count"`
			} `json:"sessions"`
		} `json:"data"`
	}
	if err := json.Unmarshal([]byte(o.stdout), &body); err != nil {
		t.Fatalf("stdout is not JSON: %v\n%s", err, o.stdout)
	}
	if len(body.Data.Sessions) != 1 || body.Data.Sessions[0].ID != id || body.Data.Sessions[0].ExecuteCount != 1 {
		t.Errorf("sessions = %+v, want %s with 1 execute", body.Data.Sessions, id)
	}
}

func TestSessionsLocalIsEmpty(t *testing.T) {
	t.Parallel()
	o := tci(t, "sessions")
	o.expectCode(t, exitOK)
	if !strings.HasPrefix(o.stdout, "ID ") || strings.Count(o.stdout, "\n") != 1 {
		t.Errorf("stdout = %q, want the header only", o.stdout)
	}
	if !strings.Contains(o.stderr, "tci: no active sessions\n") {
		t.Errorf("stderr lacks the empty-list line:\n%s", o.stderr)
	}
}

func TestSessionsRejectsArguments(t *testing.T) {
	t.Parallel()
	o := tci(t, "sessions", "extra")
	o.expectCode(t, exitUsage)
	if !strings.Contains(o.stderr, `sessions takes no arguments, got "extra"`) {
		t.Errorf("stderr = %q", o.stderr)
	}
}

func TestSessionsTableEscapesControlCharacters(t *testing.T) {
	t.Parallel()
	url := fakeServer(t, respond(200, "application/json", `{"data":{"sessions":[{"id":"ses_\u001b[2Jx\ty\u0085",`+
		`"execute_count":1,"started_at":"2026-01-01T00:00:00Z","last_execute_at":"2026-01-01T00:00:00Z",`+
		`"expires_at":"2026-01-01T01:00:00Z"}]}}`))
	o := tci(t, "--base-url", url, "sessions")
	o.expectCode(t, exitOK)
	if !strings.Contains(o.stdout, `ses_\x1b[2Jx\x09y\u0085  `) {
		t.Errorf("stdout lacks the escaped id:\n%q", o.stdout)
	}
	if strings.ContainsAny(o.stdout, "\x1b\t\u0085") {
		t.Errorf("stdout has a raw control character:\n%q", o.stdout)
	}
}

func TestSessionsEmptyObjectListsNone(t *testing.T) {
	t.Parallel()
	url := fakeServer(t, respond(200, "application/json", `{}`))
	for _, mode := range []string{"strict", "off"} {
		o := tci(t, "--base-url", url, "--validation", mode, "sessions")
		o.expectCode(t, exitOK)
		if !strings.Contains(o.stderr, "tci: no active sessions") {
			t.Errorf("--validation %s: stderr = %q, want no active sessions", mode, o.stderr)
		}
	}
}
