package server

import (
	"errors"
	"io"
	"os"
	"sync"
	"syscall"
)

const (
	// readChunkSize is the buffer size for reading fds 1 and 2.
	readChunkSize = 32 * 1024
	// maxDrainReads bounds one drain, so that a process that writes to fd 1 or 2 without pause
	// cannot hold up the events. Eight reads take 256 KiB, four times the default capacity of
	// a Linux pipe.
	maxDrainReads = 8
)

// errWouldBlock is returned by readNonblocking when the pipe holds no data.
var errWouldBlock = errors.New("read would block")

// streamReader reads fd 1 or 2 of a session's process into the outbox. It reads the pipe with
// non-blocking reads, each scanned and added to the outbox under mu, so that drain can take
// every byte that the pipe holds at one moment.
//
// The event reader calls drain after each read of the event pipe and before it applies the
// events. So output that reached fd 1 or 2 before the driver wrote an event comes before that
// event. An example is the output of a forked child that the code waited for, which comes
// before what the code prints next.
type streamReader struct {
	kind string
	conn syscall.RawConn
	box  *outbox

	mu      sync.Mutex // held while reading the pipe and adding what was read
	scanner markerScanner
	buf     []byte
}

func newStreamReader(kind string, pipe *os.File, box *outbox, secret string) (*streamReader, error) {
	conn, err := pipe.SyscallConn()
	if err != nil {
		return nil, err
	}
	return &streamReader{
		kind:    kind,
		conn:    conn,
		box:     box,
		scanner: markerScanner{prefix: []byte("\x00" + secret)},
		buf:     make([]byte, readChunkSize),
	}, nil
}

// run reads the pipe until end of file or until it is closed, passing the data to the outbox
// and the markers to its progress.
func (r *streamReader) run() {
	for {
		var n int
		var err error
		connErr := r.conn.Read(func(fd uintptr) bool {
			r.mu.Lock()
			defer r.mu.Unlock()
			n, err = readNonblocking(fd, r.buf)
			if errors.Is(err, errWouldBlock) {
				return false // wait until the pipe is readable
			}
			r.add(r.buf[:n])
			return true
		})
		if connErr != nil || err != nil || n == 0 {
			r.mu.Lock()
			if rest := r.scanner.flush(); len(rest) > 0 {
				r.box.add(output{kind: r.kind, text: rest})
			}
			r.mu.Unlock()
			return
		}
	}
}

// drain adds what the pipe holds now, up to maxDrainReads reads, to the outbox. It does not
// wait for the pipe to become readable, and it leaves end of file and errors to run.
func (r *streamReader) drain() {
	_ = r.conn.Control(func(fd uintptr) {
		r.mu.Lock()
		defer r.mu.Unlock()
		for range maxDrainReads {
			n, err := readNonblocking(fd, r.buf)
			if err != nil || n == 0 {
				return
			}
			r.add(r.buf[:n])
		}
	})
}

// add passes chunk without markers to the outbox. The caller holds r.mu.
func (r *streamReader) add(chunk []byte) {
	data, seq, found := r.scanner.scan(chunk)
	if len(data) > 0 {
		r.box.add(output{kind: r.kind, text: data})
	}
	if found {
		r.box.mark(r.kind, seq)
	}
}

// drainingReader reads the event pipe and drains the stream readers after each read, before
// the caller sees the events.
type drainingReader struct {
	events  io.Reader
	streams []*streamReader
}

func (d drainingReader) Read(b []byte) (int, error) {
	n, err := d.events.Read(b)
	if n > 0 {
		for _, s := range d.streams {
			s.drain()
		}
	}
	return n, err
}
