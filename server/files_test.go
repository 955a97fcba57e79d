package server

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tcikit/tci/generated"
)

func TestUploadFiles(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	binary := []byte{0x89, 'P', 'N', 'G', 0x00, 0xff, 0x10}
	files := []generated.File{
		{Name: "notes.txt", Encoding: generated.FileEncodingString, Content: "héllo\nworld\n"},
		{Name: "data/raw.bin", Encoding: generated.FileEncodingBase64, Content: base64.StdEncoding.EncodeToString(binary)},
		{Name: "helper.py", Encoding: generated.FileEncodingString, Content: "def answer():\n    return 42\n"},
	}
	code := strings.Join([]string{
		"import helper",
		"print(open('notes.txt', encoding='utf-8').read(), end='')",
		"print(list(open('data/raw.bin', 'rb').read()))",
		"helper.answer()",
	}, "\n")
	id, outputs := ts.execute(t, "", code, files...)
	if len(outputs) != 2 {
		t.Fatalf("outputs = %v, want stdout and execute_result", outputs)
	}
	wantOutputs(t, outputs[:1], out{Type: "stdout", Text: "héllo\nworld\n[137, 80, 78, 71, 0, 255, 16]\n"})
	if got := outputs[1].Data.TextPlain; got == nil || *got != "42" {
		t.Errorf("execute_result = %v, want 42 from the uploaded module", outputs[1])
	}

	// A later upload to the same session replaces the file before the code runs.
	_, outputs = ts.execute(t, id, "print(open('notes.txt').read())",
		generated.File{Name: "notes.txt", Encoding: generated.FileEncodingString, Content: "second"})
	wantOutputs(t, outputs, out{Type: "stdout", Text: "second\n"})
}

func TestUploadRejectsEscapingNames(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	names := []string{
		"",
		"/etc/passwd",
		"../outside.txt",
		"data/../../outside.txt",
		"a\x00b",
		`..\outside.txt`,
		"data/",
		".",
	}
	for _, name := range names {
		resp := ts.post(t, map[string]any{
			"code":     "1",
			"language": "python",
			"files":    []map[string]string{{"name": name, "encoding": "string", "content": "x"}},
		})
		errs := decodeFailure(t, resp, http.StatusBadRequest)
		if errs[0]["code"] != "invalid_file" {
			t.Errorf("name %q: code = %v, want invalid_file", name, errs[0]["code"])
		}
	}
	if sessions := ts.listSessions(t); len(sessions) != 0 {
		t.Errorf("rejected uploads started sessions: %v", sessions)
	}
}

func TestUploadRejectsSymlinkEscape(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	outside := t.TempDir()
	victim := filepath.Join(outside, "victim.txt")
	if err := os.WriteFile(victim, []byte("original"), 0o644); err != nil {
		t.Fatal(err)
	}
	// Code in the session plants links that point out of its directory.
	id, _ := ts.execute(t, "", "import os\n"+
		"os.symlink("+pyString(outside)+", 'outdir')\n"+
		"os.symlink("+pyString(victim)+", 'victim.txt')\n"+
		"os.mkfifo('pipe')")

	for _, name := range []string{"outdir/new.txt", "victim.txt", "pipe"} {
		resp := ts.post(t, map[string]any{
			"code":       "1",
			"language":   "python",
			"session_id": id,
			"files":      []map[string]string{{"name": name, "encoding": "string", "content": "overwritten"}},
		})
		errs := decodeFailure(t, resp, http.StatusBadRequest)
		if msg := errs[0]["message"].(string); !strings.Contains(msg, name) {
			t.Errorf("name %q: message = %q, want it to name the file", name, msg)
		}
		if msg := errs[0]["message"].(string); strings.Contains(msg, outside) {
			t.Errorf("name %q: message %q reveals a server path", name, msg)
		}
	}
	if content, err := os.ReadFile(victim); err != nil || string(content) != "original" {
		t.Errorf("file outside the session = %q, %v; want it unchanged", content, err)
	}
	if _, err := os.Stat(filepath.Join(outside, "new.txt")); !os.IsNotExist(err) {
		t.Errorf("upload created a file outside the session: %v", err)
	}
	// The session is still usable, and the rejected executes were not counted.
	ts.execute(t, id, "1")
	if sessions := ts.listSessions(t); len(sessions) != 1 || sessions[0].ExecuteCount != 2 {
		t.Errorf("sessions = %v, want one with execute_count 2", sessions)
	}
}

func TestUploadOntoDirectoryNamesKind(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	id, _ := ts.execute(t, "", "import os\nos.mkdir('results')\nos.mkfifo('pipe')")
	for name, kind := range map[string]string{"results": "a directory", "pipe": "a named pipe"} {
		resp := ts.post(t, map[string]any{
			"code":       "1",
			"language":   "python",
			"session_id": id,
			"files":      []map[string]string{{"name": name, "encoding": "string", "content": "x"}},
		})
		errs := decodeFailure(t, resp, http.StatusBadRequest)
		want := fmt.Sprintf("file %q exists and is %s", name, kind)
		if msg := errs[0]["message"].(string); !strings.Contains(msg, want) {
			t.Errorf("message = %q, want it to contain %q", msg, want)
		}
	}
}

func TestUploadIntoRemovedDirectoryHidesPath(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	id, _ := ts.execute(t, "", "import os, shutil\nshutil.rmtree(os.getcwd())")
	resp := ts.post(t, map[string]any{
		"code":       "1",
		"language":   "python",
		"session_id": id,
		"files":      []map[string]string{{"name": "a.txt", "encoding": "string", "content": "x"}},
	})
	errs := decodeFailure(t, resp, http.StatusBadRequest)
	msg := errs[0]["message"].(string)
	if strings.Contains(msg, ts.srv.root) {
		t.Errorf("message %q reveals the server's work directory", msg)
	}
	if !strings.Contains(msg, "no such file or directory") {
		t.Errorf("message = %q, want the cause", msg)
	}
}

func TestUploadIntoFIFOWorkDirFails(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	// Opening a FIFO blocks until a reader comes, which would hold the session forever.
	id, _ := ts.execute(t, "", "import os, shutil\nwork = os.getcwd()\nos.chdir('..')\n"+
		"shutil.rmtree(work)\nos.mkfifo(work)")
	done := make(chan response, 1)
	go func() {
		body := []byte(`{"code": "1", "session_id": "` + id + `", ` +
			`"files": [{"name": "a.txt", "encoding": "string", "content": "x"}]}`)
		resp, err := ts.send(t, http.MethodPost, "/tci/execute", nil, body)
		if err != nil {
			t.Error(err)
		}
		done <- resp
	}()
	select {
	case resp := <-done:
		errs := decodeFailure(t, resp, http.StatusBadRequest)
		if msg := errs[0]["message"].(string); !strings.Contains(msg, "not a directory") {
			t.Errorf("message = %q, want it to say the working directory is not a directory", msg)
		}
	case <-time.After(20 * time.Second):
		// Open the FIFO for writing, which lets the blocked request, and so the cleanup, finish.
		fifo, err := os.OpenFile(filepath.Join(ts.srv.root, id, "work"), os.O_WRONLY|syscall.O_NONBLOCK, 0)
		if err == nil {
			defer fifo.Close()
		}
		t.Fatal("the upload blocked on a FIFO in place of the working directory")
	}
}

func TestUploadInvalidBase64(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	resp := ts.post(t, map[string]any{
		"code":     "1",
		"language": "python",
		"files":    []map[string]string{{"name": "a.bin", "encoding": "base64", "content": "not base64!"}},
	})
	errs := decodeFailure(t, resp, http.StatusBadRequest)
	if msg := errs[0]["message"].(string); !strings.Contains(msg, `"a.bin"`) || !strings.Contains(msg, "base64") {
		t.Errorf("message = %q, want the file name and the encoding", msg)
	}
}

func TestUploadErrorShortensLongName(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	long := strings.Repeat("n", 100_000)
	tests := []struct{ name, encoding, content string }{
		{long, "string", ""},            // too long for the file system
		{long + "/../..", "string", ""}, // leaves the directory
		{long + "\x00", "string", ""},   // contains NUL
		{long, "base64", "not base64!"}, // invalid content
		{strings.Repeat("\x01", 100_000), "string", ""},
	}
	for i, tc := range tests {
		resp := ts.post(t, map[string]any{
			"code":     "1",
			"language": "python",
			"files":    []map[string]string{{"name": tc.name, "encoding": tc.encoding, "content": tc.content}},
		})
		errs := decodeFailure(t, resp, http.StatusBadRequest)
		msg := errs[0]["message"].(string)
		if len(msg) > 400 {
			t.Errorf("case %d: message has %d bytes, want at most 400: %.200q...", i, len(msg), msg)
		}
		if !strings.Contains(msg, tc.name[:20]) && !strings.Contains(msg, `\x01\x01`) {
			t.Errorf("case %d: message = %q, want the start of the name", i, msg)
		}
	}
}

func TestCheckUploadName(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"a.txt", "dir/a.txt", "a/b/c.csv", ".hidden", "a..b"} {
		if err := checkUploadName(name); err != nil {
			t.Errorf("checkUploadName(%q) = %v, want nil", name, err)
		}
	}
	for _, name := range []string{"", "/a", "..", "../a", "a/../../b", "a\x00", `a\b`, "a/", "."} {
		if err := checkUploadName(name); err == nil {
			t.Errorf("checkUploadName(%q) = nil, want an error", name)
		}
	}
}

func TestWriteUploadsCreatesParents(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	err := writeUploads(dir, []upload{{name: "a/b/c.txt", content: []byte("deep")}})
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(dir, "a", "b", "c.txt"))
	if err != nil || !bytes.Equal(got, []byte("deep")) {
		t.Errorf("content = %q, %v; want deep", got, err)
	}
}

func TestWriteUploadFIFONeverBlocks(t *testing.T) {
	t.Parallel()
	// Code in the background can put a FIFO where writeUploads found none, so the write
	// itself must not wait for a reader.
	dir := t.TempDir()
	if err := syscall.Mkfifo(filepath.Join(dir, "pipe"), 0o644); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	done := make(chan error, 1)
	go func() { done <- writeUpload(root, upload{name: "pipe", content: []byte("x")}) }()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "no such device") && !strings.Contains(err.Error(), "named pipe") {
			t.Errorf("writeUpload onto a FIFO = %v, want an error", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("writeUpload blocked on a FIFO without a reader")
	}
}

// pyString returns s as a Python string literal.
func pyString(s string) string {
	return "'" + strings.ReplaceAll(strings.ReplaceAll(s, `\`, `\\`), "'", `\'`) + "'"
}
