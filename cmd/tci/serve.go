package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"
	"unicode"

	"github.com/tcikit/tci/internal/keyguard"
	"github.com/tcikit/tci/server"
)

// serveFlags are the flags of "tci serve".
type serveFlags struct {
	addr  string
	token string
	// tokenSource names where token came from, for error messages.
	tokenSource string
	sessionTTL  durationValue
	execTimeout durationValue
}

// shutdownMargin is how long a stopping server waits for running requests beyond
// (*server.Server).MaxRequestDuration, by which the server itself ends them.
const shutdownMargin = 5 * time.Second

// writeTimeoutMargin is how much longer than (*server.Server).MaxRequestDuration the
// http.Server of the reference server lets a request take, for reading the request and
// writing the response.
const writeTimeoutMargin = time.Minute

func runServe(c *cli, args []string) error {
	f := serveFlags{
		sessionTTL:  durationValue(server.DefaultSessionTTL),
		execTimeout: durationValue(server.DefaultExecTimeout),
	}
	fs := newFlagSet("serve")
	fs.StringVar(&f.addr, "addr", "127.0.0.1:8080",
		"`address` to listen on as HOST:PORT; port 0 picks a free port")
	fs.StringVar(&f.token, "token", "", "bearer `token` that clients must send as their API key; prefer "+
		"the env TCI_SERVER_TOKEN, which ps cannot show")
	fs.Var(&f.sessionTTL, "session-ttl", "idle time after which a session is killed and its files removed")
	fs.Var(&f.execTimeout, "exec-timeout", "time one execute may run before its session is killed")
	if _, err := c.parse(fs, args, 0); err != nil {
		return err
	}
	f.tokenSource = "--token"
	if f.token == "" {
		f.token, f.tokenSource = c.getenv(envServerToken), envServerToken
	}
	if err := checkServeFlags(&f); err != nil {
		return err
	}
	if err := c.checkPython(c.pythonCommand()); err != nil {
		return failedError(err)
	}

	logger := slog.New(slog.NewTextHandler(c.stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	if f.token != "" && len(f.token) < minStrongKeyBytes {
		logger.Warn(fmt.Sprintf("the token is shorter than %d bytes, so it is easy to guess; use a "+
			"random one, such as the output of: openssl rand -hex 24", minStrongKeyBytes))
	}
	options := []server.Option{
		server.WithPython(c.pythonCommand()),
		server.WithSessionTTL(time.Duration(f.sessionTTL)),
		server.WithExecTimeout(time.Duration(f.execTimeout)),
		server.WithLogger(logger),
	}
	if f.token != "" {
		options = append(options, server.WithToken(f.token))
	}
	reference, err := server.New(options...)
	if err != nil {
		return failedError(err)
	}
	defer reference.Close()
	listener, err := net.Listen("tcp", f.addr)
	if err != nil {
		return failedError(fmt.Errorf("listen on %s: %w", f.addr, err))
	}

	httpServer := newHTTPServer(reference)
	served := make(chan error, 1)
	go func() { served <- httpServer.Serve(listener) }()
	baseURL := "http://" + dialAddress(listener.Addr()) + server.BasePath
	fmt.Fprintf(c.stdout, "TOGETHER_BASE_URL=%s\n", baseURL)
	logServing(logger, &f, listener.Addr(), baseURL, c.pythonCommand())

	select {
	case <-c.ctx.Done():
	case err := <-served:
		return failedError(fmt.Errorf("serve on %s: %w", listener.Addr(), err))
	}
	grace := reference.MaxRequestDuration() + shutdownMargin
	return stopServer(logger, httpServer, reference, grace)
}

// checkServeFlags rejects flag values that the server would reject later, and a server
// without a token on an address that other hosts can reach.
func checkServeFlags(f *serveFlags) error {
	if f.sessionTTL <= 0 {
		return usageErrorf("--session-ttl must be positive, such as 60m")
	}
	if f.execTimeout <= 0 {
		return usageErrorf("--exec-timeout must be positive, such as 60s")
	}
	isInvalid := func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }
	if i := strings.IndexFunc(f.token, isInvalid); i >= 0 {
		// The message gives the position only, never the token.
		return usageErrorf("%s: the token contains white space or a control character at byte %d; "+
			"use a token of printable characters", f.tokenSource, i)
	}
	host, _, err := net.SplitHostPort(f.addr)
	if err != nil {
		return usageErrorf("--addr %q: %v; use HOST:PORT, such as 127.0.0.1:8080", f.addr, err)
	}
	if f.token == "" && !keyguard.IsLoopback(host) {
		return usageErrorf("--addr %s is not a loopback address and no token is set: anyone who can "+
			"reach it could run code as this user; set TCI_SERVER_TOKEN or --token, or listen on 127.0.0.1",
			f.addr)
	}
	return nil
}

func logServing(logger *slog.Logger, f *serveFlags, addr net.Addr, baseURL, python string) {
	auth := "none"
	if f.token != "" {
		auth = "bearer token"
	}
	logger.Info("serving the Code Interpreter API", "addr", addr.String(), "base_url", baseURL,
		"auth", auth, "python", python, "session_ttl", time.Duration(f.sessionTTL),
		"exec_timeout", time.Duration(f.execTimeout))
	host, _, _ := net.SplitHostPort(addr.String())
	switch {
	case f.token == "":
		logger.Warn("no token set: any process on this machine can run code as this user; " +
			"set TCI_SERVER_TOKEN to require one")
	case !keyguard.IsLoopback(host):
		logger.Warn("listening beyond loopback over plain HTTP: the token and the code travel " +
			"unencrypted; put a TLS proxy in front for other hosts")
	}
}

// stopServer lets running requests finish within grace, then kills every session.
func stopServer(logger *slog.Logger, httpServer *http.Server, reference *server.Server,
	grace time.Duration) error {
	logger.Info("stopping: waiting for running executes", "max_wait", grace)
	ctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	if err := httpServer.Shutdown(ctx); err != nil {
		logger.Warn("running requests did not finish in time; closing their connections",
			"error", err)
		_ = httpServer.Close()
	}
	if err := reference.Close(); err != nil {
		logger.Error("stopping the sessions failed", "error", err)
		return failedError(err)
	}
	logger.Info("stopped")
	return nil
}

// dialAddress returns addr as clients on this machine dial it: an unspecified IP, which
// listens on every interface, becomes 127.0.0.1.
func dialAddress(addr net.Addr) string {
	tcp, ok := addr.(*net.TCPAddr)
	if !ok {
		return addr.String()
	}
	host := tcp.IP.String()
	if tcp.IP.IsUnspecified() {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, fmt.Sprint(tcp.Port))
}
