package wrapper

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// serveBody starts a loopback server that responds to every request with the same pre-built
// JSON body, so that the server side of a benchmark costs little.
func serveBody(b *testing.B, body []byte) string {
	b.Helper()
	length := strconv.Itoa(len(body))
	srv := newServer(b, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", length)
		_, _ = w.Write(body)
	})
	return srv.URL
}

// sessionListBody returns a session list response with n sessions.
func sessionListBody(n int) []byte {
	start := time.Date(2026, 8, 1, 9, 0, 0, 0, time.UTC)
	var b strings.Builder
	b.WriteString(`{"data":{"sessions":[`)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		at := start.Add(time.Duration(i) * time.Second)
		fmt.Fprintf(&b, `{"id":"ses_%08d","execute_count":%d,"started_at":%q,"last_execute_at":%q,"expires_at":%q}`,
			i, i%50, at.Format(time.RFC3339), at.Add(90*time.Second).Format(time.RFC3339Nano),
			at.Add(time.Hour).Format(time.RFC3339))
	}
	b.WriteString(`]}}`)
	return []byte(b.String())
}

var benchModes = []ValidationMode{ValidationStrict, ValidationOff}

func BenchmarkListSessions(b *testing.B) {
	for _, n := range []int{1, 100, 1000, 10000} {
		body := sessionListBody(n)
		baseURL := serveBody(b, body)
		for _, mode := range benchModes {
			b.Run(fmt.Sprintf("sessions=%d/validation=%s", n, mode), func(b *testing.B) {
				c, _ := newClient(b, baseURL, WithValidation(mode))
				ctx := context.Background()
				b.SetBytes(int64(len(body)))
				b.ReportAllocs()
				for b.Loop() {
					sessions, err := c.ListSessions(ctx)
					if err != nil {
						b.Fatal(err)
					}
					if len(sessions) != n {
						b.Fatalf("sessions = %d, want %d", len(sessions), n)
					}
				}
			})
		}
	}
}

// executeBenchBody returns an execute response with 1 MiB of stdout in lines and a 2 MiB
// image/png display output of random bytes, which base64 makes about 2.7 MiB.
func executeBenchBody(b *testing.B) (body []byte, stdout string, png []byte) {
	var lines strings.Builder
	for i := 0; lines.Len() < 1<<20; i++ {
		fmt.Fprintf(&lines, "step %06d: loss=%.6f accuracy=%.4f\n", i, 1/float64(i+1), float64(i%1000)/1000)
	}
	stdout = lines.String()[:1<<20]
	random := rand.New(rand.NewPCG(1, 2))
	png = make([]byte, 2<<20)
	for i := range png {
		png[i] = byte(random.Uint32())
	}
	body, err := json.Marshal(map[string]any{
		"data": map[string]any{"session_id": "ses_bench", "status": "success", "outputs": []any{
			map[string]any{"type": "stdout", "data": stdout},
			map[string]any{"type": "display_data", "data": map[string]any{"image/png": b64(png), "text/plain": "<Figure>"}},
		}},
		"errors": nil,
	})
	if err != nil {
		b.Fatal(err)
	}
	return body, stdout, png
}

func BenchmarkExecute(b *testing.B) {
	body, stdout, png := executeBenchBody(b)
	baseURL := serveBody(b, body)
	for _, mode := range benchModes {
		b.Run("validation="+mode.String(), func(b *testing.B) {
			c, _ := newClient(b, baseURL, WithValidation(mode))
			ctx := context.Background()
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				result, err := c.Execute(ctx, "train()")
				if err != nil {
					b.Fatal(err)
				}
				if len(result.Outputs) != 2 || len(result.Outputs[0].Text) != len(stdout) ||
					len(result.Outputs[1].Data["image/png"]) != len(png) {
					b.Fatal("decoded outputs differ from the body")
				}
			}
		})
	}
}

// BenchmarkDecodeDeepTypeError measures finding the pointer of a type error behind 10 000
// levels of nesting, which must stay linear in the body size.
func BenchmarkDecodeDeepTypeError(b *testing.B) {
	body := []byte(deepTypeError)
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if _, err := DecodeExecuteResponse(body); err == nil {
			b.Fatal("decoded a body with a type error")
		}
	}
}
