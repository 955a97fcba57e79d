package server

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// helperEnv makes the test binary run helperServer instead of the tests, so that a test can
// kill a process that serves sessions.
const helperEnv = "TCI_SERVER_TEST_HELPER"

func TestMain(m *testing.M) {
	if os.Getenv(helperEnv) == "serve" {
		if err := helperServer(); err != nil {
			fmt.Fprintln(os.Stderr, "helper server:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// helperServer starts a Server in the work directory that TCI_SERVER_TEST_WORK_DIR names, or in
// a temporary directory of its own when that is empty. It starts one session whose code starts
// a subprocess and then, by TCI_SERVER_TEST_SESSION, ends ("idle"), sleeps ("sleeping") or
// prints in a loop ("printing"). The helper prints the pids of the driver and of the
// subprocess on one line, then serves until standard input closes.
func helperServer() error {
	var opts []Option
	if dir := os.Getenv("TCI_SERVER_TEST_WORK_DIR"); dir != "" {
		opts = append(opts, WithWorkDir(dir))
	}
	srv, err := New(opts...)
	if err != nil {
		return err
	}
	defer srv.Close()
	s, err := srv.store.create()
	if err != nil {
		return err
	}
	code := "import subprocess, sys, time\n" +
		"child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'])\n" +
		"with open('child.pid.tmp', 'w') as f: f.write(str(child.pid))\n" +
		"os.rename('child.pid.tmp', 'child.pid')\n"
	switch os.Getenv("TCI_SERVER_TEST_SESSION") {
	case "sleeping":
		code += "time.sleep(60)\n"
	case "printing":
		code += "while True:\n    print('x')\n    time.sleep(0.001)\n"
	}
	go s.interp.execute("import os\n"+code, time.Minute)

	var child []byte
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); {
		if child, err = os.ReadFile(filepath.Join(s.work, "child.pid")); err == nil {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err != nil {
		return fmt.Errorf("the session did not start its subprocess: %w", err)
	}
	fmt.Printf("%d %s\n", s.interp.pid(), child)
	_, err = io.Copy(io.Discard, os.Stdin)
	return err
}
