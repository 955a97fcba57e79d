// Package proxy is a reverse proxy that validates Code Interpreter API traffic against the
// spec as it passes, the library behind "tci proxy".
//
// Requests that match a spec operation (POST /tci/execute, GET /tci/sessions) under any base
// path are buffered, up to a size cap, and judged by the validator that the wrapper client
// uses. Their responses are buffered and judged the same way. Requests to other paths are
// forwarded untouched, with their bodies streamed in both directions.
//
// In ModeReport the proxy forwards everything, logs each violation with log/slog and adds
// ViolationsHeader to the responses of spec operations. In ModeEnforce it responds with 400
// to a violating request without forwarding it and replaces a violating response with a 502.
// Both carry the failure shape of the spec, {"data": null, "errors": [...]}. Bodies above the
// cap are forwarded unvalidated in report mode and rejected in enforce mode.
//
// The proxy never logs headers or bodies, so the Authorization header stays out of the log.
//
// A command serves a Proxy like any handler:
//
//	logger, err := proxy.NewLogger(os.Stderr, proxy.LogFormatText, slog.LevelInfo)
//	if err != nil {
//		return err
//	}
//	p, err := proxy.New("http://127.0.0.1:8787",
//		proxy.WithMode(proxy.ModeEnforce),
//		proxy.WithLogger(logger))
//	if err != nil {
//		return err
//	}
//	server := &http.Server{Addr: proxy.DefaultListenAddr, Handler: p}
//	return server.ListenAndServe()
//
// Clients then use http://127.0.0.1:8788/v1 as their base URL.
package proxy
