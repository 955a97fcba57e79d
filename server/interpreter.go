package server

import (
	"bufio"
	"crypto/rand"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/tcikit/tci/generated"
)

//go:embed driver.py
var driverSource string

// bootstrap is the -c program of a session's Python process: it runs the driver sent on
// standard input.
const bootstrap = "import sys; exec(compile(sys.stdin.buffer.read(), 'tci-driver', 'exec'))"

const (
	// markerGrace bounds the wait for the markers after the driver reports an execute done.
	// The driver writes them through descriptors of its own, so a marker is late only when
	// user code closed such a descriptor and a file it opened got the same number.
	markerGrace = 2 * time.Second
	// drainGrace bounds the wait for the pipes to reach end of file after the process exits.
	// Only a descendant that left the process group can hold them open longer.
	drainGrace = 500 * time.Millisecond
	// maxTextEventBytes bounds the event line of a text output: the driver sends at most
	// 256 Ki characters per event, each at most 12 bytes as JSON (a surrogate pair of \uXXXX
	// escapes). Event lines up to the output limit plus this size are read, so that a text
	// event is always read and can be cut to fit the limit.
	maxTextEventBytes = 4 << 20
)

// interpreter is one Python process running the driver in a session directory.
type interpreter struct {
	cmd      *exec.Cmd
	commands *os.File // write end of the driver's fd 3
	pipes    []*os.File
	box      *outbox
	secret   string
	seq      int64
	logger   *slog.Logger

	invalidEvents int64 // event lines that were not valid events; used by readEvents only

	readers   sync.WaitGroup
	closeOnce sync.Once
	exited    chan struct{} // closed once the process has been waited for
	exitErr   error         // the result of cmd.Wait, set before exited is closed
}

// interpreterConfig holds what startInterpreter needs to start a session's process.
type interpreterConfig struct {
	python         string // absolute path of the interpreter
	dir            string // working directory
	env            []string
	maxOutputBytes int64
	serverPID      int // pid of the server; the driver kills its process group when it dies
	logger         *slog.Logger
}

// outcome is the way an execute ended: finished, timed out or cut off by the process exiting.
type outcome int

const (
	outcomeDone     outcome = iota // the driver finished the code
	outcomeTimedOut                // the timeout passed and the process group was killed
	outcomeExited                  // the process exited or was killed during the execute
)

// startInterpreter starts the driver in a process group of its own, with fds 1 and 2 and the two
// protocol pipes connected to the server.
func startInterpreter(cfg interpreterConfig) (*interpreter, error) {
	secret := make([]byte, 16)
	if _, err := rand.Read(secret); err != nil {
		return nil, fmt.Errorf("generate marker secret: %w", err)
	}
	p := &interpreter{
		box:    newOutbox(cfg.maxOutputBytes),
		secret: hex.EncodeToString(secret),
		logger: cfg.logger,
		exited: make(chan struct{}),
	}

	// The child gets the read end of commands as fd 3 and the write ends of events, stdout and
	// stderr as fds 4, 1 and 2. The parent closes its copies of those ends after the start.
	commandsRead, commandsWrite, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("create command pipe: %w", err)
	}
	ends := []*os.File{commandsRead, commandsWrite}
	closeAll := func() {
		for _, f := range ends {
			f.Close()
		}
	}
	var reads, writes [3]*os.File
	for i := range reads {
		reads[i], writes[i], err = os.Pipe()
		if err != nil {
			closeAll()
			return nil, fmt.Errorf("create output pipe: %w", err)
		}
		ends = append(ends, reads[i], writes[i])
	}
	eventsWrite, stdoutWrite, stderrWrite := writes[0], writes[1], writes[2]
	var streams []*streamReader
	for i, kind := range []string{outputStdout, outputStderr} {
		stream, err := newStreamReader(kind, reads[i+1], p.box, p.secret)
		if err != nil {
			closeAll()
			return nil, fmt.Errorf("read output pipe: %w", err)
		}
		streams = append(streams, stream)
	}

	// The driver kills its process group when the server, whose pid it gets as its argument,
	// dies, even if that happens before the driver runs. Linux's Pdeathsig would kill only the
	// driver and leave what the code started, and it fires when the OS thread that started the
	// process exits, which the Go runtime may do while the server lives.
	cmd := exec.Command(cfg.python, "-I", "-X", "utf8=1", "-c", bootstrap, strconv.Itoa(cfg.serverPID))
	cmd.Dir = cfg.dir
	cmd.Env = cfg.env
	cmd.Stdin = strings.NewReader(driverSource)
	cmd.Stdout = stdoutWrite
	cmd.Stderr = stderrWrite
	cmd.ExtraFiles = []*os.File{commandsRead, eventsWrite}
	cmd.SysProcAttr = newProcessGroup()
	if err := cmd.Start(); err != nil {
		closeAll()
		return nil, fmt.Errorf("start %s: %w", cfg.python, err)
	}
	for _, f := range []*os.File{commandsRead, eventsWrite, stdoutWrite, stderrWrite} {
		f.Close()
	}
	p.cmd, p.commands = cmd, commandsWrite
	p.pipes = reads[:]

	p.readers.Add(3)
	go p.readEvents(drainingReader{events: reads[0], streams: streams})
	for _, stream := range streams {
		go func() {
			defer p.readers.Done()
			stream.run()
		}()
	}
	go func() {
		err := cmd.Wait()
		// Kill what the process left behind right after reaping it. From now on its pid may be
		// reused, so nothing signals the group again.
		if err := killProcessGroup(cmd.Process.Pid); err != nil {
			p.logger.Error("kill python process group failed", "pid", cmd.Process.Pid, "error", err)
		}
		p.exitErr = err
		close(p.exited)
	}()
	return p, nil
}

// pid returns the process id of the driver, which is also its process group id.
func (p *interpreter) pid() int { return p.cmd.Process.Pid }

// hasExited reports whether the process has exited and been waited for.
func (p *interpreter) hasExited() bool {
	select {
	case <-p.exited:
		return true
	default:
		return false
	}
}

// command is one line sent to the driver on fd 3.
type command struct {
	Seq    int64  `json:"seq"`
	Code   string `json:"code"`
	Marker string `json:"marker"`
}

// execute runs code in the driver and returns its outputs and how it ended. On a timeout the
// whole process group is killed. The caller must not run two executes at once.
func (p *interpreter) execute(code string, timeout time.Duration) ([]json.RawMessage, outcome) {
	p.seq++
	line, err := json.Marshal(command{Seq: p.seq, Code: code, Marker: marker(p.secret, p.seq)})
	if err != nil {
		panic("server: encode command: " + err.Error())
	}
	deadline := time.Now().Add(timeout)
	if err := p.send(append(line, '\n'), deadline); err != nil {
		if errors.Is(err, os.ErrDeadlineExceeded) {
			return p.kill(), outcomeTimedOut
		}
		p.logger.Debug("send command to python failed", "pid", p.pid(), "error", err)
		return p.waitExit(), outcomeExited
	}

	timer := time.NewTimer(time.Until(deadline))
	defer timer.Stop()
	var grace <-chan time.Time
	for {
		done, synced := p.box.progress(p.seq)
		if synced {
			return p.box.take(), outcomeDone
		}
		if done && grace == nil {
			grace = time.After(markerGrace)
		}
		select {
		case <-p.box.changed:
		case <-grace:
			p.logger.Debug("execute markers did not arrive", "pid", p.pid(), "seq", p.seq)
			return p.box.take(), outcomeDone
		case <-timer.C:
			return p.kill(), outcomeTimedOut
		case <-p.exited:
			return p.waitExit(), outcomeExited
		}
	}
}

// send writes a command to the driver, giving up at deadline.
func (p *interpreter) send(line []byte, deadline time.Time) error {
	if err := p.commands.SetWriteDeadline(deadline); err != nil {
		return err
	}
	_, err := p.commands.Write(line)
	return err
}

// kill kills the process group, waits for the process and returns the outputs collected.
func (p *interpreter) kill() []json.RawMessage {
	p.signalGroup()
	return p.waitExit()
}

// signalGroup sends SIGKILL to the process group unless the process has been reaped already.
// An unreaped process keeps its pid, and so the group id, from being reused.
func (p *interpreter) signalGroup() {
	select {
	case <-p.exited:
		return
	default:
	}
	if err := killProcessGroup(p.pid()); err != nil {
		p.logger.Error("kill python process group failed", "pid", p.pid(), "error", err)
	}
}

// waitExit waits for the process to exit, reads what remains in the pipes and returns the
// outputs collected.
func (p *interpreter) waitExit() []json.RawMessage {
	<-p.exited
	p.closeOnce.Do(p.closePipes)
	return p.box.take()
}

// stop kills the process group and releases the pipes. It leaves the outputs in the outbox for
// an execute that the stop cuts off. It is safe to call more than once and after the process
// has exited.
func (p *interpreter) stop() {
	p.signalGroup()
	<-p.exited
	p.closeOnce.Do(p.closePipes)
}

// closePipes waits up to drainGrace for the readers to reach end of file, then closes the
// parent's pipe ends, which ends any reader still blocked.
func (p *interpreter) closePipes() {
	drained := make(chan struct{})
	go func() {
		p.readers.Wait()
		close(drained)
	}()
	select {
	case <-drained:
	case <-time.After(drainGrace):
	}
	p.commands.Close()
	for _, f := range p.pipes {
		f.Close()
	}
	<-drained
}

// exitStatus describes how the process ended, for error outputs and logs.
func (p *interpreter) exitStatus() string {
	var exitErr *exec.ExitError
	switch {
	case p.exitErr == nil:
		return "exit status 0"
	case errors.As(p.exitErr, &exitErr):
		return exitErr.ProcessState.String()
	default:
		return p.exitErr.Error()
	}
}

// driverEvent is one line that the driver writes on fd 4.
type driverEvent struct {
	Type   string          `json:"type"`
	Data   json.RawMessage `json:"data"`
	Seq    int64           `json:"seq"`
	Marked []string        `json:"marked"`
}

// readEvents reads the driver's events until end of file.
func (p *interpreter) readEvents(r io.Reader) {
	defer p.readers.Done()
	lines := bufio.NewReaderSize(r, 64*1024)
	limit := p.box.limit + maxTextEventBytes
	for {
		line, err := readLine(lines, limit)
		var tooLong *lineTooLongError
		if errors.As(err, &tooLong) {
			p.box.drop(tooLong.size)
			continue
		}
		if len(line) > 0 {
			p.handleEvent(line)
		}
		if err != nil {
			if !errors.Is(err, io.EOF) && !errors.Is(err, os.ErrClosed) {
				p.logger.Debug("read python events failed", "pid", p.pid(), "error", err)
			}
			return
		}
	}
}

// lineTooLongError reports a line longer than the limit given to readLine.
type lineTooLongError struct {
	size int64 // length of the discarded line
}

func (e *lineTooLongError) Error() string {
	return fmt.Sprintf("event line of %d bytes is too long", e.size)
}

// readLine reads one line of at most limit bytes. A longer line is read to its end and
// discarded, and readLine returns a *lineTooLongError with no line.
func readLine(r *bufio.Reader, limit int64) ([]byte, error) {
	var line []byte
	var size int64
	for {
		chunk, err := r.ReadSlice('\n')
		size += int64(len(chunk))
		if size <= limit {
			line = append(line, chunk...)
		} else {
			line = nil
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if size > limit && err == nil {
			return nil, &lineTooLongError{size: size}
		}
		return line, err
	}
}

// handleEvent passes one event line to the outbox. A line that is not a valid event becomes a
// stderr output with the line's bytes, so that no output is lost, and is logged. Only code that
// writes to the driver's event descriptor itself can produce such a line.
func (p *interpreter) handleEvent(line []byte) {
	problem := p.applyEvent(line)
	if problem == "" {
		return
	}
	p.box.add(output{kind: outputStderr, text: line})
	p.invalidEvents++
	// Logging the 1st, 10th, 100th and so on keeps code that writes such lines in a loop from
	// flooding the log. The record never holds the line, which is user output.
	if isPowerOfTen(p.invalidEvents) {
		p.logger.Warn("invalid python event passed on as stderr output",
			"pid", p.pid(), "problem", problem, "bytes", len(line), "count", p.invalidEvents)
	}
}

// applyEvent decodes an event line and applies it to the outbox. It returns what is wrong with a
// line that it cannot apply, or "".
func (p *interpreter) applyEvent(line []byte) (problem string) {
	var event driverEvent
	if err := json.Unmarshal(line, &event); err != nil {
		return "not a JSON object"
	}
	switch event.Type {
	case outputStdout, outputStderr, outputError:
		var text string
		if err := json.Unmarshal(event.Data, &text); err != nil {
			return "data of a text event is not a string"
		}
		p.box.add(output{kind: event.Type, text: []byte(text)})
	case outputExecuteResult, outputDisplayData:
		// Decoding into the API type drops MIME types that the API does not declare and checks
		// the rest, such as the base64 of image/png.
		var bundle generated.MIMEBundle
		if err := json.Unmarshal(event.Data, &bundle); err != nil {
			return "data of a display event is not a MIME bundle"
		}
		data, err := encodeJSON(bundle)
		if err != nil {
			return "MIME bundle does not encode"
		}
		p.box.add(output{kind: event.Type, data: data})
	case "done":
		p.box.done(event.Seq, event.Marked)
	default:
		return "unknown event type"
	}
	return ""
}

// isPowerOfTen reports whether n is 1, 10, 100 and so on.
func isPowerOfTen(n int64) bool {
	for n >= 10 && n%10 == 0 {
		n /= 10
	}
	return n == 1
}
