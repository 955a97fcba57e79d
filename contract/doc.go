// Package contract tests Code Interpreter API traffic against the spec, in both directions:
// Check tests a server, and ValidateBody and ValidateHAR judge messages that a client sent or
// received. Package contract/proxy judges live traffic, and package tcitest gives a client's
// own tests a reference server that fails them on requests that break the spec. All of them
// use the validator that the wrapper client uses, validate.Embedded.
//
// The functions take readers, writers and a context and return reports, so that a command
// such as "tci check" only parses flags and picks the rendering.
//
// # Check
//
// Check runs named scenarios against a server, one after another, and validates every
// response. Scenarios speak raw HTTP, so that they can also send requests that break the spec.
//
//	report, err := contract.Check(ctx, "http://127.0.0.1:8787/v1",
//		contract.WithAPIKey(key),
//		contract.WithRun("^execute/"))
//	if err != nil {
//		return err // invalid options, or a pattern that selects nothing
//	}
//	report.WriteTable(os.Stdout) // or report.WriteJSON
//	if !report.Passed() {
//		os.Exit(1)
//	}
//
// Check sends the key of WithAPIKey only to the base URL's origin, so a redirect to another
// scheme, host or port loses it. Check rejects a plain http:// base URL to a host that is not
// loopback with an error wrapping ErrInsecureHTTP, unless WithInsecureHTTP allows it.
//
// The auth scenarios, auth/missing-token and auth/wrong-token, need the API key that the
// server requires. Without WithAPIKey they are skipped with that reason, because a server that
// requires no token accepts every request and the scenarios could not tell it from a server
// that ignores tokens. Passed counts skipped scenarios as not failed; a caller that requires
// every scenario to run checks Count(Skip) as well.
//
// # Validate
//
// ValidateBody judges one request or response body against an operation. ValidateHAR judges
// every entry of a HAR 1.2 capture whose request matches an operation under any base URL:
//
//	report, err := contract.ValidateHAR(file)
//	if err != nil {
//		return err // unreadable or malformed input: exit 2
//	}
//	report.WriteText(os.Stdout) // one violation per line, then a summary
//	if !report.Valid() {
//		os.Exit(1)
//	}
package contract
