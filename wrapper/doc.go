// Package wrapper is a client for the Code Interpreter API (POST /tci/execute and GET
// /tci/sessions) built on the generated client in package generated.
//
// Together removed its hosted Code Interpreter in 2026-09, so point the client at a compatible
// server, such as one started with "tci serve", through WithBaseURL or TOGETHER_BASE_URL:
//
//	client, err := wrapper.New(wrapper.WithBaseURL("http://127.0.0.1:8080/v1"))
//	if err != nil {
//		return err
//	}
//	result, err := client.Execute(ctx, "print(6 * 7)")
//	if err != nil {
//		return err
//	}
//	if err := result.Err(); err != nil {
//		return err // the code raised an exception
//	}
//	fmt.Print(result.Stdout()) // 42
//
//	// Later calls can run in the same interpreter.
//	result, err = client.Execute(ctx, "x = 1", wrapper.WithSessionID(result.SessionID))
//
// New reads TOGETHER_API_KEY and TOGETHER_BASE_URL for what the options leave unset.
// WithEnvironment replaces os.Getenv for that, and WithEnvironment(nil) reads no variable.
//
// # Errors
//
// Errors fall into four groups, each with its own type, so that a command can map them to exit
// codes:
//
//   - *APIError: no usable HTTP response. StatusCode is 0 for a transport failure (refused
//     connection, timeout, cancellation) and the status for a response outside 2xx. When the
//     body of such a response has the failure shape {"data": null, "errors": [...]}, Errors
//     holds its items, such as the reference server's 404 session_not_found for an unknown,
//     expired or ended session. A 404 on a /tci/ path with any other body matches
//     ErrEndpointNotFound. Timeouts and cancellations match context.DeadlineExceeded and
//     context.Canceled with errors.Is. Hint is advice on the next step, such as appending /v1
//     to a base URL that serves no API. It names no options, so a command can replace it.
//   - *InvalidResponseError: a 2xx response that cannot be used because it is empty, truncated,
//     too large (ErrResponseTooLarge), not JSON, not UTF-8, of the wrong content type or
//     against the spec. Violations lists each problem with a JSON pointer.
//   - *FailedError: the server responded with 2xx and reported failure in "errors".
//   - *CodeError, from Result.Err: the code ran and raised an exception.
//
// A server reports failure in "errors" with a 2xx status, which yields a *FailedError, or with
// another status, which yields an *APIError with Errors set. Both types have Errors and
// Messages. An *APIError never wraps a *FailedError, so the status alone decides the group and
// a switch over the types classifies an error the same way in any order. A 401, 429 or 503
// that carries errors thus stays a request error, which a retry or a new key may fix, and is
// never mistaken for a failed execution.
//
// An invalid value given to an option, or to New through TOGETHER_API_KEY or TOGETHER_BASE_URL,
// is an *OptionError, whose Option names where the value came from and whose message names
// the value and what to do. Calls return plain errors for other invalid arguments, such as
// code that is not UTF-8, and New returns one wrapping ErrInsecureHTTP when the API key would
// travel over plain HTTP.
//
// # Validation
//
// Every 2xx body is read once, up to WithMaxResponseBytes, and checked against the embedded
// openapi.yaml with package validate before it is decoded. ValidationStrict, the default,
// returns an *InvalidResponseError for any violation. ValidationReport logs violations and
// returns the result when the body still decodes without guessing. ValidationOff only decodes.
//
// # Retries
//
// A call is retried at most DefaultMaxRetries times (WithMaxRetries), with exponential backoff
// and jitter or the wait the server requests in Retry-After-Ms or Retry-After, both capped. GET
// /tci/sessions is retried after network errors, timeouts, 408, 409, 429 and 5xx. POST
// /tci/execute is retried only when the server cannot have run the code: the connection was
// never established, a 429, or a 503 with Retry-After or Retry-After-Ms. It is never retried
// after a timeout or on 500, 502 or 504, because the code may have run, and running it twice
// in a session can change the session's state twice. "x-should-retry: true" or "false" from
// the server overrides the rule.
//
// # Secrets
//
// The API key is sent only as "Authorization: Bearer" to the base URL's origin: a redirect to
// another scheme, host or port loses the header, and New rejects plain http:// to a host that
// is not loopback unless WithInsecureHTTP allows it. The key is removed from every error, log
// record and recovered middleware panic this package produces, even when a server echoes it.
package wrapper
