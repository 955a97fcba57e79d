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
	"github.com/tcikit/tci/wrapper"
)

// proxyShutdownGrace is how long a stopping proxy waits for requests in flight: as long as a
// client with the wrapper's default timeout waits for a response, which covers the longest
// request to a reference server with its default timeouts.
const proxyShutdownGrace = wrapper.DefaultTimeout + shutdownMargin

// proxyFlags are the flags of "tci proxy".
type proxyFlags struct {
	upstream         string
	listen           string
	mode             string
	logFormat        string
	maxBodyBytes     sizeValue
	insecureUpstream bool
}

func runProxy(c *cli, args []string) error {
	f := proxyFlags{maxBodyBytes: sizeValue(proxy.DefaultMaxBodyBytes)}
	fs := newFlagSet("proxy")
	fs.StringVar(&f.upstream, "upstream", "", "`URL` of the server to forward to, such as http://127.0.0.1:8080/v1")
	fs.StringVar(&f.listen, "listen", proxy.DefaultListenAddr, "`address` to listen on as HOST:PORT; port 0 "+
		"picks a free port")
	fs.StringVar(&f.mode, "mode", string(proxy.ModeReport), "`mode`: report forwards everything and logs "+
		"violations, enforce rejects them")
	fs.StringVar(&f.logFormat, "log-format", proxy.LogFormatText, "`format` of the log on stderr: text or json")
	fs.Var(&f.maxBodyBytes, "max-body-bytes", "largest request or response body of an API operation, in "+
		"`BYTES`, that the proxy buffers and validates; report mode forwards a larger body unvalidated, "+
		"enforce mode rejects it")
	fs.BoolVar(&f.insecureUpstream, "insecure-upstream", false, "forward to a plain http:// upstream that "+
		"is not loopback, although anyone on the network path can read the API keys of the clients")
	if _, err := c.parse(fs, args, 0); err != nil {
		return err
	}
	p, logger, err := newProxy(c, &f)
	if err != nil {
		return err
	}
	if _, _, err := net.SplitHostPort(f.listen); err != nil {
		return usageErrorf("--listen %q: %v; use HOST:PORT, such as %s", f.listen, err, proxy.DefaultListenAddr)
	}
	listener, err := net.Listen("tcp", f.listen)
	if err != nil {
		return failedError(fmt.Errorf("listen on %s: %w", f.listen, err))
	}

	// The proxy forwards executes that may run for minutes, so it sets no write timeout.
	httpServer := &http.Server{Handler: p, ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- httpServer.Serve(listener) }()
	fmt.Fprintf(c.stdout, "TOGETHER_BASE_URL=%s\n", proxyBaseURL(listener.Addr(), p.Upstream()))
	logger.Info("proxy listening", "addr", listener.Addr().String(), "upstream", p.Upstream().Redacted(),
		"mode", p.Mode(), "max_body_bytes", int64(f.maxBodyBytes))
	if host, _, _ := net.SplitHostPort(listener.Addr().String()); !keyguard.IsLoopback(host) {
		logger.Warn("listening beyond loopback: other hosts can send requests through the proxy")
	}
	if keyguard.CheckURL(p.Upstream(), "") != nil {
		logger.Warn("forwarding over plain HTTP beyond loopback, as --insecure-upstream allows: the " +
			"clients' API keys travel unencrypted")
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

// newProxy checks the flags and returns the proxy and its logger. It rejects a plain http://
// upstream that is not loopback unless --insecure-upstream allows it, because the proxy
// forwards each client's Authorization header there.
func newProxy(c *cli, f *proxyFlags) (*proxy.Proxy, *slog.Logger, error) {
	if f.upstream == "" {
		return nil, nil, usageErrorf(`missing --upstream URL, the server to forward to; run "tci proxy -h" ` +
			"for usage")
	}
	mode, err := proxy.ParseMode(f.mode)
	if err != nil {
		return nil, nil, usageErrorf("--mode: %v", err)
	}
	logger, err := proxy.NewLogger(c.stderr, f.logFormat, slog.LevelInfo)
	if err != nil {
		return nil, nil, usageErrorf("--log-format: %v", err)
	}
	if f.maxBodyBytes <= 0 {
		return nil, nil, usageErrorf("--max-body-bytes must be positive, such as %d", proxy.DefaultMaxBodyBytes)
	}
	p, err := proxy.New(f.upstream, proxy.WithMode(mode), proxy.WithLogger(logger),
		proxy.WithMaxBodyBytes(int64(f.maxBodyBytes)))
	if err != nil {
		return nil, nil, usageErrorf("--upstream: %v", err)
	}
	if !f.insecureUpstream && keyguard.CheckURL(p.Upstream(), "") != nil {
		return nil, nil, usageErrorf("--upstream: refusing to forward API keys over plain HTTP to %s, "+
			"where anyone on the network path can read them; use an https:// upstream or a loopback "+
			"address, or allow it with --insecure-upstream", p.Upstream().Host)
	}
	return p, logger, nil
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
