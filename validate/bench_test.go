package validate

import (
	"fmt"
	"testing"
)

// validationModes are the ways a client can handle a response body: validate it with Response,
// not at all, or with ReferenceResponse. Every mode decodes the body into the generated types.
var validationModes = []string{"strict", "off", "naive"}

func benchmarkResponse(b *testing.B, op Operation, body []byte, decode func([]byte) error, mode string) {
	v := mustEmbedded(b)
	validate := map[string]func() error{
		"strict": func() error { return v.Response(op, 200, jsonHeader, body) },
		"off":    func() error { return nil },
		"naive":  func() error { return v.ReferenceResponse(op, 200, jsonHeader, body) },
	}[mode]
	if err := validate(); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if err := validate(); err != nil {
			b.Fatal(err)
		}
		if err := decode(body); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSessionsResponse(b *testing.B) {
	for _, n := range []int{1, 100, 1000, 10000} {
		body := sessionsBody(b, n)
		for _, mode := range validationModes {
			b.Run(fmt.Sprintf("sessions=%d/validation=%s", n, mode), func(b *testing.B) {
				benchmarkResponse(b, ListSessions, body, decodeSessions, mode)
			})
		}
	}
}

func BenchmarkExecuteResponse(b *testing.B) {
	bodies := []struct {
		name string
		body []byte
	}{
		{"stdout-1MiB", stdoutBody(b, 1<<20)},
		{"png-2MiB", imageBody(b, 2<<20)},
	}
	for _, body := range bodies {
		for _, mode := range validationModes {
			b.Run(fmt.Sprintf("output=%s/validation=%s", body.name, mode), func(b *testing.B) {
				benchmarkResponse(b, ExecuteCode, body.body, decodeExecute, mode)
			})
		}
	}
}

func BenchmarkExecuteRequest(b *testing.B) {
	v := mustEmbedded(b)
	body := []byte(`{"code":"import numpy as np\nprint(np.arange(10).sum())","language":"python","session_id":"ses_abcDEF123"}`)
	b.Run("validation=strict", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if err := v.Request(ExecuteCode, jsonHeader, body); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("validation=naive", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if err := v.ReferenceRequest(ExecuteCode, jsonHeader, body); err != nil {
				b.Fatal(err)
			}
		}
	})
}
