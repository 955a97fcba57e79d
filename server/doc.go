// Package server is the reference server of the Code Interpreter API: POST /tci/execute and
// GET /tci/sessions, served under /v1 and backed by real local Python processes.
//
// Together removed the hosted Code Interpreter in 2026-09, so this server is the target that
// clients of the API run against. It implements generated.StrictServerInterface, so the request
// and response types are those of openapi.yaml, and every JSON body it sends has a shape that
// the spec accepts.
//
// # Usage
//
//	func serve() error {
//		srv, err := server.New(server.WithToken(os.Getenv("TCI_TOKEN")))
//		if err != nil {
//			return err
//		}
//		defer srv.Close()
//		hs := &http.Server{
//			Addr:              "127.0.0.1:8080",
//			Handler:           srv.Handler(),
//			ReadHeaderTimeout: 10 * time.Second,
//			WriteTimeout:      srv.MaxRequestDuration() + time.Minute,
//		}
//		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
//		defer stop()
//		shutdown := make(chan error, 1)
//		go func() {
//			<-ctx.Done()
//			shutdown <- hs.Shutdown(context.Background())
//		}()
//		if err := hs.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
//			return err
//		}
//		return <-shutdown
//	}
//
// Clients then use http://127.0.0.1:8080/v1 as base URL. The official SDKs read it from
// TOGETHER_BASE_URL and the token from TOGETHER_API_KEY. The write timeout leaves a minute
// beyond MaxRequestDuration to read the request body and send the response. A shorter one cuts
// off the responses of long executes. On SIGINT or SIGTERM, serve lets the running requests
// finish and returns, and the deferred Close kills every session and removes the server's
// directory. serve returns errors instead of calling log.Fatal, because log.Fatal and os.Exit
// skip deferred calls, so main can call log.Fatal once serve has returned.
//
// # Sessions
//
// An execute without session_id starts a session: a python3 process (WithPython, or the
// environment variable TCI_PYTHON) that runs an embedded driver in a directory of its own.
// Globals, imports and files persist across the executes of a session. Its id is "ses_"
// followed by 22 random base62 characters from crypto/rand. Executes in one session run one at
// a time, and executes in different sessions run in parallel. An execute that waits for its
// session's turn longer than WithQueueTimeout (the execute timeout by default) gets 409
// session_busy and does not run its code, so a request takes at most about the queue timeout
// plus the execute timeout (MaxRequestDuration). A session that has run no execute
// for the session TTL (WithSessionTTL, 60 minutes by default) expires: its process group is
// killed and its directory removed. GET /v1/tci/sessions lists the live sessions with their
// execute count and their start, last execute and expiry times in UTC. An execute keeps running
// when its client disconnects. A child that the code forks with os.fork runs the rest of the
// code and then exits as a script would. Its status is 0, the status of an uncaught
// SystemExit, or 1 after it wrote an uncaught exception to stderr. It never runs later
// executes of the session. A forked child, such as a worker of a multiprocessing pool, writes
// its sys.stdout and sys.stderr to file descriptors 1 and 2, so its output arrives as output
// written below Python does (see Outputs). Its display outputs, such as the figures of
// plt.show, are not sent.
//
// Files in the request are written into the session's working directory, which is also its
// HOME, before the code runs. Names are relative paths. The server rejects
// empty, absolute and NUL-containing names, backslashes, ".." that leaves the directory, and any
// path that resolves outside it through a symbolic link. Content is UTF-8 text for encoding
// "string" and standard base64 for "base64".
//
// # Outputs
//
// Outputs come back in the order the code produced them. Writes to sys.stdout and sys.stderr
// become stdout and stderr outputs, and adjacent writes to one stream are merged into one
// output. An uncaught exception becomes an error output with the traceback from the code's
// first frame on, so without the server's frames. When the last statement is an expression
// whose value is not None, its repr becomes an execute_result with text/plain, plus text/html,
// image/png and similar types when the value has _repr_html_, _repr_png_ and the like. A type
// whose value the API cannot carry, such as application/json with NaN, is left out. A
// trailing semicolon hides the value, as in a notebook. When matplotlib is installed, figures
// that pyplot holds open at the end of the execute, or when plt.show is called, become
// display_data outputs with a base64 image/png, and are then closed. Sessions use the Agg
// backend.
//
// Output written below Python, to file descriptors 1 and 2 directly or by subprocesses and C
// libraries, also becomes stdout and stderr outputs. Its order is that of the writes to each
// descriptor, but writes longer than PIPE_BUF (4 KiB on Linux) that several processes make at
// once may interleave, as on a terminal. Relative to sys.stdout and sys.stderr writes it is
// the order in which the server read it. Output that a subprocess or forked child wrote
// before the code waited for it comes before what the code prints next, but writes close in
// time may be reordered. Such output that a background process writes between executes is
// reported with the next execute. Each byte that is not part of valid UTF-8 is replaced with
// U+FFFD. The driver talks to the server over two further pipes, so user output cannot corrupt
// the protocol. A line on those pipes that is not a valid message, which only code that writes
// to the driver's own descriptors can produce, becomes a stderr output with its bytes, and the
// server logs a warning.
//
// The outputs of one execute may take at most WithMaxOutputBytes (32 MiB by default) of the
// response's JSON, counted as encoded: with the object around each output, and with escapes,
// so that a control character, which JSON writes as \u00XX, takes six bytes. A stdout, stderr
// or error output that passes the limit is cut there, and later outputs are dropped. A display
// output that does not fit is dropped whole. A final stderr output then reports how many bytes
// of output were dropped. The body of an execute response is at most the limit plus
// MaxResponseOverhead. Outputs keep "<", ">" and "&" unescaped, which JSON allows.
//
// # Timeouts and process exits
//
// An execute that runs longer than WithExecTimeout (60 seconds by default) is stopped by
// killing the session's process group with SIGKILL, children included. The response is a 200
// with the outputs produced so far and a final error output that starts with "TimeoutError:".
// The session has ended: its state is lost, its directory is removed, and later executes with
// its id get 404 with the reason. The same happens when the Python process exits during an
// execute, for example through os._exit, with an error output that starts with
// "SessionEnded:" and gives the exit status. A session whose process exits between executes
// ends too. SystemExit and KeyboardInterrupt raised by the code are ordinary exceptions and
// leave the session running. So does an exception that a signal handler of the code raises
// between executes, such as after signal.alarm: it becomes an error output of the next execute.
//
// A server that dies without Close, for example through SIGKILL, takes its sessions with it.
// Each session's process kills its process group when it reads the end of its command pipe,
// before it runs a command whose server has died, and otherwise within about a second, also
// when the server dies while the session starts. The server's directories stay behind. The
// next New of the same user without WithWorkDir removes the temporary directory (see New),
// and session directories in a WithWorkDir directory are left to the caller.
//
// The official TypeScript SDK (together-ai 0.52.0) times out after 60 seconds by default, as
// long as the default execute timeout, and then retries the request, which runs the code again.
// Give clients a longer timeout than MaxRequestDuration. The SDK also retries a 409, which is
// safe because the code of a session_busy execute did not run.
//
// # Status codes
//
// The spec declares only a 200 response for each operation, with a failure shape
// {"data": null, "errors": [...]}. The server sends that shape with these statuses, each error
// an object with "code" and "message", and "pointer" for spec violations:
//
//   - 400 invalid_request: no body, a JSON null, a body that violates the ExecuteRequest schema
//     (a summary error, then one error per violation), or one that does not decode. A missing
//     "language" means "python", the spec's default.
//   - 400 invalid_file: a file name or content that the server rejects.
//   - 401 unauthorized: a missing or wrong bearer token, with WWW-Authenticate: Bearer.
//   - 404 session_not_found: a session_id that is unknown, expired or ended. The spec leaves
//     the status open; 404 makes the official SDKs raise NotFoundError instead of returning a
//     response whose data is null.
//   - 404 not_found and 405 method_not_allowed: paths and methods outside the API.
//   - 409 session_busy: an execute that waited for its session's turn longer than the queue
//     timeout. Its code did not run.
//   - 413 request_too_large: a body larger than WithMaxBodyBytes (32 MiB by default).
//   - 500 session_start_failed and internal_error: the server's log has the cause.
//   - 503 too_many_sessions: a new session beyond WithMaxSessions (32 by default).
//   - 503 server_closed: any request after Close.
//
// # Environment and logs
//
// User code gets an environment built from scratch: HOME and the working directory are the
// session directory, TMPDIR is a directory next to it, LANG=C.UTF-8, MPLBACKEND=Agg,
// MPLCONFIGDIR is a matplotlib cache that all sessions of the server share,
// PYTHONUNBUFFERED=1, and PATH is the server's PATH behind the interpreter's directory. No other
// variable of the server's environment reaches it, so neither API keys nor the server's token
// do. Standard input is empty, and descriptors that the server inherited without close-on-exec
// are closed before the code runs. The process leads a Unix session of its own that has no
// controlling terminal, so code cannot read from or write to the terminal of the server.
//
// WithLogger receives session starts, stops, expiries, timeouts, process exits, rejected
// tokens and errors, with the session id. Records never hold code, file content, output or a
// token. The record of an upload that could not be written names the file, cut to 64 bytes.
// Without WithLogger nothing is logged.
//
// # Limits
//
// The server isolates sessions from one another's state, not from the machine. Session
// processes run as the server's user with its file system and network access and without
// memory or CPU limits, so serve only code you would run yourself, and bind to loopback or put
// a sandbox around the server. A process that leaves the session's process group, for example
// through setsid, survives a timeout, Close and the death of the server. Sessions need a Unix
// system and Python 3.8 or newer. Top-level await and IPython features such as magics and
// display() are not available.
package server
