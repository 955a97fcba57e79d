package wrapper

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tcikit/tci/internal/syncbuffer"
)

// testKey is the API key of the tests. The redaction test uses its own canary.
const testKey = "test-key-0123456789"

// waits records the waits that a client would have slept between attempts.
type waits struct {
	mu  sync.Mutex
	all []time.Duration
}

func (w *waits) sleep(ctx context.Context, d time.Duration) error {
	w.mu.Lock()
	w.all = append(w.all, d)
	w.mu.Unlock()
	return ctx.Err()
}

func (w *waits) list() []time.Duration {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]time.Duration(nil), w.all...)
}

// withSleep replaces the wait between attempts, so that retry tests do not sleep.
func withSleep(sleep func(context.Context, time.Duration) error) Option {
	return func(c *config) error {
		c.sleep = sleep
		return nil
	}
}

// withClock fixes the clock and the jitter.
func withClock(now time.Time, random float64) Option {
	return func(c *config) error {
		c.now = func() time.Time { return now }
		c.random = func() float64 { return random }
		return nil
	}
}

// newServer starts an httptest server on loopback that is closed when the test ends.
func newServer(t testing.TB, handler http.HandlerFunc) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(handler)
	t.Cleanup(srv.Close)
	return srv
}

// newClient returns a client for srv with the test key, no real sleeping between retries and
// the given options last.
func newClient(t testing.TB, baseURL string, opts ...Option) (*Client, *waits) {
	t.Helper()
	w := &waits{}
	all := append([]Option{WithBaseURL(baseURL), WithAPIKey(testKey), withSleep(w.sleep)}, opts...)
	c, err := New(all...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c, w
}

// writeJSON writes body with status 200 and Content-Type application/json.
func writeJSON(w http.ResponseWriter, body string) {
	w.Header().Set("Content-Type", "application/json")
	_, _ = io.WriteString(w, body)
}

// counter counts requests per server.
type counter struct{ n atomic.Int64 }

func (c *counter) add() int { return int(c.n.Add(1)) }
func (c *counter) get() int { return int(c.n.Load()) }

// logBuffer returns a debug logger writing JSON lines into a buffer.
func logBuffer() (*slog.Logger, *syncbuffer.Buffer) {
	buf := &syncbuffer.Buffer{}
	return slog.New(slog.NewJSONHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug})), buf
}
