package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestRedactingWriterJoinsSplitKey(t *testing.T) {
	const key = "key-0123456789"
	tests := []struct {
		name   string
		writes []string
		want   string
	}{
		{"whole key", []string{"a " + key + " b"}, "a [REDACTED] b"},
		{"split in two", []string{"a key-0123", "456789 b"}, "a [REDACTED] b"},
		{"split in three", []string{"k", "ey-01234", "56789"}, "[REDACTED]"},
		{"prefix never completed", []string{"a key-01", "x"}, "a key-01x"},
		{"prefix at the end", []string{"a key-01"}, "a key-01"},
		{"key after a key", []string{key + key[:4], key[4:]}, "[REDACTED][REDACTED]"},
		{"overlapping start", []string{"kkey-0123456789"}, "k[REDACTED]"},
	}
	for _, tt := range tests {
		var out bytes.Buffer
		w := &redactingWriter{w: &out, key: key}
		for _, s := range tt.writes {
			if n, err := w.Write([]byte(s)); err != nil || n != len(s) {
				t.Fatalf("%s: Write = %d, %v", tt.name, n, err)
			}
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		if out.String() != tt.want {
			t.Errorf("%s: output = %q, want %q", tt.name, out.String(), tt.want)
		}
	}
}

func TestRedactingWriterHoldsOnlyKeyPrefix(t *testing.T) {
	var out bytes.Buffer
	w := &redactingWriter{w: &out, key: "key-0123456789"}
	w.Write([]byte("line\n"))
	if out.String() != "line\n" {
		t.Errorf("output before Flush = %q, want the whole line", out.String())
	}
}

func TestRedactJSONEscapedKey(t *testing.T) {
	const key = "key-0123456789"
	tgt := &target{apiKey: key}
	tests := []struct {
		name string
		body string
		want string
	}{
		{"plain", `{"a":"key-0123456789"}`, `{"a":"[REDACTED]"}`},
		{"unicode escape", `{"a":"\u006bey-0123456789"}`, `{"a":"[REDACTED]"}`},
		{"member name", `{"\u006bey-0123456789":1.50}`, `{"[REDACTED]":1.50}`},
		{"escape elsewhere", `{"a":"\u003c","b":2}`, `{"a":"\u003c","b":2}`},
		{"not JSON", `key-0123456789 \u`, `[REDACTED] \u`},
	}
	for _, tt := range tests {
		got := string(tgt.redactJSON([]byte(tt.body), false))
		if got != tt.want {
			t.Errorf("%s: redactJSON = %q, want %q", tt.name, got, tt.want)
		}
		if strings.Contains(got, key) {
			t.Errorf("%s: %q contains the key", tt.name, got)
		}
	}
}

func TestRedactSkipsShortKey(t *testing.T) {
	tgt := &target{apiKey: "data"}
	if got := tgt.redact("metadata"); got != "metadata" {
		t.Errorf("redact = %q, want the text unchanged for a 4-byte key", got)
	}
	if got := string(tgt.redactJSON([]byte(`{"data":1}`), false)); got != `{"data":1}` {
		t.Errorf("redactJSON = %q, want the body unchanged for a 4-byte key", got)
	}
}
