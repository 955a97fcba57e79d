package server

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
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

// output is one output of an execute before it is converted to the API type. Streams and errors
// keep their raw bytes in text, so that a UTF-8 sequence split across two reads of a pipe is
// joined again before the text is made valid UTF-8.
type output struct {
	kind   string
	text   []byte
	bundle *generated.MIMEBundle
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

// outputOverhead is the share of the size limit that each output takes besides its data, about
// the length of {"data":"","type":"stdout"}, in JSON. It bounds the response for code that
// makes many tiny outputs, such as alternating one-byte writes to stdout and stderr.
const outputOverhead = 32

// add appends an output, or counts its data as dropped when it would pass the size limit. A
// stream output right after one of the same stream costs no overhead, because take merges them.
func (b *outbox) add(o output) {
	size := int64(len(o.text)) + bundleSize(o.bundle)
	b.mu.Lock()
	cost := size
	if n := len(b.outputs); n == 0 || !isStream(o.kind) || b.outputs[n-1].kind != o.kind {
		cost += outputOverhead
	}
	if b.size+cost > b.limit {
		b.dropped += size
	} else {
		b.size += cost
		b.outputs = append(b.outputs, o)
	}
	b.mu.Unlock()
	b.notify()
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

// take removes the collected outputs and returns them in API form. Adjacent outputs of the same
// stream are merged, and a final stderr note reports output dropped at the size limit.
func (b *outbox) take() []generated.InterpreterOutput {
	b.mu.Lock()
	outputs, dropped := b.outputs, b.dropped
	b.outputs, b.size, b.dropped = nil, 0, 0
	b.mu.Unlock()

	if dropped > 0 {
		note := fmt.Sprintf("\n[output truncated: %d bytes over the server's limit of %d bytes were dropped]\n",
			dropped, b.limit)
		outputs = append(outputs, output{kind: outputStderr, text: []byte(note)})
	}
	return convertOutputs(mergeStreams(outputs))
}

// mergeStreams joins adjacent stdout outputs, and adjacent stderr outputs, into one output each.
func mergeStreams(outputs []output) []output {
	merged := make([]output, 0, len(outputs))
	for _, o := range outputs {
		if n := len(merged); n > 0 && isStream(o.kind) && merged[n-1].kind == o.kind {
			merged[n-1].text = append(merged[n-1].text, o.text...)
			continue
		}
		if isStream(o.kind) {
			o.text = bytes.Clone(o.text)
		}
		merged = append(merged, o)
	}
	return merged
}

func isStream(kind string) bool { return kind == outputStdout || kind == outputStderr }

func convertOutputs(outputs []output) []generated.InterpreterOutput {
	converted := make([]generated.InterpreterOutput, 0, len(outputs))
	for _, o := range outputs {
		var item generated.InterpreterOutput
		var err error
		text := strings.ToValidUTF8(string(o.text), "\uFFFD")
		switch o.kind {
		case outputStdout, outputStderr:
			err = item.FromStreamOutput(generated.StreamOutput{Type: generated.StreamOutputType(o.kind), Data: text})
		case outputError:
			err = item.FromErrorOutput(generated.ErrorOutput{Type: generated.ErrorOutputTypeError, Data: text})
		default:
			err = item.FromDisplayOrExecuteOutput(generated.DisplayOrExecuteOutput{
				Type: generated.DisplayOrExecuteOutputType(o.kind),
				Data: *o.bundle,
			})
		}
		if err != nil {
			// The From methods marshal strings, byte slices and maps decoded from JSON, which cannot fail.
			panic("server: encode output: " + err.Error())
		}
		converted = append(converted, item)
	}
	return converted
}

// bundleSize estimates the encoded size of a MIME bundle from its string and byte fields.
func bundleSize(bundle *generated.MIMEBundle) int64 {
	if bundle == nil {
		return 0
	}
	var size int
	for _, s := range []*string{bundle.ApplicationJavaScript, bundle.ImageSVG, bundle.TextHTML,
		bundle.TextLaTeX, bundle.TextMarkdown, bundle.TextPlain} {
		if s != nil {
			size += len(*s)
		}
	}
	for _, b := range []*[]byte{bundle.ApplicationPDF, bundle.ImageGIF, bundle.ImageJPEG, bundle.ImagePNG} {
		if b != nil {
			size += len(*b)
		}
	}
	// JSON-valued members are counted by a rough fixed share; only _repr_json_ produces them.
	for _, m := range []*map[string]any{bundle.ApplicationJSON, bundle.ApplicationGeoJSON,
		bundle.ApplicationVegaV5JSON, bundle.ApplicationVegaLiteV4JSON} {
		if m != nil {
			size += 64 * len(*m)
		}
	}
	return int64(size)
}

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
