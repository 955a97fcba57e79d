package server

import (
	"bytes"
	"io"
	"net/http"
	"testing"
)

// benchmarkExecute runs code in one session b.N times over loopback HTTP. The responses are
// not validated against the spec, so that only the server's own work is measured.
func benchmarkExecute(b *testing.B, code string) {
	ts := startServer(b)
	id, _ := ts.execute(b, "", "1")
	body := executeBody(id, code)
	for b.Loop() {
		resp, err := http.Post(ts.url+"/tci/execute", "application/json", bytes.NewReader(body))
		if err != nil {
			b.Fatal(err)
		}
		n, err := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK {
			b.Fatalf("status %d, %d bytes, error %v", resp.StatusCode, n, err)
		}
		b.SetBytes(n)
	}
}

// BenchmarkExecuteRoundTrip measures one execute of trivial code in a live session: HTTP,
// request validation and the round trip through the driver.
func BenchmarkExecuteRoundTrip(b *testing.B) {
	benchmarkExecute(b, "x = 1")
}

// BenchmarkExecutePrints measures an execute that prints 10,000 lines, which the driver sends
// as 20,000 write events that the server merges into one stdout output.
func BenchmarkExecutePrints(b *testing.B) {
	benchmarkExecute(b, "for i in range(10000):\n    print(i)")
}

// BenchmarkSessionFirstExecute measures starting a session and running its first execute,
// which includes the start of the Python process, then ending the session.
func BenchmarkSessionFirstExecute(b *testing.B) {
	ts := startServer(b)
	store := ts.srv.store
	for b.Loop() {
		s, err := store.create()
		if err != nil {
			b.Fatal(err)
		}
		if _, ended := s.interp.execute("x = 1", DefaultExecTimeout); ended != outcomeDone {
			b.Fatalf("execute ended with outcome %d", ended)
		}
		store.release(s)
		store.end(s, "the benchmark ended it")
	}
}
