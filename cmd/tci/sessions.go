package main

import (
	"errors"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/tcikit/tci/wrapper"
)

func runSessions(c *cli, args []string) error {
	fs := newFlagSet("sessions")
	asJSON := fs.Bool("json", false, "print the response body as JSON instead of a table")
	if _, err := c.parse(fs, args, 0); err != nil {
		return err
	}
	t, err := c.resolveTarget(false)
	if err != nil {
		return err
	}
	defer t.close()
	var rec *recorder
	if *asJSON {
		rec = &recorder{}
	}
	client, err := c.newClient(t, rec)
	if err != nil {
		return err
	}

	sessions, err := client.ListSessions(c.ctx)
	var failed *wrapper.FailedError
	if *asJSON && (err == nil || errors.As(err, &failed)) {
		if printErr := c.printJSON(rec.last(), t); printErr != nil {
			return printErr
		}
	}
	if err != nil || *asJSON {
		return err
	}
	return c.writeSessionTable(sessions, t)
}

// writeSessionTable writes one row per session, times in RFC 3339 as the server sent them.
// Control characters in an id are escaped, so that a server cannot send escape sequences to
// the terminal or break the columns with a tab or a line break.
func (c *cli) writeSessionTable(sessions []wrapper.Session, t *target) error {
	table := tabwriter.NewWriter(c.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(table, "ID\tEXECUTES\tSTARTED\tLAST EXECUTE\tEXPIRES")
	for _, s := range sessions {
		fmt.Fprintf(table, "%s\t%d\t%s\t%s\t%s\n", escapeControl(t.redact(s.ID)), s.ExecuteCount,
			s.StartedAt.Format(time.RFC3339), s.LastExecuteAt.Format(time.RFC3339),
			s.ExpiresAt.Format(time.RFC3339))
	}
	if err := table.Flush(); err != nil {
		return failedError(fmt.Errorf("write output: %w", err))
	}
	if len(sessions) == 0 {
		fmt.Fprintln(c.stderr, "tci: no active sessions")
	}
	return nil
}
