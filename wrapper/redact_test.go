package wrapper

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

// canaryKey is an API key that must never appear in any output of the package.
const canaryKey = "sk-canary-5d1f0c9e8b7a6d5c4b3a2f1e"

// echoServer reflects the Authorization header of each request into the response, in the
// place that the current scenario selects, as a hostile or badly configured server might.
type echoServer struct {
	mu       sync.Mutex
	scenario string
}

func (e *echoServer) set(scenario string) {
	e.mu.Lock()
	e.scenario = scenario
	e.mu.Unlock()
}

func (e *echoServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	e.mu.Lock()
	scenario := e.scenario
	e.mu.Unlock()
	// Reading the body first lets the server notice when the client goes away.
	_, _ = io.ReadAll(r.Body)
	auth := r.Header.Get("Authorization")
	key := strings.TrimPrefix(auth, "Bearer ")
	switch scenario {
	case "401":
		w.Header().Set("X-Request-Id", key)
		w.Header().Set("Www-Authenticate", `Bearer error="invalid_token", token="`+key+`"`)
		http.Error(w, "invalid key "+auth, http.StatusUnauthorized)
	case "404":
		http.Error(w, "no route for "+auth, http.StatusNotFound)
	case "404 failure":
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotFound)
		_, _ = io.WriteString(w, `{"data":null,"errors":[{"code":"session_not_found","message":"`+auth+`"}]}`)
	case "invalid":
		w.Header().Set("X-Request-Id", "req-"+key)
		writeJSON(w, `{"data":{"sessions":[{"id":"`+key+`","execute_count":1,"started_at":"`+key+`",`+
			`"last_execute_at":"`+key+`","expires_at":"`+key+`"}]}}`)
	case "failed":
		writeJSON(w, `{"data":null,"errors":["bad key `+key+`",{"message":"`+auth+`"},{"key":"`+key+`"}]}`)
	case "code error":
		writeJSON(w, `{"data":{"session_id":"s","outputs":[{"type":"error","data":"KeyError: `+key+`"}]},"errors":null}`)
	case "html":
		w.Header().Set("Content-Type", "text/html")
		_, _ = io.WriteString(w, "<title>"+key+"</title>")
	case "slow":
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	case "ok":
		writeJSON(w, okSessionsBody)
	}
}

func TestKeyNeverLeaks(t *testing.T) {
	echo := &echoServer{}
	srv := newServer(t, echo.ServeHTTP)
	logger, logs := logBuffer()
	panicky := WithMiddleware(func(req *http.Request, next func(*http.Request) (*http.Response, error)) (*http.Response, error) {
		if req.Header.Get("X-Panic") != "" {
			panic(fmt.Sprintf("middleware saw %v", req.Header))
		}
		return next(req)
	})
	options := []Option{WithBaseURL(srv.URL), WithAPIKey(canaryKey), WithLogger(logger), panicky,
		withSleep((&waits{}).sleep), WithTimeout(100 * time.Millisecond)}
	strict, err := New(options...)
	if err != nil {
		t.Fatal(err)
	}
	report, err := New(append(options, WithValidation(ValidationReport))...)
	if err != nil {
		t.Fatal(err)
	}

	var outputs []string
	record := func(name string, v any) {
		outputs = append(outputs, fmt.Sprintf("%s: %v | %+v | %#v | %s | %q", name, v, v, v, v, v))
		if data, err := json.Marshal(v); err == nil {
			outputs = append(outputs, string(data))
		}
	}
	recordErr := func(name string, err error) {
		if err == nil {
			t.Errorf("%s: no error, want one", name)
			return
		}
		record(name, err)
		var apiErr *APIError
		if errors.As(err, &apiErr) {
			record(name+" body", string(apiErr.Body))
			record(name+" header", apiErr.Header)
			record(name+" messages", apiErr.Messages())
			raw, _ := json.Marshal(apiErr.Errors)
			record(name+" errors", string(raw))
		}
		var invalidErr *InvalidResponseError
		if errors.As(err, &invalidErr) {
			record(name+" body", string(invalidErr.Body))
			record(name+" violations", invalidErr.Violations)
		}
		var failed *FailedError
		if errors.As(err, &failed) {
			record(name+" messages", failed.Messages())
			raw, _ := json.Marshal(failed.Errors)
			record(name+" errors", string(raw))
		}
		for e := err; e != nil; e = errors.Unwrap(e) {
			record(name+" chain", e.Error())
		}
	}

	ctx := context.Background()
	for _, scenario := range []string{"401", "404", "404 failure", "invalid", "failed", "html", "slow"} {
		echo.set(scenario)
		_, err := strict.ListSessions(ctx)
		recordErr(scenario, err)
		_, err = strict.Execute(ctx, "1")
		recordErr(scenario+" execute", err)
	}
	echo.set("invalid")
	_, err = report.ListSessions(ctx)
	recordErr("report invalid", err)

	echo.set("code error")
	result, err := strict.Execute(ctx, "1")
	if err != nil {
		t.Fatal(err)
	}
	recordErr("code error", result.Err())

	setPanic := WithMiddleware(func(req *http.Request, next func(*http.Request) (*http.Response, error)) (*http.Response, error) {
		req.Header.Set("X-Panic", "1")
		return next(req)
	})
	panicking, err := New(append([]Option{setPanic}, options...)...)
	if err != nil {
		t.Fatal(err)
	}
	echo.set("ok")
	_, err = panicking.ListSessions(ctx)
	if err == nil || !strings.Contains(err.Error(), "middleware panicked: middleware saw") {
		t.Errorf("error = %v, want the recovered panic", err)
	}
	recordErr("panic", err)

	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	_ = closed.Close()
	unreachable, err := New(append(options, WithBaseURL("http://"+closed.Addr().String()))...)
	if err != nil {
		t.Fatal(err)
	}
	_, err = unreachable.Execute(ctx, "1")
	recordErr("connection refused", err)

	record("client", strict)
	record("client value", *strict)
	record("option", WithAPIKey(canaryKey))
	record("options", options)
	record("secret", newSecret(canaryKey))
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d"} {
		for _, v := range []any{strict, *strict, []*Client{strict}, struct{ c *Client }{strict},
			struct{ c Client }{*strict}, newSecret(canaryKey), strict.cfg, strict.doer} {
			outputs = append(outputs, fmt.Sprintf(verb, v))
		}
	}
	outputs = append(outputs, logs.String())

	if !strings.Contains(logs.String(), `"level":"DEBUG"`) || !strings.Contains(logs.String(), `"level":"WARN"`) {
		t.Errorf("logs lack debug or warning records, so the test did not cover them:\n%s", logs)
	}
	for _, out := range outputs {
		if strings.Contains(out, canaryKey) {
			t.Errorf("the API key leaked into: %s", out)
		}
	}
	if !strings.Contains(strings.Join(outputs, "\n"), redacted) {
		t.Error("no output shows [REDACTED], so the servers never echoed the key")
	}
}

func TestSecretPrintsRedacted(t *testing.T) {
	s := newSecret("hunter2")
	for _, got := range []string{
		fmt.Sprint(s), fmt.Sprintf("%s|%v|%+v|%#v|%q|%x", s, s, s, s, s, s),
		fmt.Sprint(struct{ Key secret }{s}),
	} {
		if strings.Contains(got, "hunter2") || strings.Contains(got, fmt.Sprintf("%x", "hunter2")) {
			t.Errorf("output %q shows the secret", got)
		}
	}
	data, err := json.Marshal(struct{ Key secret }{s})
	if err != nil || string(data) != `{"Key":"[REDACTED]"}` {
		t.Errorf("json = %s, %v", data, err)
	}
	var buf bytes.Buffer
	slog.New(slog.NewTextHandler(&buf, nil)).Info("x", "key", s)
	if strings.Contains(buf.String(), "hunter2") {
		t.Errorf("slog output %q shows the secret", buf.String())
	}
}

func TestRedirectToOtherOriginDropsKey(t *testing.T) {
	var mu sync.Mutex
	seen := map[string][]string{}
	target := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen[r.Method] = r.Header.Values("Authorization")
		mu.Unlock()
		_, _ = io.ReadAll(r.Body)
		if r.Method == http.MethodPost {
			writeJSON(w, okExecuteBody)
			return
		}
		writeJSON(w, okSessionsBody)
	})
	origin := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		// 307 keeps the method and body, so POST follows the redirect too.
		http.Redirect(w, r, target.URL+r.URL.Path, http.StatusTemporaryRedirect)
	})
	c, _ := newClient(t, origin.URL)

	if _, err := c.ListSessions(context.Background()); err != nil {
		t.Fatalf("ListSessions: %v", err)
	}
	if _, err := c.Execute(context.Background(), "1"); err != nil {
		t.Fatalf("Execute: %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	for _, method := range []string{http.MethodGet, http.MethodPost} {
		if auth, ok := seen[method]; !ok || len(auth) != 0 {
			t.Errorf("%s reached the other origin with Authorization %q (reached: %v), want it without", method, auth, ok)
		}
	}
}

func TestRedirectWithinOriginKeepsKey(t *testing.T) {
	var auth string
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/old/") {
			http.Redirect(w, r, "/new/tci/sessions", http.StatusFound)
			return
		}
		auth = r.Header.Get("Authorization")
		writeJSON(w, okSessionsBody)
	})
	c, _ := newClient(t, srv.URL+"/old")

	if _, err := c.ListSessions(context.Background()); err != nil {
		t.Fatal(err)
	}
	if auth != "Bearer "+testKey {
		t.Errorf("Authorization after a same-origin redirect = %q, want the key", auth)
	}
}

func TestHTTPClientCopiedPolicyKept(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/elsewhere", http.StatusFound)
	})
	calls := 0
	policy := func(*http.Request, []*http.Request) error {
		calls++
		return http.ErrUseLastResponse
	}
	caller := &http.Client{CheckRedirect: policy}
	c, _ := newClient(t, srv.URL, WithHTTPClient(caller))

	_, err := c.ListSessions(context.Background())
	apiErr := asAPIError(t, err)
	if apiErr.StatusCode != http.StatusFound || calls != 1 {
		t.Errorf("status = %d, policy calls = %d; want the 302 and one call", apiErr.StatusCode, calls)
	}
	if reflect.ValueOf(caller.CheckRedirect).Pointer() != reflect.ValueOf(policy).Pointer() {
		t.Error("the caller's http.Client was changed")
	}
}

func TestNewRejectsKeyOverPlainHTTP(t *testing.T) {
	tests := []struct {
		baseURL  string
		opts     []Option
		rejected bool
	}{
		{"http://example.com", []Option{WithAPIKey(testKey)}, true},
		{"http://10.0.0.1:8080", []Option{WithAPIKey(testKey)}, true},
		{"http://127.0.0.1.example.com", []Option{WithAPIKey(testKey)}, true},
		{"http://example.com", []Option{WithAPIKey(testKey), WithInsecureHTTP()}, false},
		{"http://example.com", nil, false},
		{"https://example.com", []Option{WithAPIKey(testKey)}, false},
		{"http://127.0.0.1:8080", []Option{WithAPIKey(testKey)}, false},
		{"http://127.200.0.9", []Option{WithAPIKey(testKey)}, false},
		{"http://[::1]:8080", []Option{WithAPIKey(testKey)}, false},
		{"http://localhost:8080", []Option{WithAPIKey(testKey)}, false},
		{"http://LocalHost.", []Option{WithAPIKey(testKey)}, false},
	}
	t.Setenv(EnvAPIKey, "")
	for _, tt := range tests {
		_, err := New(append([]Option{WithBaseURL(tt.baseURL)}, tt.opts...)...)
		if got := errors.Is(err, ErrInsecureHTTP); got != tt.rejected {
			t.Errorf("New(%s, %d options) = %v, want rejected %v", tt.baseURL, len(tt.opts), err, tt.rejected)
		}
		if tt.rejected && !strings.Contains(err.Error(), "WithInsecureHTTP") {
			t.Errorf("error %q does not name the way out", err)
		}
	}
}

// roundTripperFunc adapts a function to http.RoundTripper.
type roundTripperFunc func(*http.Request) (*http.Response, error)

func (f roundTripperFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestCallRejectsKeyOverPlainHTTP(t *testing.T) {
	network := roundTripperFunc(func(r *http.Request) (*http.Response, error) {
		t.Errorf("request to %s was sent", r.URL)
		return nil, errors.New("no network in this test")
	})
	c, _ := newClient(t, "http://127.0.0.1:1", WithHTTPClient(&http.Client{Transport: network}))
	req, err := http.NewRequest(http.MethodGet, "http://example.com/tci/sessions", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+testKey)

	if _, err := c.doer.Do(req); !errors.Is(err, ErrInsecureHTTP) {
		t.Errorf("Do = %v, want ErrInsecureHTTP", err)
	}
}
