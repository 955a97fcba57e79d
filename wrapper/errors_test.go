package wrapper

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tcikit/tci/server"
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

func TestNotFoundWithoutV1SuggestsIt(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) { http.NotFound(w, r) })
	c, _ := newClient(t, srv.URL)

	_, err := c.ListSessions(context.Background())
	if !errors.Is(err, ErrEndpointNotFound) {
		t.Fatalf("error = %v, want ErrEndpointNotFound", err)
	}
	if want := "so try the base URL " + srv.URL + "/v1"; !strings.HasSuffix(err.Error(), want) {
		t.Errorf("Error() = %q, want it to end with %q", err, want)
	}
	if strings.Contains(err.Error(), "removed in 2026-09") {
		t.Errorf("Error() = %q, want the /v1 hint in place of the removed service", err)
	}
}

func TestSessionNotFoundWithoutV1HasNoHint(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotFound)
		_, _ = io.WriteString(w, `{"data":null,"errors":[{"code":"session_not_found","message":"gone"}]}`)
	})
	c, _ := newClient(t, srv.URL)

	_, err := c.Execute(context.Background(), "1", WithSessionID("ses_a"))
	if apiErr := asAPIError(t, err); apiErr.Hint != "" {
		t.Errorf("Hint = %q, want none for an API error the server reported", apiErr.Hint)
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
	if err == nil || !strings.Contains(err.Error(), "no API key was sent; give the client the server's key, "+
		"such as in TOGETHER_API_KEY") {
		t.Errorf("error = %v, want the hint about the key", err)
	}
	if strings.Contains(err.Error(), "WithAPIKey") {
		t.Errorf("error = %v names a Go option, which a command's user cannot set", err)
	}

	keyed, _ := newClient(t, srv.URL)
	_, err = keyed.ListSessions(context.Background())
	if err == nil || strings.Contains(err.Error(), "no API key") {
		t.Errorf("error with a key = %v, want no hint about a missing key", err)
	}
}

// startReference serves the reference server on loopback and returns its base URL.
func startReference(t *testing.T, options ...server.Option) string {
	t.Helper()
	srv, err := server.New(options...)
	if err != nil {
		t.Fatalf("server.New: %v", err)
	}
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(func() {
		hs.Close()
		if err := srv.Close(); err != nil {
			t.Errorf("close the reference server: %v", err)
		}
	})
	return hs.URL + server.BasePath
}

func TestUnknownSessionIsServerReported(t *testing.T) {
	baseURL := startReference(t)
	c, _ := newClient(t, baseURL)

	_, err := c.Execute(context.Background(), "print(1)", WithSessionID("ses_unknown"))
	apiErr := asAPIError(t, err)
	if apiErr.StatusCode != http.StatusNotFound {
		t.Errorf("StatusCode = %d, want 404", apiErr.StatusCode)
	}
	if errors.Is(err, ErrEndpointNotFound) {
		t.Error("an unknown session matches ErrEndpointNotFound")
	}
	var failed *FailedError
	if errors.As(err, &failed) {
		t.Error("a 404 reaches a *FailedError, which is only for 2xx responses")
	}
	if len(apiErr.Errors) != 1 {
		t.Fatalf("Errors = %v, want the server's one error", apiErr.Errors)
	}
	detail, detailErr := apiErr.Errors[0].AsErrorDetail()
	if detailErr != nil || detail["code"] != "session_not_found" {
		t.Errorf("Errors[0] = %v, %v; want code session_not_found", detail, detailErr)
	}
	messages := apiErr.Messages()
	if len(messages) != 1 || !strings.HasPrefix(messages[0], `session "ses_unknown" not found`) {
		t.Errorf("Messages = %q, want the server's message", messages)
	}
	want := "POST " + baseURL + `/tci/execute: 404 Not Found: session "ses_unknown" not found`
	if !strings.HasPrefix(err.Error(), want) {
		t.Errorf("Error() = %q, want it to start with %q", err, want)
	}
	for _, unwanted := range []string{"removed in 2026-09", `"data"`} {
		if strings.Contains(err.Error(), unwanted) {
			t.Errorf("Error() = %q contains %q", err, unwanted)
		}
	}
}

func TestReferenceUnknownPathIsServerReported(t *testing.T) {
	baseURL := startReference(t)
	// The API lives under /v1, so the server's root serves no operation.
	c, _ := newClient(t, strings.TrimSuffix(baseURL, server.BasePath))

	_, err := c.ListSessions(context.Background())
	apiErr := asAPIError(t, err)
	if errors.Is(err, ErrEndpointNotFound) || strings.Contains(err.Error(), "removed in 2026-09") {
		t.Errorf("error = %v, want the server's own message without the hint", err)
	}
	if !strings.Contains(err.Error(), "404 Not Found: no API operation at GET") {
		t.Errorf("Error() = %q, want the server's message", err)
	}
	if want := "so try the base URL " + baseURL; !strings.HasSuffix(err.Error(), want) {
		t.Errorf("Error() = %q, want it to end with %q", err, want)
	}
	if len(apiErr.Errors) != 1 {
		t.Errorf("Errors = %v, want one", apiErr.Errors)
	}
}

func TestReferenceMissingTokenIsServerReported(t *testing.T) {
	baseURL := startReference(t, server.WithToken("reference-token"))
	c, err := New(WithBaseURL(baseURL), WithEnvironment(nil))
	if err != nil {
		t.Fatal(err)
	}

	_, err = c.ListSessions(context.Background())
	apiErr := asAPIError(t, err)
	if apiErr.StatusCode != http.StatusUnauthorized || len(apiErr.Errors) == 0 {
		t.Fatalf("error = %v, want a 401 with the server's errors", err)
	}
	if !strings.Contains(err.Error(), "no API key was sent") {
		t.Errorf("Error() = %q, want the hint about the missing key", err)
	}
}

func TestNotFoundBodyDecidesHint(t *testing.T) {
	tests := []struct {
		name        string
		contentType string
		body        string
		reported    []string // messages when the body is a failure, nil otherwise
	}{
		{"HTML page", "text/html", "<html><title>404 Not Found</title></html>", nil},
		{"empty body", "", "", nil},
		{"detail object", "application/json", `{"detail":"Not Found"}`, nil},
		{"empty errors", "application/json", `{"data":null,"errors":[]}`, nil},
		{"errors not an array", "application/json", `{"data":null,"errors":"gone"}`, nil},
		{"data set", "application/json", `{"data":{},"errors":["gone"]}`, nil},
		{"truncated failure", "application/json", `{"data":null,"errors":["gone"`, nil},
		{"failure", "application/json", `{"data":null,"errors":[{"code":"session_not_found",` +
			`"message":"session gone"}]}`, []string{"session gone"}},
		{"failure without data", "application/json", `{"errors":["gone"]}`, []string{"gone"}},
		{"failure as text/plain", "text/plain", `{"data":null,"errors":["gone",{"code":"x"}]}`,
			[]string{"gone", `{"code":"x"}`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
				if tt.contentType != "" {
					w.Header().Set("Content-Type", tt.contentType)
				}
				w.WriteHeader(http.StatusNotFound)
				_, _ = io.WriteString(w, tt.body)
			})
			c, _ := newClient(t, srv.URL)
			_, err := c.Execute(context.Background(), "1", WithSessionID("ses_a"))
			apiErr := asAPIError(t, err)

			reported := tt.reported != nil
			if got := errors.Is(err, ErrEndpointNotFound); got == reported {
				t.Errorf("errors.Is(ErrEndpointNotFound) = %v for %s", got, tt.body)
			}
			if got := strings.Contains(err.Error(), "does not exist at"); got == reported {
				t.Errorf("Error() = %q: hint shown %v, want %v", err, got, !reported)
			}
			if got := apiErr.Messages(); !slices.Equal(got, tt.reported) {
				t.Errorf("Messages = %q, want %q", got, tt.reported)
			}
			if reported && !strings.Contains(err.Error(), "404 Not Found: "+strings.Join(tt.reported, "; ")) {
				t.Errorf("Error() = %q, want the messages after the status", err)
			}
		})
	}
}

func TestAPIErrorShowsFiveMessages(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		_, _ = io.WriteString(w, `{"data":null,"errors":["a","b","c","d","e","f","g"]}`)
	})
	c, _ := newClient(t, srv.URL)
	_, err := c.Execute(context.Background(), "1")
	if apiErr := asAPIError(t, err); len(apiErr.Messages()) != 7 {
		t.Errorf("Messages = %q, want all seven", apiErr.Messages())
	}
	if want := ": 400 Bad Request: a; b; c; d; e; and 2 more"; !strings.HasSuffix(err.Error(), want) {
		t.Errorf("Error() = %q, want it to end with %q", err, want)
	}
}

func TestFailureBodyOverCapIsNotDecoded(t *testing.T) {
	long := strings.Repeat("x", maxErrorBodyBytes)
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotFound)
		_, _ = io.WriteString(w, `{"data":null,"errors":["`+long+`"]}`)
	})
	c, _ := newClient(t, srv.URL)
	_, err := c.ListSessions(context.Background())
	if apiErr := asAPIError(t, err); apiErr.Errors != nil {
		t.Errorf("Errors has %d items, want nil for a body cut at %d bytes", len(apiErr.Errors), maxErrorBodyBytes)
	}
	if !errors.Is(err, ErrEndpointNotFound) {
		t.Errorf("error = %.200v, want ErrEndpointNotFound for a body that is no longer JSON", err)
	}
}

func TestErrorCodesPerItem(t *testing.T) {
	_, err := DecodeExecuteResponse([]byte(`{"data":null,"errors":["plain",` +
		`{"code":"session_not_found","message":"gone"},{"code":7},{"message":"no code"}]}`))
	var failed *FailedError
	if !errors.As(err, &failed) {
		t.Fatalf("error = %v, want a *FailedError", err)
	}
	want := []string{"", "session_not_found", "", ""}
	if got := failed.Codes(); !slices.Equal(got, want) {
		t.Errorf("Codes = %q, want %q", got, want)
	}
	apiErr := &APIError{Errors: failed.Errors}
	if got := apiErr.Codes(); !slices.Equal(got, want) {
		t.Errorf("APIError.Codes = %q, want %q", got, want)
	}
}
