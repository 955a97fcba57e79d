package server

import (
	"encoding/base64"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/tcikit/tci/generated"
)

// upload is one file of an execute request, checked and decoded.
type upload struct {
	name    string // relative, slash-separated path inside the session directory
	content []byte
}

// decodeUploads checks the names of the request's files and decodes their content. It runs
// before a session is picked, so that a bad file costs no process.
func decodeUploads(files *[]generated.File) ([]upload, error) {
	if files == nil {
		return nil, nil
	}
	uploads := make([]upload, 0, len(*files))
	for i, f := range *files {
		if err := checkUploadName(f.Name); err != nil {
			return nil, fmt.Errorf("files[%d]: %w", i, err)
		}
		var content []byte
		switch f.Encoding {
		case generated.FileEncodingString:
			content = []byte(f.Content)
		case generated.FileEncodingBase64:
			decoded, err := base64.StdEncoding.DecodeString(f.Content)
			if err != nil {
				return nil, fmt.Errorf("files[%d] %s: content is not valid base64 (%v); "+
					"send standard base64 with padding, or use encoding \"string\" for text", i, quote(f.Name), err)
			}
			content = decoded
		default:
			return nil, fmt.Errorf("files[%d] %s: unknown encoding %s; use \"string\" or \"base64\"",
				i, quote(f.Name), quote(string(f.Encoding)))
		}
		uploads = append(uploads, upload{name: filepath.ToSlash(filepath.Clean(f.Name)), content: content})
	}
	return uploads, nil
}

// checkUploadName rejects a file name that is empty, absolute, contains NUL or backslash, or
// leaves the directory it is resolved in through "..".
func checkUploadName(name string) error {
	switch {
	case name == "":
		return fmt.Errorf("file name is empty; use a relative path such as \"data.csv\"")
	case strings.ContainsRune(name, 0):
		return fmt.Errorf("file name %s contains a NUL byte; use a relative path such as \"data.csv\"", quote(name))
	case strings.ContainsRune(name, '\\'):
		return fmt.Errorf("file name %s contains a backslash; separate directories with \"/\"", quote(name))
	case filepath.IsAbs(name) || strings.HasPrefix(name, "/"):
		return fmt.Errorf("file name %s is absolute; use a path relative to the session directory", quote(name))
	case !filepath.IsLocal(name):
		return fmt.Errorf("file name %s leaves the session directory; use a path without \"..\"", quote(name))
	case strings.HasSuffix(name, "/") || filepath.Clean(name) == ".":
		return fmt.Errorf("file name %s names a directory; give a file name such as \"data.csv\"", quote(name))
	}
	return nil
}

// writeUploads writes the files into dir, creating parent directories. Writes go through
// os.Root, which rejects any path that resolves outside dir, also through symbolic links that
// earlier code in the session created.
func writeUploads(dir string, uploads []upload) error {
	if len(uploads) == 0 {
		return nil
	}
	// os.OpenRoot opens dir without O_DIRECTORY, so it would block until a writer came if code
	// replaced dir with a FIFO. The "/." makes the kernel reject anything but a directory.
	root, err := os.OpenRoot(dir + string(filepath.Separator) + ".")
	if err != nil {
		return fmt.Errorf("open the session's working directory: %w; code in the session may have "+
			"removed it, so start a new session", unwrapPathError(err))
	}
	defer root.Close()
	for _, u := range uploads {
		if parent := filepath.Dir(u.name); parent != "." {
			if err := root.MkdirAll(parent, 0o755); err != nil {
				return fmt.Errorf("file %s: create directory: %w", quote(u.name), unwrapPathError(err))
			}
		}
		if info, err := root.Stat(u.name); err == nil && !info.Mode().IsRegular() {
			return notRegularError(u.name, info.Mode())
		}
		if err := writeUpload(root, u); err != nil {
			return err
		}
	}
	return nil
}

// writeUpload writes one file. It opens the file without blocking, because opening a FIFO for
// writing blocks until a reader opens it, and code running in the background may replace the
// file with one after writeUploads checked it. A blocked open would hold the session forever.
func writeUpload(root *os.Root, u upload) error {
	file, err := root.OpenFile(u.name, os.O_WRONLY|os.O_CREATE|os.O_TRUNC|syscall.O_NONBLOCK, 0o644)
	if err != nil {
		return fmt.Errorf("file %s: %w", quote(u.name), unwrapPathError(err))
	}
	defer file.Close()
	info, err := file.Stat()
	if err == nil && !info.Mode().IsRegular() {
		return notRegularError(u.name, info.Mode())
	}
	if err == nil {
		_, err = file.Write(u.content)
	}
	if err == nil {
		err = file.Close()
	}
	if err != nil {
		return fmt.Errorf("file %s: %w", quote(u.name), unwrapPathError(err))
	}
	return nil
}

func notRegularError(name string, mode fs.FileMode) error {
	return fmt.Errorf("file %s exists and is %s, not a regular file; choose another name",
		quote(name), fileKind(mode))
}

// fileKind names the type of a file that is not a regular file, for error messages.
func fileKind(mode fs.FileMode) string {
	switch {
	case mode.IsDir():
		return "a directory"
	case mode&fs.ModeNamedPipe != 0:
		return "a named pipe"
	case mode&fs.ModeSocket != 0:
		return "a socket"
	case mode&fs.ModeDevice != 0:
		return "a device"
	default:
		return "a special file"
	}
}

// unwrapPathError drops the absolute path from an *os.PathError, so that error messages sent to
// clients do not reveal where the server keeps its sessions.
func unwrapPathError(err error) error {
	if pathErr, ok := err.(*os.PathError); ok {
		return fmt.Errorf("%s: %w", pathErr.Op, pathErr.Err)
	}
	return err
}
