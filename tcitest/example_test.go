package tcitest_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/tcikit/tci/tcitest"
)

// execute is the client code under test. It posts code to the execute operation and retries
// 429 and 5xx responses, up to maxAttempts in all, waiting for the delay that Retry-After
// gives. sleep is time.Sleep in production and a recorder in tests.
func execute(baseURL, code string, sleep func(time.Duration)) (stdout string, attempts int, err error) {
	const maxAttempts = 4
	payload, _ := json.Marshal(map[string]string{"code": code, "language": "python"})
	for attempts = 1; ; attempts++ {
		res, err := http.Post(baseURL+"/tci/execute", "application/json", bytes.NewReader(payload))
		if err != nil {
			return "", attempts, err
		}
		retry := res.StatusCode == http.StatusTooManyRequests || res.StatusCode >= 500
		if retry && attempts < maxAttempts {
			res.Body.Close()
			wait, _ := strconv.Atoi(res.Header.Get("Retry-After"))
			sleep(time.Duration(wait) * time.Second)
			continue
		}

		var body struct {
			Data *struct {
				Outputs []struct{ Type, Data string }
			}
		}
		err = json.NewDecoder(res.Body).Decode(&body)
		res.Body.Close()
		if err != nil || body.Data == nil {
			return "", attempts, fmt.Errorf("execute: status %d, decode error %v", res.StatusCode, err)
		}
		for _, output := range body.Data.Outputs {
			if output.Type == "stdout" {
				stdout += output.Data
			}
		}
		return stdout, attempts, nil
	}
}

// ExampleNewServer_retry tests that the client above retries two 503 responses and honours
// their Retry-After header. The test records the waits instead of sleeping, so it runs in
// milliseconds.
func ExampleNewServer_retry() {
	t := &exampleT{} // in a real test, the *testing.T of the test function
	defer t.finish()

	srv := tcitest.NewServer(t)
	srv.Inject(2, tcitest.Fault{Status: http.StatusServiceUnavailable, RetryAfter: 2 * time.Second})

	var waits []time.Duration
	stdout, attempts, err := execute(srv.URL(), `print("hello")`, func(d time.Duration) {
		waits = append(waits, d)
	})
	if err != nil {
		t.Fatalf("execute: %v", err)
	}
	fmt.Printf("stdout %q after %d attempts, waits %v\n", stdout, attempts, waits)
	fmt.Printf("server saw %d requests\n", len(srv.Requests()))
	// Output:
	// stdout "hello\n" after 3 attempts, waits [2s 2s]
	// server saw 3 requests
}

// exampleT replaces the *testing.T that a test function gets and an example does not. It runs
// the cleanups that NewServer registers when the example ends.
type exampleT struct {
	testing.TB
	cleanups []func()
}

func (t *exampleT) Helper()                {}
func (t *exampleT) Cleanup(cleanup func()) { t.cleanups = append(t.cleanups, cleanup) }

func (t *exampleT) Errorf(format string, args ...any) {
	fmt.Printf("error: "+format+"\n", args...)
}

func (t *exampleT) Fatalf(format string, args ...any) {
	panic(fmt.Sprintf(format, args...))
}

func (t *exampleT) finish() {
	for i := len(t.cleanups) - 1; i >= 0; i-- {
		t.cleanups[i]()
	}
}
