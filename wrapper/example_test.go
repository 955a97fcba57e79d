package wrapper_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"

	"github.com/tcikit/tci/wrapper"
)

// exampleServer responds like a Code Interpreter server that ran print(6 * 7) and listed one
// session. It responds with 404 in the failure shape to an execute in session ses_gone, and
// with a plain 404 on any other path.
func exampleServer() *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/tci/execute":
			body, _ := io.ReadAll(r.Body)
			if bytes.Contains(body, []byte(`"session_id":"ses_gone"`)) {
				w.WriteHeader(http.StatusNotFound)
				_, _ = io.WriteString(w, `{"data":null,"errors":[{"code":"session_not_found",`+
					`"message":"session \"ses_gone\" not found"}]}`)
				return
			}
			_, _ = io.WriteString(w, `{"data":{"session_id":"ses_abc","status":"success","outputs":[`+
				`{"type":"stdout","data":"42\n"}]},"errors":null}`)
		case "/tci/sessions":
			_, _ = io.WriteString(w, `{"data":{"sessions":[{"id":"ses_abc","execute_count":1,`+
				`"started_at":"2026-10-01T09:00:00Z","last_execute_at":"2026-10-01T09:00:01Z",`+
				`"expires_at":"2026-10-01T10:00:00Z"}]}}`)
		default:
			http.NotFound(w, r)
		}
	}))
}

func ExampleNew() {
	client, err := wrapper.New(
		wrapper.WithBaseURL("http://127.0.0.1:8080/v1"),
		wrapper.WithAPIKey("my-key"),
		wrapper.WithMaxRetries(1),
		wrapper.WithValidation(wrapper.ValidationReport),
	)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(client.BaseURL(), client.ValidationMode())
	// Output: http://127.0.0.1:8080/v1 report
}

func ExampleNew_insecure() {
	_, err := wrapper.New(wrapper.WithBaseURL("http://example.com"), wrapper.WithAPIKey("my-key"))
	fmt.Println(errors.Is(err, wrapper.ErrInsecureHTTP))
	// Output: true
}

func ExampleClient_Execute() {
	srv := exampleServer()
	defer srv.Close()
	client, err := wrapper.New(wrapper.WithBaseURL(srv.URL))
	if err != nil {
		log.Fatal(err)
	}

	result, err := client.Execute(context.Background(), "print(6 * 7)",
		wrapper.WithTextFile("input.txt", "data\n"))
	if err != nil {
		log.Fatal(err)
	}
	if err := result.Err(); err != nil {
		log.Fatal(err) // the code raised an exception
	}
	fmt.Print(result.Stdout())
	fmt.Println(result.SessionID)
	// Output:
	// 42
	// ses_abc
}

func ExampleClient_ListSessions() {
	srv := exampleServer()
	defer srv.Close()
	client, err := wrapper.New(wrapper.WithBaseURL(srv.URL))
	if err != nil {
		log.Fatal(err)
	}

	sessions, err := client.ListSessions(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	for _, s := range sessions {
		fmt.Println(s.ID, s.ExecuteCount, s.ExpiresAt.Format("15:04"))
	}
	// Output: ses_abc 1 10:00
}

// exitCode maps an error of the package to the exit codes of a command-line tool.
func exitCode(err error) int {
	var apiErr *wrapper.APIError
	var invalidErr *wrapper.InvalidResponseError
	var failed *wrapper.FailedError
	var codeErr *wrapper.CodeError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &failed), errors.As(err, &codeErr):
		return 1 // the execution failed
	case errors.As(err, &apiErr):
		return 3 // transport failure or a status outside 2xx
	case errors.As(err, &invalidErr):
		return 4 // a 2xx response that cannot be used
	}
	return 2 // invalid arguments
}

func Example_errors() {
	srv := exampleServer()
	defer srv.Close()
	// The path /v2 makes the example server respond with 404.
	client, err := wrapper.New(wrapper.WithBaseURL(srv.URL + "/v2"))
	if err != nil {
		log.Fatal(err)
	}

	_, err = client.Execute(context.Background(), "print(1)")
	var apiErr *wrapper.APIError
	if errors.As(err, &apiErr) {
		fmt.Println(apiErr.StatusCode, errors.Is(err, wrapper.ErrEndpointNotFound))
	}
	fmt.Println("exit code", exitCode(err))
	// Output:
	// 404 true
	// exit code 3
}

func ExampleAPIError_serverReported() {
	srv := exampleServer()
	defer srv.Close()
	client, err := wrapper.New(wrapper.WithBaseURL(srv.URL))
	if err != nil {
		log.Fatal(err)
	}

	_, err = client.Execute(context.Background(), "print(1)", wrapper.WithSessionID("ses_gone"))
	var apiErr *wrapper.APIError
	if errors.As(err, &apiErr) && len(apiErr.Errors) > 0 {
		fmt.Println(apiErr.StatusCode, apiErr.Messages())
	}
	fmt.Println(errors.Is(err, wrapper.ErrEndpointNotFound), "exit code", exitCode(err))
	// Output:
	// 404 [session "ses_gone" not found]
	// false exit code 3
}
