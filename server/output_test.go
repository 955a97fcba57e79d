package server

import (
	"bufio"
	"bytes"
	"errors"
	"strings"
	"testing"
)

func TestMarkerScannerSplitsAnywhere(t *testing.T) {
	t.Parallel()
	secret := strings.Repeat("ab", 16)
	stream := "before\x00" + marker(secret, 7) + "\x00after" + marker(secret, 8) + "\x00" + secret[:5]
	for split := 0; split <= len(stream); split++ {
		for second := split; second <= len(stream); second++ {
			scanner := markerScanner{prefix: []byte("\x00" + secret)}
			var data []byte
			var last int64
			for _, chunk := range []string{stream[:split], stream[split:second], stream[second:]} {
				got, seq, found := scanner.scan([]byte(chunk))
				data = append(data, got...)
				if found {
					last = max(last, seq)
				}
			}
			data = append(data, scanner.flush()...)
			if want := "before\x00\x00after\x00" + secret[:5]; string(data) != want {
				t.Fatalf("split at %d and %d: data = %q, want %q", split, second, data, want)
			}
			if last != 8 {
				t.Fatalf("split at %d and %d: last seq = %d, want 8", split, second, last)
			}
		}
	}
}

func TestMarkerScannerIgnoresForgedMarker(t *testing.T) {
	t.Parallel()
	scanner := markerScanner{prefix: []byte("\x00" + strings.Repeat("c", 32))}
	forged := "\x00" + strings.Repeat("c", 32) + "not-hex-digits!!" + "\x00"
	data, _, found := scanner.scan([]byte(forged))
	data = append(data, scanner.flush()...)
	if found {
		t.Error("scan found a marker in bytes without a hex seq")
	}
	if string(data) != forged {
		t.Errorf("data = %q, want the bytes unchanged", data)
	}
}

func TestMergeStreams(t *testing.T) {
	t.Parallel()
	merged := mergeStreams([]output{
		{kind: outputStdout, text: []byte("a")},
		{kind: outputStdout, text: []byte("b")},
		{kind: outputStderr, text: []byte("c")},
		{kind: outputError, text: []byte("d")},
		{kind: outputError, text: []byte("e")},
		{kind: outputStdout, text: []byte{0xe2, 0x82}},
		{kind: outputStdout, text: []byte{0xac}},
	})
	var got []string
	for _, o := range merged {
		got = append(got, o.kind+":"+string(o.text))
	}
	want := []string{"stdout:ab", "stderr:c", "error:d", "error:e", "stdout:€"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("merged = %q, want %q", got, want)
	}
}

func TestReadLineLimit(t *testing.T) {
	t.Parallel()
	input := "short\n" + strings.Repeat("x", 100) + "\nnext\n"
	r := bufio.NewReaderSize(strings.NewReader(input), 16)
	line, err := readLine(r, 50)
	if err != nil || string(line) != "short\n" {
		t.Fatalf("first line = %q, %v; want short", line, err)
	}
	line, err = readLine(r, 50)
	var tooLong *lineTooLongError
	if !errors.As(err, &tooLong) || line != nil {
		t.Fatalf("long line = %q, %v; want a lineTooLongError", line, err)
	}
	if tooLong.size != 101 {
		t.Errorf("discarded size = %d, want 101", tooLong.size)
	}
	line, err = readLine(r, 50)
	if err != nil || !bytes.Equal(line, []byte("next\n")) {
		t.Fatalf("line after the long one = %q, %v; want next", line, err)
	}
}

func TestQuoteCutsLongValues(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"ses_abc", `"ses_abc"`},
		{"a\x00b", `"a\x00b"`},
		{strings.Repeat("x", 64), `"` + strings.Repeat("x", 64) + `"`},
		{strings.Repeat("x", 65), `"` + strings.Repeat("x", 64) + `"...`},
		// A cut never splits a UTF-8 sequence: 63 bytes of x, then a 2-byte é at bytes 63-64.
		{strings.Repeat("x", 63) + "é" + "tail", `"` + strings.Repeat("x", 63) + `"...`},
	}
	for _, tc := range tests {
		if got := quote(tc.in); got != tc.want {
			t.Errorf("quote(%.20q...) = %s, want %s", tc.in, got, tc.want)
		}
	}
	if got, want := shorten(strings.Repeat("M", 100)), strings.Repeat("M", 64)+"..."; got != want {
		t.Errorf("shorten = %q, want %q", got, want)
	}
}
