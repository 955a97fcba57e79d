package wrapper

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// TestRetryPolicyStatuses counts the requests that reach a server responding with one status,
// for each row of the policy and both operations.
func TestRetryPolicyStatuses(t *testing.T) {
	tests := []struct {
		status       int
		header       http.Header
		wantGET      int
		wantPOST     int
		wantRetryFor time.Duration // wait expected before each retry, 0 to skip the check
	}{
		{status: 400, wantGET: 1, wantPOST: 1},
		{status: 401, wantGET: 1, wantPOST: 1},
		{status: 403, wantGET: 1, wantPOST: 1},
		{status: 404, wantGET: 1, wantPOST: 1},
		{status: 408, wantGET: 3, wantPOST: 1},
		{status: 409, wantGET: 3, wantPOST: 1},
		{status: 422, wantGET: 1, wantPOST: 1},
		{status: 429, wantGET: 3, wantPOST: 3},
		{status: 429, header: http.Header{"Retry-After": {"2"}}, wantGET: 3, wantPOST: 3, wantRetryFor: 2 * time.Second},
		{status: 500, wantGET: 3, wantPOST: 1},
		{status: 500, header: http.Header{"X-Should-Retry": {"true"}}, wantGET: 3, wantPOST: 3},
		{status: 502, wantGET: 3, wantPOST: 1},
		{status: 503, wantGET: 3, wantPOST: 1},
		{status: 503, header: http.Header{"Retry-After": {"1"}}, wantGET: 3, wantPOST: 3, wantRetryFor: time.Second},
		{status: 503, header: http.Header{"Retry-After-Ms": {"250"}}, wantGET: 3, wantPOST: 3, wantRetryFor: 250 * time.Millisecond},
		{status: 503, header: http.Header{"X-Should-Retry": {"false"}}, wantGET: 1, wantPOST: 1},
		{status: 504, wantGET: 3, wantPOST: 1},
		{status: 429, header: http.Header{"X-Should-Retry": {"false"}}, wantGET: 1, wantPOST: 1},
	}
	for _, tt := range tests {
		name := fmt.Sprintf("%d %v", tt.status, tt.header)
		t.Run(name, func(t *testing.T) {
			requests := &counter{}
			srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
				requests.add()
				for k, v := range tt.header {
					w.Header()[k] = v
				}
				http.Error(w, "status "+http.StatusText(tt.status), tt.status)
			})
			c, waits := newClient(t, srv.URL)

			_, err := c.ListSessions(context.Background())
			checkStatusError(t, err, tt.status, tt.wantGET)
			if requests.get() != tt.wantGET {
				t.Errorf("GET requests = %d, want %d", requests.get(), tt.wantGET)
			}

			requests.n.Store(0)
			_, err = c.Execute(context.Background(), "1")
			checkStatusError(t, err, tt.status, tt.wantPOST)
			if requests.get() != tt.wantPOST {
				t.Errorf("POST requests = %d, want %d", requests.get(), tt.wantPOST)
			}
			if tt.wantRetryFor != 0 {
				for _, wait := range waits.list() {
					if wait != tt.wantRetryFor {
						t.Errorf("waits = %v, want each %v", waits.list(), tt.wantRetryFor)
						break
					}
				}
			}
		})
	}
}

func checkStatusError(t *testing.T, err error, status, attempts int) {
	t.Helper()
	apiErr := asAPIError(t, err)
	if apiErr.StatusCode != status || apiErr.Attempts != attempts {
		t.Errorf("APIError status %d after %d attempts, want %d after %d",
			apiErr.StatusCode, apiErr.Attempts, status, attempts)
	}
}

// TestRetryPolicyNetworkErrors covers the failures without a response: a refused connection, a
// connection closed after the request arrived, and a per-attempt timeout.
func TestRetryPolicyNetworkErrors(t *testing.T) {
	t.Run("connection refused", func(t *testing.T) {
		listener, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := listener.Addr().String()
		_ = listener.Close()

		attempts := &counter{}
		count := WithMiddleware(func(req *http.Request, next func(*http.Request) (*http.Response, error)) (*http.Response, error) {
			attempts.add()
			return next(req)
		})
		c, _ := newClient(t, "http://"+addr, count)
		for _, call := range []func() error{
			func() error { _, err := c.ListSessions(context.Background()); return err },
			func() error { _, err := c.Execute(context.Background(), "1"); return err },
		} {
			attempts.n.Store(0)
			err := call()
			apiErr := asAPIError(t, err)
			if apiErr.StatusCode != 0 || !errors.Is(err, syscall.ECONNREFUSED) {
				t.Errorf("error = %v, want a refused connection without status", err)
			}
			if attempts.get() != 3 || apiErr.Attempts != 3 {
				t.Errorf("attempts = %d (error reports %d), want 3: nothing was sent", attempts.get(), apiErr.Attempts)
			}
			if !strings.Contains(err.Error(), "connection refused (after 3 attempts)") {
				t.Errorf("Error() = %q", err)
			}
		}
	})

	t.Run("connection closed after request", func(t *testing.T) {
		requests := &counter{}
		srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
			requests.add()
			_, _ = io.ReadAll(r.Body)
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				_ = conn.Close()
			}
		})
		c, _ := newClient(t, srv.URL)
		_, err := c.ListSessions(context.Background())
		asAPIError(t, err)
		if requests.get() != 3 {
			t.Errorf("GET requests = %d, want 3", requests.get())
		}
		requests.n.Store(0)
		_, err = c.Execute(context.Background(), "1")
		asAPIError(t, err)
		if requests.get() != 1 {
			t.Errorf("POST requests = %d, want 1: the code may have run", requests.get())
		}
	})

	t.Run("attempt timeout", func(t *testing.T) {
		requests := &counter{}
		srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
			requests.add()
			// The server notices a closed connection only once the body is read.
			_, _ = io.ReadAll(r.Body)
			select {
			case <-r.Context().Done():
			case <-time.After(5 * time.Second):
			}
		})
		c, _ := newClient(t, srv.URL, WithTimeout(50*time.Millisecond))
		_, err := c.ListSessions(context.Background())
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("error = %v, want context.DeadlineExceeded", err)
		}
		if requests.get() != 3 {
			t.Errorf("GET requests = %d, want 3", requests.get())
		}
		requests.n.Store(0)
		_, err = c.Execute(context.Background(), "1")
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("error = %v, want context.DeadlineExceeded", err)
		}
		if !strings.Contains(err.Error(), "each attempt times out after 50ms; raise the client's "+
			"per-attempt timeout") {
			t.Errorf("Error() = %q, want the timeout", err)
		}
		if strings.Contains(err.Error(), "WithTimeout") {
			t.Errorf("Error() = %q names a Go option, which a command's user cannot set", err)
		}
		if requests.get() != 1 {
			t.Errorf("POST requests = %d, want 1: the code may be running", requests.get())
		}
	})
}

func TestRetryThenSuccess(t *testing.T) {
	var mu sync.Mutex
	var bodies []string
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		bodies = append(bodies, string(body))
		n := len(bodies)
		mu.Unlock()
		if n < 3 {
			w.Header().Set("Retry-After-Ms", "10")
			http.Error(w, "slow down", http.StatusTooManyRequests)
			return
		}
		writeJSON(w, okExecuteBody)
	})
	c, waits := newClient(t, srv.URL)

	result, err := c.Execute(context.Background(), "print('once')", WithTextFile("a.txt", "abc"))
	if err != nil {
		t.Fatalf("Execute: %v", err)
	}
	if result.Stdout() != "hello\n" {
		t.Errorf("Stdout = %q", result.Stdout())
	}
	if len(bodies) != 3 {
		t.Fatalf("requests = %d, want 3", len(bodies))
	}
	for i, body := range bodies {
		if body != bodies[0] || !strings.Contains(body, "print('once')") {
			t.Errorf("body %d = %q, want the first body replayed", i, body)
		}
	}
	if got := waits.list(); len(got) != 2 || got[0] != 10*time.Millisecond || got[1] != 10*time.Millisecond {
		t.Errorf("waits = %v, want two of 10ms", got)
	}
}

func TestRetryBackoffWithoutHint(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "busy", http.StatusServiceUnavailable)
	})
	c, waits := newClient(t, srv.URL, WithMaxRetries(4), withClock(time.Now(), 0))

	_, err := c.ListSessions(context.Background())
	checkStatusError(t, err, http.StatusServiceUnavailable, 5)
	want := []time.Duration{500 * time.Millisecond, time.Second, 2 * time.Second, 4 * time.Second}
	if fmt.Sprint(waits.list()) != fmt.Sprint(want) {
		t.Errorf("waits = %v, want %v", waits.list(), want)
	}
}

func TestRetryDrainsBodyAndReusesConnection(t *testing.T) {
	requests := &counter{}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if requests.add() < 3 {
			w.WriteHeader(http.StatusBadGateway)
			_, _ = io.WriteString(w, strings.Repeat("x", 32<<10))
			return
		}
		writeJSON(w, okSessionsBody)
	}))
	connections := &counter{}
	srv.Config.ConnState = func(_ net.Conn, state http.ConnState) {
		if state == http.StateNew {
			connections.add()
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	c, _ := newClient(t, srv.URL)

	if _, err := c.ListSessions(context.Background()); err != nil {
		t.Fatal(err)
	}
	if connections.get() != 1 {
		t.Errorf("connections = %d, want 1: a drained body keeps its connection", connections.get())
	}
}

func TestMaxRetries(t *testing.T) {
	for _, retries := range []int{0, 1, 5} {
		requests := &counter{}
		srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
			requests.add()
			http.Error(w, "busy", http.StatusTooManyRequests)
		})
		c, _ := newClient(t, srv.URL, WithMaxRetries(retries))
		_, err := c.Execute(context.Background(), "1")
		checkStatusError(t, err, http.StatusTooManyRequests, retries+1)
		if requests.get() != retries+1 {
			t.Errorf("WithMaxRetries(%d): requests = %d, want %d", retries, requests.get(), retries+1)
		}
	}
}

func TestRetryWaitEndsWithContext(t *testing.T) {
	requests := &counter{}
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		requests.add()
		w.Header().Set("Retry-After", "30")
		http.Error(w, "busy", http.StatusTooManyRequests)
	})
	c, err := New(WithBaseURL(srv.URL), WithAPIKey(testKey)) // the real timer
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)

	start := time.Now()
	_, err = c.Execute(ctx, "1")
	if !errors.Is(err, context.Canceled) {
		t.Errorf("error = %v, want context.Canceled", err)
	}
	asAPIError(t, err)
	if elapsed := time.Since(start); elapsed > 5*time.Second {
		t.Errorf("Execute returned after %v, want soon after the cancellation", elapsed)
	}
	if requests.get() != 1 {
		t.Errorf("requests = %d, want 1", requests.get())
	}
}

func TestRetryStopsBeforeDeadline(t *testing.T) {
	requests := &counter{}
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		requests.add()
		w.Header().Set("Retry-After", "30")
		http.Error(w, "busy", http.StatusTooManyRequests)
	})
	c, waits := newClient(t, srv.URL)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()

	_, err := c.ListSessions(ctx)
	apiErr := asAPIError(t, err)
	if apiErr.StatusCode != http.StatusTooManyRequests || apiErr.RetryAfter != 30*time.Second {
		t.Errorf("APIError = %d, RetryAfter %v; want the 429 and its 30s hint", apiErr.StatusCode, apiErr.RetryAfter)
	}
	if requests.get() != 1 || len(waits.list()) != 0 {
		t.Errorf("requests = %d, waits = %v; want 1 and none, as the wait passes the deadline",
			requests.get(), waits.list())
	}
}

func TestContextDeadlineDuringRequest(t *testing.T) {
	requests := &counter{}
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		requests.add()
		<-r.Context().Done()
	})
	c, _ := newClient(t, srv.URL)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()

	_, err := c.ListSessions(ctx)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("error = %v, want context.DeadlineExceeded", err)
	}
	if requests.get() != 1 {
		t.Errorf("requests = %d, want 1: the call's deadline ends the retries", requests.get())
	}
	if apiErr := asAPIError(t, err); strings.Contains(apiErr.Error(), "WithTimeout") {
		t.Errorf("Error() = %q blames the per-attempt timeout for the context's deadline", apiErr)
	}
}

func TestUnreplayableBodyIsNotRetried(t *testing.T) {
	requests := &counter{}
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		requests.add()
		http.Error(w, "busy", http.StatusTooManyRequests)
	})
	c, _ := newClient(t, srv.URL)
	req, err := http.NewRequest(http.MethodPost, srv.URL+"/tci/execute", io.NopCloser(strings.NewReader("{}")))
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.doer.Do(req)
	asAPIError(t, err)
	if requests.get() != 1 {
		t.Errorf("requests = %d, want 1: the body cannot be sent again", requests.get())
	}
}

func TestMiddlewareWrapsEachAttempt(t *testing.T) {
	requests := &counter{}
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Trace") != "outer,inner" {
			t.Errorf("X-Trace = %q, want outer then inner", r.Header.Get("X-Trace"))
		}
		if requests.add() == 1 {
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return
		}
		writeJSON(w, okSessionsBody)
	})
	var mu sync.Mutex
	var order []string
	tag := func(name string) Option {
		return WithMiddleware(func(req *http.Request, next func(*http.Request) (*http.Response, error)) (*http.Response, error) {
			mu.Lock()
			order = append(order, name)
			mu.Unlock()
			trace := name
			if prev := req.Header.Get("X-Trace"); prev != "" {
				trace = prev + "," + name
			}
			req.Header.Set("X-Trace", trace)
			return next(req)
		})
	}
	c, _ := newClient(t, srv.URL, tag("outer"), tag("inner"))

	if _, err := c.ListSessions(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(order, " "); got != "outer inner outer inner" {
		t.Errorf("middleware calls = %q, want both once per attempt, outer first", got)
	}
}

func TestMiddlewareCanRespond(t *testing.T) {
	respond := WithMiddleware(func(req *http.Request, next func(*http.Request) (*http.Response, error)) (*http.Response, error) {
		return &http.Response{
			StatusCode: http.StatusOK, Status: "200 OK",
			Header:        http.Header{"Content-Type": {"application/json"}},
			Body:          io.NopCloser(strings.NewReader(okSessionsBody)),
			ContentLength: -1, Request: req,
		}, nil
	})
	c, _ := newClient(t, "http://127.0.0.1:1", respond)
	sessions, err := c.ListSessions(context.Background())
	if err != nil || len(sessions) != 1 {
		t.Errorf("ListSessions = %v, %v; want the middleware's session", sessions, err)
	}
}

func TestMiddlewareReturningNothing(t *testing.T) {
	nothing := WithMiddleware(func(*http.Request, func(*http.Request) (*http.Response, error)) (*http.Response, error) {
		return nil, nil
	})
	c, _ := newClient(t, "http://127.0.0.1:1", nothing)
	_, err := c.ListSessions(context.Background())
	if err == nil || !strings.Contains(err.Error(), "middleware returned neither a response nor an error") {
		t.Errorf("error = %v, want one naming the middleware", err)
	}
}

func TestDebugLogsEachAttempt(t *testing.T) {
	requests := &counter{}
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		if requests.add() == 1 {
			http.Error(w, "busy", http.StatusTooManyRequests)
			return
		}
		writeJSON(w, okSessionsBody)
	})
	logger, logs := logBuffer()
	c, _ := newClient(t, srv.URL, WithLogger(logger), withClock(time.Now(), 0))

	if _, err := c.ListSessions(context.Background()); err != nil {
		t.Fatal(err)
	}
	var records []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		var record map[string]any
		if err := json.Unmarshal([]byte(line), &record); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		records = append(records, record)
	}
	if len(records) != 2 {
		t.Fatalf("records = %d, want one per attempt:\n%s", len(records), logs)
	}
	first, second := records[0], records[1]
	checks := []struct {
		name      string
		got, want any
	}{
		{"first status", first["status"], float64(429)},
		{"first retry", first["retry"], true},
		{"first wait", first["wait"], float64(500 * time.Millisecond)},
		{"first attempt", first["attempt"], float64(1)},
		{"second status", second["status"], float64(200)},
		{"second retry", second["retry"], false},
		{"method", first["method"], "GET"},
		{"url", first["url"], srv.URL + "/tci/sessions"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	if reason, _ := first["reason"].(string); !strings.Contains(reason, "429") {
		t.Errorf("first reason = %q, want the status", reason)
	}
	if _, ok := first["duration"]; !ok {
		t.Error("first record has no duration")
	}
}
