package wrapper

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestAPIErrorFromResponse(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Request-Id", "req_123")
		w.Header().Set("Retry-After", "7")
		w.Header().Set("X-Should-Retry", "false")
		http.Error(w, `{"error":"rate limited"}`, http.StatusTooManyRequests)
	})
	c, _ := newClient(t, srv.URL+"/v1")

	_, err := c.Execute(context.Background(), "1")
	apiErr := asAPIError(t, err)
	want := APIError{
		Method: "POST", URL: srv.URL + "/v1/tci/execute", StatusCode: 429, Status: "429 Too Many Requests",
		RequestID: "req_123", Attempts: 1, RetryAfter: 7 * time.Second,
	}
	if apiErr.Method != want.Method || apiErr.URL != want.URL || apiErr.StatusCode != want.StatusCode ||
		apiErr.Status != want.Status || apiErr.RequestID != want.RequestID ||
		apiErr.Attempts != want.Attempts || apiErr.RetryAfter != want.RetryAfter {
		t.Errorf("APIError = %+v, want %+v", apiErr, want)
	}
	if string(apiErr.Body) != "{\"error\":\"rate limited\"}\n" {
		t.Errorf("Body = %q", apiErr.Body)
	}
	if apiErr.Header.Get("X-Request-Id") != "req_123" {
		t.Errorf("Header = %v, want the response header", apiErr.Header)
	}
	wantMessage := "POST " + srv.URL + `/v1/tci/execute: 429 Too Many Requests: {"error":"rate limited"}`
	if err.Error() != wantMessage {
		t.Errorf("Error() = %q, want %q", err, wantMessage)
	}
	if apiErr.Unwrap() != nil {
		t.Errorf("Unwrap = %v, want nil for a plain status", apiErr.Unwrap())
	}
}

func TestAPIErrorBodyIsCapped(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, strings.Repeat("x", 1<<20), http.StatusBadRequest)
	})
	c, _ := newClient(t, srv.URL)
	_, err := c.ListSessions(context.Background())
	if apiErr := asAPIError(t, err); len(apiErr.Body) != maxErrorBodyBytes {
		t.Errorf("Body has %d bytes, want %d", len(apiErr.Body), maxErrorBodyBytes)
	}
	if len(err.Error()) > 400 {
		t.Errorf("Error() has %d bytes, want a short line", len(err.Error()))
	}
}

func TestNotFoundNamesRemovedService(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) { http.NotFound(w, r) })
	c, _ := newClient(t, srv.URL+"/v1")

	_, err := c.ListSessions(context.Background())
	if !errors.Is(err, ErrEndpointNotFound) {
		t.Fatalf("error = %v, want ErrEndpointNotFound", err)
	}
	message := err.Error()
	for _, want := range []string{
		"GET " + srv.URL + "/v1/tci/sessions: 404 Not Found",
		"does not exist at " + srv.URL + "/v1",
		"removed in 2026-09",
		"set TOGETHER_BASE_URL",
		`"tci serve"`,
	} {
		if !strings.Contains(message, want) {
			t.Errorf("Error() = %q, want it to contain %q", message, want)
		}
	}
	if apiErr := asAPIError(t, err); apiErr.Attempts != 1 {
		t.Errorf("Attempts = %d, want 1", apiErr.Attempts)
	}
}

func TestNotFoundWithEscapedBasePath(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) { http.NotFound(w, r) })
	c, _ := newClient(t, srv.URL+"/a%2Fb")

	_, err := c.ListSessions(context.Background())
	if !errors.Is(err, ErrEndpointNotFound) {
		t.Fatalf("error = %v, want ErrEndpointNotFound", err)
	}
	if !strings.Contains(err.Error(), "does not exist at "+srv.URL+"/a%2Fb:") {
		t.Errorf("Error() = %q, want the escaped base URL", err)
	}
}

func TestUnauthorizedWithoutKeySaysHow(t *testing.T) {
	t.Setenv(EnvAPIKey, "")
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "missing token", http.StatusUnauthorized)
	})
	c, err := New(WithBaseURL(srv.URL))
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.ListSessions(context.Background())
	if err == nil || !strings.Contains(err.Error(), "no API key was sent; set TOGETHER_API_KEY or use WithAPIKey") {
		t.Errorf("error = %v, want the hint about the key", err)
	}

	keyed, _ := newClient(t, srv.URL)
	_, err = keyed.ListSessions(context.Background())
	if err == nil || strings.Contains(err.Error(), "no API key") {
		t.Errorf("error with a key = %v, want no hint about a missing key", err)
	}
}
