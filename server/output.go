package server

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"sync"

	"github.com/tcikit/tci/generated"
)

// Output types as the API names them.
const (
	outputStdout        = string(generated.StreamOutputTypeStdout)
	outputStderr        = string(generated.StreamOutputTypeStderr)
	outputError         = string(generated.ErrorOutputTypeError)
	outputExecuteResult = string(generated.DisplayOrExecuteOutputTypeExecuteResult)
	outputDisplayData   = string(generated.DisplayOrExecuteOutputTypeDisplayData)
)

// output is one output of an execute before it is encoded for the response. Streams and errors
// keep their raw bytes in text, so that a UTF-8 sequence split across two reads of a pipe is
// joined again before the text is made valid UTF-8. Display types keep the JSON of their MIME
// bundle in data.
type output struct {
	kind string
	text []byte
	data []byte
}

// outbox collects the outputs of a session's process as they arrive from its three pipes. It
// also records the progress of the current execute: the seq of the last "done" event and of the
// last marker seen on each of fds 1 and 2.
type outbox struct {
	mu       sync.Mutex
	outputs  []output
	size     int64 // bytes of outputs held
	limit    int64 // maximum size; later outputs are dropped and counted
	dropped  int64
	full     bool // a text output was cut at the limit, so later outputs are dropped
	doneSeq  int64
	marked   []string // streams the driver wrote the marker of doneSeq to
	markSeqs map[string]int64
	changed  chan struct{} // receives a value after every change; capacity 1
}

func newOutbox(limit int64) *outbox {
	return &outbox{
		limit:    limit,
		markSeqs: map[string]int64{},
		changed:  make(chan struct{}, 1),
	}
}

func (b *outbox) notify() {
	select {
	case b.changed <- struct{}{}:
	default:
	}
}

// add appends an output within the size limit, which counts the bytes that outputs take in the
// JSON of the response, where a control character takes up to six. A text output that passes
// the limit is cut at a character boundary, and every later output is dropped until take. A
// display output that does not fit is dropped whole. The outbox counts the bytes it drops. An
// output of a stream right after one of the same stream costs no envelope, because take merges
// them.
func (b *outbox) add(o output) {
	b.mu.Lock()
	b.addLocked(o)
	b.mu.Unlock()
	b.notify()
}

func (b *outbox) addLocked(o output) {
	if b.full {
		b.dropped += int64(len(o.text) + len(o.data))
		return
	}
	var envelope int64
	if n := len(b.outputs); n == 0 || !isStream(o.kind) || b.outputs[n-1].kind != o.kind {
		envelope = outputEnvelope(o.kind)
	}
	room := b.limit - b.size - envelope

	if !isText(o.kind) {
		if int64(len(o.data)) > room {
			b.dropped += int64(len(o.data))
			return
		}
		b.size += envelope + int64(len(o.data))
		b.outputs = append(b.outputs, o)
		return
	}
	n, size := jsonStringPrefix(o.text, max(room, 0))
	if n < len(o.text) {
		b.full = true
		b.dropped += int64(len(o.text) - n)
		o.text = o.text[:n]
	}
	if n > 0 {
		b.size += envelope + size
		b.outputs = append(b.outputs, o)
	}
}

// drop counts size bytes of output as dropped.
func (b *outbox) drop(size int64) {
	b.mu.Lock()
	b.dropped += size
	b.mu.Unlock()
	b.notify()
}

func (b *outbox) done(seq int64, marked []string) {
	b.mu.Lock()
	b.doneSeq, b.marked = seq, marked
	b.mu.Unlock()
	b.notify()
}

func (b *outbox) mark(stream string, seq int64) {
	b.mu.Lock()
	b.markSeqs[stream] = max(b.markSeqs[stream], seq)
	b.mu.Unlock()
	b.notify()
}

// progress reports whether the driver has finished execute seq and whether every marker it wrote
// for seq has been read back from its pipe.
func (b *outbox) progress(seq int64) (done, synced bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.doneSeq < seq {
		return false, false
	}
	for _, stream := range b.marked {
		if b.markSeqs[stream] < seq {
			return true, false
		}
	}
	return true, true
}

// take removes the collected outputs and returns them as the JSON of API outputs. Adjacent
// outputs of the same stream are merged, and a final stderr note reports output dropped at the
// size limit.
func (b *outbox) take() []json.RawMessage {
	b.mu.Lock()
	outputs, dropped := b.outputs, b.dropped
	b.outputs, b.size, b.dropped, b.full = nil, 0, 0, false
	b.mu.Unlock()

	if dropped > 0 {
		note := fmt.Sprintf("\n[output truncated: the response reached the server's limit of %d bytes, "+
			"and %d bytes of output were dropped]\n", b.limit, dropped)
		outputs = append(outputs, output{kind: outputStderr, text: []byte(note)})
	}
	merged := mergeStreams(outputs)
	encoded := make([]json.RawMessage, 0, len(merged))
	for i, o := range merged {
		encoded = append(encoded, outputJSON(o.kind, o.text, o.data))
		merged[i] = output{}
	}
	return encoded
}

// mergeStreams joins adjacent stdout outputs, and adjacent stderr outputs, into one output each.
// It allocates each joined text at its final size and releases the parts in outputs, so that
// building a large response holds few copies of the output.
func mergeStreams(outputs []output) []output {
	merged := make([]output, 0, len(outputs))
	for start := 0; start < len(outputs); {
		o, end := outputs[start], start+1
		if isStream(o.kind) {
			size := len(o.text)
			for end < len(outputs) && outputs[end].kind == o.kind {
				size += len(outputs[end].text)
				end++
			}
			if end-start > 1 {
				o.text = make([]byte, 0, size)
				for i := start; i < end; i++ {
					o.text = append(o.text, outputs[i].text...)
					outputs[i].text = nil
				}
			}
		}
		merged = append(merged, o)
		start = end
	}
	return merged
}

func isStream(kind string) bool { return kind == outputStdout || kind == outputStderr }

// markerScanner removes execute markers from the bytes read from fd 1 or 2 of a session. A
// marker is "\x00", the session's 32-character secret, the execute seq as 16 hex digits and
// "\x00". Bytes that may begin a marker split across two reads are held back until the next
// read.
type markerScanner struct {
	prefix  []byte // "\x00" and the secret
	pending []byte
}

const markerSeqDigits = 16

func (s *markerScanner) markerLen() int { return len(s.prefix) + markerSeqDigits + 1 }

// marker returns the marker for execute seq.
func marker(secret string, seq int64) string {
	return fmt.Sprintf("\x00%s%0*x\x00", secret, markerSeqDigits, seq)
}

// scan returns chunk without markers, in a new slice, and the highest seq of the markers found
// in it.
func (s *markerScanner) scan(chunk []byte) (data []byte, seq int64, found bool) {
	buf := append(s.pending, chunk...)
	s.pending = nil
	for {
		i := bytes.Index(buf, s.prefix)
		if i < 0 {
			break
		}
		if len(buf)-i < s.markerLen() {
			data = append(data, buf[:i]...)
			s.pending = bytes.Clone(buf[i:])
			return data, seq, found
		}
		digits := buf[i+len(s.prefix) : i+s.markerLen()-1]
		n, err := strconv.ParseInt(string(digits), 16, 64)
		if err != nil || buf[i+s.markerLen()-1] != 0 {
			data = append(data, buf[:i+1]...)
			buf = buf[i+1:]
			continue
		}
		data = append(data, buf[:i]...)
		seq, found = max(seq, n), true
		buf = buf[i+s.markerLen():]
	}
	keep := partialPrefix(buf, s.prefix)
	data = append(data, buf[:len(buf)-keep]...)
	s.pending = bytes.Clone(buf[len(buf)-keep:])
	return data, seq, found
}

// flush returns the bytes held back, for use at the end of the stream.
func (s *markerScanner) flush() []byte {
	data := s.pending
	s.pending = nil
	return data
}

// partialPrefix returns the length of the longest suffix of buf that is a proper prefix of
// prefix.
func partialPrefix(buf, prefix []byte) int {
	for n := min(len(buf), len(prefix)-1); n > 0; n-- {
		if bytes.Equal(buf[len(buf)-n:], prefix[:n]) {
			return n
		}
	}
	return 0
}
