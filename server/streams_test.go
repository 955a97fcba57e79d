package server

import (
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"strings"
	"testing"

	"github.com/tcikit/tci/generated"
)

func TestEventsFollowEarlierStreamOutput(t *testing.T) {
	t.Parallel()
	box := newOutbox(DefaultMaxOutputBytes)
	eventsRead, eventsWrite, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer eventsRead.Close()
	stdoutRead, stdoutWrite, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer stdoutRead.Close()
	stream, err := newStreamReader(outputStdout, stdoutRead, box, strings.Repeat("ab", 16))
	if err != nil {
		t.Fatal(err)
	}

	// A forked child writes to fd 1 and exits, then the driver writes an event. The stream
	// reader's goroutine does not run here, as if the scheduler had not woken it yet, so only
	// the drain before the event can put the child's output first.
	if _, err := io.WriteString(stdoutWrite, "child\n"); err != nil {
		t.Fatal(err)
	}
	if _, err := io.WriteString(eventsWrite, `{"type":"stdout","data":"parent\n"}`+"\n"); err != nil {
		t.Fatal(err)
	}
	stdoutWrite.Close()
	eventsWrite.Close()
	p := &interpreter{box: box, logger: slog.New(slog.DiscardHandler)}
	p.readers.Add(1)
	p.readEvents(drainingReader{events: eventsRead, streams: []*streamReader{stream}})

	outputs := box.take()
	if len(outputs) != 1 {
		t.Fatalf("got %d outputs, want one stdout output", len(outputs))
	}
	var got generated.StreamOutput
	if err := json.Unmarshal(outputs[0], &got); err != nil {
		t.Fatal(err)
	}
	if want := "child\nparent\n"; got.Data != want {
		t.Errorf("stdout = %q, want %q", got.Data, want)
	}
}
