// Package tcitest starts a Code Interpreter API server for the tests of a client: the
// reference implementation of package server on a loopback httptest server, with its own
// Python sessions.
//
// The server fails the test for every request that violates the spec and records each
// request for assertions. It also injects faults into the next N requests: an error status,
// with or without Retry-After, added latency, a dropped connection, a malformed body or a body
// that breaks the spec.
//
//	func TestClientRetries(t *testing.T) {
//		srv := tcitest.NewServer(t, tcitest.WithToken("test-token"))
//		srv.Inject(2, tcitest.Fault{Status: http.StatusServiceUnavailable, RetryAfter: time.Second})
//
//		client := myclient.New(srv.URL(), "test-token")
//		if _, err := client.Execute(ctx, "print(1)"); err != nil {
//			t.Fatal(err)
//		}
//		if got := len(srv.Requests()); got != 3 {
//			t.Errorf("%d requests, expected 3", got)
//		}
//	}
//
// Recorded requests keep their headers with the credentials of Authorization replaced by
// Redacted, so that a failing test never prints a token.
package tcitest
