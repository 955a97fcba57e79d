package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/tcikit/tci/contract/proxy"
	"github.com/tcikit/tci/internal/keyguard"
	"github.com/tcikit/tci/server"
)

// proxyShutdownGrace is how long a stopping proxy waits for requests in flight. It covers an
// execute that runs until the reference server's default execute timeout.
const proxyShutdownGrace = server.DefaultExecTimeout + shutdownMargin

func runProxy(c *cli, args []string) error {
	fs := newFlagSet("proxy")
	upstream := fs.String("upstream", "", "`URL` of the server to forward to, such as http://127.0.0.1:8080/v1")
	listen := fs.String("listen", proxy.DefaultListenAddr, "`address` to listen on as HOST:PORT; port 0 picks "+
		"a free port")
	mode := fs.String("mode", string(proxy.ModeReport), "`mode`: report forwards everything and logs "+
		"violations, enforce rejects them")
	logFormat := fs.String("log-format", proxy.LogFormatText, "`format` of the log on stderr: text or json")
	if _, err := c.parse(fs, args, 0); err != nil {
		return err
	}
	if *upstream == "" {
		return usageErrorf(`missing --upstream URL, the server to forward to; run "tci proxy -h" for usage`)
	}
	proxyMode, err := proxy.ParseMode(*mode)
	if err != nil {
		return usageErrorf("--mode: %v", err)
	}
	logger, err := proxy.NewLogger(c.stderr, *logFormat, slog.LevelInfo)
	if err != nil {
		return usageErrorf("--log-format: %v", err)
	}
	p, err := proxy.New(*upstream, proxy.WithMode(proxyMode), proxy.WithLogger(logger))
	if err != nil {
		return usageErrorf("--upstream: %v", err)
	}
	if _, _, err := net.SplitHostPort(*listen); err != nil {
		return usageErrorf("--listen %q: %v; use HOST:PORT, such as %s", *listen, err, proxy.DefaultListenAddr)
	}
	listener, err := net.Listen("tcp", *listen)
	if err != nil {
		return failedError(fmt.Errorf("listen on %s: %w", *listen, err))
	}

	// The proxy forwards executes that may run for minutes, so it sets no write timeout.
	httpServer := &http.Server{Handler: p, ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- httpServer.Serve(listener) }()
	fmt.Fprintf(c.stdout, "TOGETHER_BASE_URL=%s\n", proxyBaseURL(listener.Addr(), p.Upstream()))
	logger.Info("proxy listening", "addr", listener.Addr().String(), "upstream", p.Upstream().Redacted(),
		"mode", proxyMode)
	if host, _, _ := net.SplitHostPort(listener.Addr().String()); !keyguard.IsLoopback(host) {
		logger.Warn("listening beyond loopback: other hosts can send requests through the proxy")
	}

	select {
	case <-c.ctx.Done():
	case err := <-served:
		return failedError(fmt.Errorf("serve on %s: %w", listener.Addr(), err))
	}
	ctx, cancel := context.WithTimeout(context.Background(), proxyShutdownGrace)
	defer cancel()
	if err := httpServer.Shutdown(ctx); err != nil {
		_ = httpServer.Close()
	}
	logger.Info("proxy stopped")
	return nil
}

// proxyBaseURL returns the base URL for clients of the proxy. The proxy puts the upstream's
// path in front of each request path, so an upstream such as http://HOST/v1 makes the
// proxy's root the base URL. An upstream without a path gets /v1, the path of the spec's
// server URL that the reference server also serves.
func proxyBaseURL(addr net.Addr, upstream *url.URL) string {
	base := "http://" + dialAddress(addr)
	if strings.Trim(upstream.Path, "/") == "" {
		base += server.BasePath
	}
	return base
}
