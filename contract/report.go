package contract

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
)

// Outcome is the result of one scenario.
type Outcome string

// The outcomes of a scenario.
const (
	Pass Outcome = "pass"
	Fail Outcome = "fail"
	// Skip means that the scenario did not run. Result.Reason gives the cause.
	Skip Outcome = "skip"
)

// Result is the outcome of one scenario.
type Result struct {
	Scenario string
	Outcome  Outcome
	Duration time.Duration
	// Violations lists every way the server's responses broke the spec during the scenario.
	Violations []Violation
	// Reason is one line saying why the scenario failed or was skipped, empty when it passed.
	Reason string
}

// CheckReport is the outcome of Check: one result per selected scenario, in the order they
// ran.
type CheckReport struct {
	BaseURL  string
	Results  []Result
	Duration time.Duration
}

// Passed reports whether no selected scenario failed. Skipped scenarios do not count as
// failures, because they skip only for a missing input, such as an API key, that the results
// name.
func (r *CheckReport) Passed() bool {
	for _, result := range r.Results {
		if result.Outcome == Fail {
			return false
		}
	}
	return true
}

// Count returns how many scenarios ended with outcome.
func (r *CheckReport) Count(outcome Outcome) int {
	n := 0
	for _, result := range r.Results {
		if result.Outcome == outcome {
			n++
		}
	}
	return n
}

// WriteTable writes the report for a terminal: a table with one row per scenario (scenario,
// result, duration, violations, reason), then every violation on its own line under the name of
// its scenario, then a summary line.
func (r *CheckReport) WriteTable(w io.Writer) error {
	var rows bytes.Buffer
	table := tabwriter.NewWriter(&rows, 0, 0, 2, ' ', 0)
	fmt.Fprintln(table, "SCENARIO\tRESULT\tDURATION\tVIOLATIONS\tREASON")
	for _, result := range r.Results {
		fmt.Fprintf(table, "%s\t%s\t%s\t%d\t%s\n", result.Scenario, result.Outcome,
			roundDuration(result.Duration), len(result.Violations), result.Reason)
	}
	table.Flush()
	// The padding of an empty last column would leave trailing spaces.
	for line := range strings.Lines(rows.String()) {
		if _, err := io.WriteString(w, strings.TrimRight(line, " \n")+"\n"); err != nil {
			return err
		}
	}

	for _, result := range r.Results {
		if len(result.Violations) == 0 {
			continue
		}
		fmt.Fprintf(w, "\n%s:\n", result.Scenario)
		for _, v := range result.Violations {
			fmt.Fprintf(w, "  %s\n", v)
		}
	}
	_, err := fmt.Fprintf(w, "\n%d passed, %d failed, %d skipped in %s against %s\n",
		r.Count(Pass), r.Count(Fail), r.Count(Skip), roundDuration(r.Duration), r.BaseURL)
	return err
}

// jsonReport is the JSON form of a CheckReport, with durations in milliseconds.
type jsonReport struct {
	BaseURL    string       `json:"base_url"`
	Passed     bool         `json:"passed"`
	DurationMS float64      `json:"duration_ms"`
	Results    []jsonResult `json:"results"`
}

type jsonResult struct {
	Scenario   string      `json:"scenario"`
	Result     Outcome     `json:"result"`
	DurationMS float64     `json:"duration_ms"`
	Violations []Violation `json:"violations"`
	Reason     string      `json:"reason,omitempty"`
}

// WriteJSON writes the report as one indented JSON object with the fields base_url, passed,
// duration_ms and results. Each result has the fields scenario, result, duration_ms,
// violations and reason.
func (r *CheckReport) WriteJSON(w io.Writer) error {
	out := jsonReport{
		BaseURL:    r.BaseURL,
		Passed:     r.Passed(),
		DurationMS: milliseconds(r.Duration),
		Results:    make([]jsonResult, 0, len(r.Results)),
	}
	for _, result := range r.Results {
		violations := result.Violations
		if violations == nil {
			violations = []Violation{}
		}
		out.Results = append(out.Results, jsonResult{
			Scenario:   result.Scenario,
			Result:     result.Outcome,
			DurationMS: milliseconds(result.Duration),
			Violations: violations,
			Reason:     result.Reason,
		})
	}
	encoder := json.NewEncoder(w)
	encoder.SetIndent("", "  ")
	return encoder.Encode(out)
}

func milliseconds(d time.Duration) float64 {
	return float64(d.Microseconds()) / 1000
}

// roundDuration rounds d for display: to milliseconds above one millisecond.
func roundDuration(d time.Duration) time.Duration {
	if d > time.Millisecond {
		return d.Round(time.Millisecond)
	}
	return d.Round(time.Microsecond)
}
