# Driver for one session of the tci reference server.
#
# The server starts one Python process per session and sends this file on standard input. The
# driver then replaces standard input with /dev/null and talks to the server over two pipes that
# it inherits, so that nothing user code prints can reach the protocol:
#
#   fd 3, from the server: one JSON object per line, {"seq": N, "code": "...", "marker": "..."}.
#   fd 4, to the server: one JSON object per line. Outputs use the API's own shape
#         ({"type": "stdout", "data": "..."}, "stderr", "error", "execute_result",
#         "display_data"), and {"type": "done", "seq": N, "marked": [...]} ends an execute.
#
# sys.stdout and sys.stderr send every write as an output event at once, so their order is exact,
# and a write that returned is in the server's pipe even if the server then kills the process at
# a timeout. File descriptors 1 and 2
# stay pipes that the server reads itself, for output written below Python (os.write,
# subprocesses, C libraries). After each execute the driver writes the command's marker to both
# pipes, through descriptors of its own, and the server waits for those markers so that such
# output is not left behind.
#
# The server passes its pid as the driver's argument. When the server dies, the driver kills its
# process group, so that the session does not outlive the server (see _server_gone).
#
# Only the driver's process writes events. Processes forked from it, such as the workers of a
# multiprocessing pool, share the event pipe, and a write longer than PIPE_BUF from one of them
# may interleave with another's and break both lines. A forked child therefore closes its copy
# of the pipe and writes its sys.stdout and sys.stderr to fds 1 and 2 instead.
#
# Keep this file compatible with Python 3.8.

import ast
import base64
import builtins
import codecs
import io
import json
import linecache
import os
import re
import signal
import sys
import threading
import time
import traceback
import types

_COMMAND_FD = 3
_EVENT_FD = 4

# Text events are split into pieces of this many characters so that one event line stays small.
_MAX_EVENT_CHARS = 256 * 1024

_send_lock = threading.Lock()
_event_fd = -1


def _leave_event_pipe():
    # A fork copies _send_lock as it is at that moment, possibly held by a thread that the child
    # does not have, so the child starts with a lock of its own. Holding the lock across the
    # fork instead deadlocks Python 3.12.1, whose os.fork writes its warning about threads to
    # sys.stderr before it runs the after_in_parent hooks.
    global _send_lock, _event_fd
    _send_lock = threading.Lock()
    if _event_fd >= 0:
        try:
            os.close(_event_fd)
        except OSError:
            pass
        _event_fd = -1


os.register_at_fork(after_in_child=_leave_event_pipe)

# The driver's own descriptors for the pipes behind fds 1 and 2, by stream name. Markers go
# there and not to fds 1 and 2, which user code may close, redirect or reuse for a file.
_marker_fds = ()


# The C encoder of JSON strings. Stream events are built around it directly because
# json.dumps on a whole dict takes about four times as long, and prints are the most frequent
# event.
_encode_json_string = json.encoder.encode_basestring_ascii

# Functions of other modules that the driver calls while code runs or after it, bound here once.
# User code may replace the module attributes, as in json.dumps = ..., and must not break the
# protocol that way.
_b64decode = base64.b64decode
_b64encode = base64.b64encode
_dumps = json.dumps
_exit = os._exit
_format_exception = traceback.format_exception
_format_exception_only = traceback.format_exception_only
_getpid = os.getpid
_getppid = os.getppid
_kill = os.kill
_killpg = os.killpg
_loads = json.loads
_sleep = time.sleep
_write = os.write

# The pid of the driver. Processes that code forks from it have another one.
_driver_pid = os.getpid()

# The server passes its pid as the only argument, which is removed here, so that sys.argv is
# ["-c"] for the code, as for any program that "python -c" runs without arguments.
_server_pid = int(sys.argv.pop(1))
_first_parent = os.getppid()


def _send_line(line):
    if _event_fd < 0:
        # A forked child: its outputs other than sys.stdout and sys.stderr writes, such as the
        # figures of plt.show, are not sent.
        return
    data = line.encode("ascii")
    with _send_lock:
        _write_all(_event_fd, data)


def _write_all(fd, data):
    view = memoryview(data)
    while view:
        view = view[_write(fd, view):]


def _send(event):
    _send_line(_dumps(event) + "\n")


def _send_error_text(text):
    _send_line('{"type":"error","data":' + _encode_json_string(text) + "}\n")


def _send_done(seq, marked):
    names = ",".join('"%s"' % name for name in marked)
    _send_line('{"type":"done","seq":%d,"marked":[%s]}\n' % (seq, names))


def _send_stream(name, text):
    _send_line('{"type":"' + name + '","data":' + _encode_json_string(text) + "}\n")


class _OutputStream(io.TextIOBase):
    """Text stream that sends each write to the server as a stdout or stderr output."""

    def __init__(self, name, fd):
        super().__init__()
        self._name = name
        self._fd = fd
        self._buffer = _BinaryOutputStream(self)

    name = property(lambda self: "<%s>" % self._name)
    encoding = property(lambda self: "utf-8")
    errors = property(lambda self: "replace")
    buffer = property(lambda self: self._buffer)

    def writable(self):
        return True

    def isatty(self):
        return False

    def fileno(self):
        # Writes to the descriptor itself reach the server as fd-level output.
        return self._fd

    def flush(self):
        pass

    def write(self, text):
        if not isinstance(text, str):
            raise TypeError("write() argument must be str, not %s" % type(text).__name__)
        if _event_fd < 0:
            # A forked child writes to the descriptor, as a script would. Lone surrogates become
            # bytes that are not UTF-8, which the server replaces with U+FFFD.
            _write_all(self._fd, text.encode("utf-8", "surrogatepass"))
            return len(text)
        if len(text) <= _MAX_EVENT_CHARS:
            if text:
                _send_stream(self._name, text)
            return len(text)
        for start in range(0, len(text), _MAX_EVENT_CHARS):
            _send_stream(self._name, text[start:start + _MAX_EVENT_CHARS])
        return len(text)


class _BinaryOutputStream(io.RawIOBase):
    """The buffer attribute of an _OutputStream: decodes UTF-8 bytes and writes the text."""

    def __init__(self, text_stream):
        super().__init__()
        self._text = text_stream
        self._decoder = codecs.getincrementaldecoder("utf-8")("replace")

    def writable(self):
        return True

    def fileno(self):
        return self._text.fileno()

    def write(self, data):
        text = self._decoder.decode(bytes(data))
        if text:
            self._text.write(text)
        return len(data)


# Rich representations copied into execute_result outputs next to text/plain, as notebooks do.
_REPR_METHODS = (
    ("_repr_html_", "text/html"),
    ("_repr_markdown_", "text/markdown"),
    ("_repr_latex_", "text/latex"),
    ("_repr_svg_", "image/svg+xml"),
    ("_repr_png_", "image/png"),
    ("_repr_jpeg_", "image/jpeg"),
    ("_repr_json_", "application/json"),
)


def _mime_bundle(value):
    bundle = {"text/plain": repr(value)}
    if isinstance(value, type):
        return bundle
    for method_name, mime in _REPR_METHODS:
        try:
            method = getattr(value, method_name, None)
            data = method() if callable(method) else None
        except Exception:
            continue
        if isinstance(data, tuple) and data:
            data = data[0]
        data = _mime_data(mime, data)
        if data is not None:
            bundle[mime] = data
    return bundle


def _mime_data(mime, data):
    """Return data in the form the API declares for mime, or None when it cannot be sent."""
    if data is None:
        return None
    if mime in ("image/png", "image/jpeg"):
        if isinstance(data, (bytes, bytearray)):
            return _b64encode(data).decode("ascii")
        if isinstance(data, str):
            try:
                _b64decode(data, validate=True)
            except ValueError:
                return None
            return data
        return None
    if mime == "application/json":
        if not isinstance(data, dict):
            return None
        # JSON has no NaN or infinity, and clients decode numbers as float64.
        try:
            _loads(_dumps(data, allow_nan=False), parse_int=_float64_integer)
        except (TypeError, ValueError, OverflowError, RecursionError):
            return None
        return data
    return data if isinstance(data, str) else None


def _float64_integer(text):
    """Parse a JSON integer, raising OverflowError when a float64 cannot hold it."""
    number = int(text)
    float(number)
    return number


def _send_exception(error):
    _send_error_text(_user_traceback(error))


def _user_traceback(error):
    """Format error with the driver's own frames skipped, so that it starts in the user's code."""
    tb = error.__traceback__
    while tb is not None and not tb.tb_frame.f_code.co_filename.startswith("<cell-"):
        tb = tb.tb_next
    try:
        return "".join(_format_exception(type(error), error, tb))
    except Exception:
        return _describe(error) + "\n"


def _describe(error):
    """Return "Type: message" for an exception, even one whose __str__ fails."""
    try:
        return "%s: %s" % (type(error).__name__, error)
    except Exception:
        return type(error).__name__


def _suppresses_result(code, statement):
    """Report whether a semicolon follows the trailing expression, which hides its value."""
    # Split where the tokenizer ends lines; str.splitlines also splits at characters such as
    # U+2028 that may sit inside a string literal.
    lines = re.split(r"\r\n|\r|\n", code)
    if statement.end_lineno is None or statement.end_lineno > len(lines):
        return False
    rest = lines[statement.end_lineno - 1].encode("utf-8")[statement.end_col_offset:]
    return rest.decode("utf-8", "replace").lstrip().startswith(";")


def _run_code(code, seq, namespace):
    filename = "<cell-%d>" % seq
    linecache.cache[filename] = (len(code), None, code.splitlines(True), filename)
    try:
        tree = ast.parse(code, filename=filename, mode="exec")
    except (SyntaxError, ValueError, MemoryError, RecursionError) as error:
        # The last two come from code nested deeper than the parser allows.
        _send_error_text("".join(_format_exception_only(type(error), error)))
        return

    trailing = None
    if tree.body and isinstance(tree.body[-1], ast.Expr):
        trailing = tree.body.pop()
        if _suppresses_result(code, trailing):
            tree.body.append(trailing)
            trailing = None

    try:
        exec(compile(tree, filename, "exec"), namespace)
        if trailing is not None:
            value = eval(compile(ast.Expression(trailing.value), filename, "eval"), namespace)
            if _getpid() != _driver_pid:
                _exit_forked_child(None)
            if value is not None:
                namespace["_"] = value
                _send({"type": "execute_result", "data": _mime_bundle(value)})
    except BaseException as error:
        if _getpid() != _driver_pid:
            _exit_forked_child(error)
        _send_exception(error)
    if _getpid() != _driver_pid:
        _exit_forked_child(None)


def _exit_forked_child(error):
    """End a process that the code forked from the driver, as the end of a script would end it.

    The child must not go on to read the session's commands, which belong to the driver. An
    uncaught exception goes to stderr, and SystemExit gives the exit status.
    """
    status = 0
    if isinstance(error, SystemExit):
        if isinstance(error.code, int):
            status = error.code
        elif error.code is not None:
            status = 1
            _write_stderr("%s\n" % (error.code,))
    elif error is not None:
        status = 1
        _write_stderr(_user_traceback(error))
    _flush_low_level_output()
    _exit(status & 0xFF)


def _write_stderr(text):
    try:
        sys.stderr.write(text)
    except Exception:
        pass


def _send_figures():
    """Send every open pyplot figure as a PNG display_data output, then close them all."""
    pyplot = sys.modules.get("matplotlib.pyplot")
    if not isinstance(pyplot, types.ModuleType):
        return
    try:
        for number in pyplot.get_fignums():
            figure = pyplot.figure(number)
            png = io.BytesIO()
            figure.savefig(png, format="png", bbox_inches="tight")
            _send({
                "type": "display_data",
                "data": {
                    "image/png": _b64encode(png.getvalue()).decode("ascii"),
                    "text/plain": repr(figure),
                },
            })
    except Exception as error:
        _send_exception(error)
    finally:
        try:
            pyplot.close("all")
        except Exception:
            pass


def _show(*args, **kwargs):
    """Replacement for matplotlib.pyplot.show: sends the open figures where show is called."""
    _send_figures()


class _PyplotFinder:
    """Import hook that replaces matplotlib.pyplot.show once pyplot is imported.

    The Agg backend cannot show figures, so its show only warns. Like a notebook, the session
    sends the figures at that point instead.
    """

    def find_spec(self, name, path=None, target=None):
        if name != "matplotlib.pyplot":
            return None
        spec = None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(name, path, target)
            if spec is not None:
                break
        if spec is None or spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return spec
        exec_module = spec.loader.exec_module

        def exec_and_patch(module):
            exec_module(module)
            module.show = _show

        spec.loader.exec_module = exec_and_patch
        return spec


def _flush_low_level_output():
    for stream in (sys.__stdout__, sys.__stderr__):
        try:
            stream.flush()
        except Exception:
            pass
    try:
        import ctypes

        ctypes.CDLL(None).fflush(None)
    except Exception:
        pass


def _write_markers(marker):
    """Write marker to the server's stdout and stderr pipes and return the streams that took it."""
    marked = []
    for name, fd in _marker_fds:
        try:
            _write(fd, marker)
            marked.append(name)
        except OSError:
            pass
    return marked


def _close_inherited_fds():
    """Close inheritable descriptors above the protocol pipes.

    The server passes only fds 0 to 4. Others come from the process that started the server,
    when it leaked them without close-on-exec, and user code must not reach them. Python's own
    descriptors are not inheritable and stay open.
    """
    for directory in ("/proc/self/fd", "/dev/fd"):
        try:
            fds = [int(name) for name in os.listdir(directory)]
            break
        except (OSError, ValueError):
            continue
    else:
        fds = range(_EVENT_FD + 1, 1024)
    for fd in fds:
        if fd <= _EVENT_FD:
            continue
        try:
            if os.get_inheritable(fd):
                os.close(fd)
        except OSError:
            pass


def _server_gone():
    """Report whether the server that started this process has died."""
    if _getppid() == _server_pid:
        return False
    # The parent is not the server, either because the server died and this process got a new
    # parent, perhaps before the driver ran, or because a wrapper started the interpreter
    # without exec. The server's pid and the first parent tell the two apart.
    try:
        _kill(_server_pid, 0)
    except ProcessLookupError:
        return True
    except OSError:
        pass
    return _getppid() != _first_parent


def _exit_if_server_gone():
    # Kill the whole process group, so that nothing the code started outlives the server.
    if _server_gone():
        _killpg(os.getpgrp(), signal.SIGKILL)


def _watch_server():
    while True:
        _exit_if_server_gone()
        _sleep(1)


def _main():
    global _event_fd, _marker_fds

    _exit_if_server_gone()
    _close_inherited_fds()
    # os.dup returns descriptors that are not inherited, so user subprocesses cannot reach the
    # protocol pipes.
    commands = os.fdopen(os.dup(_COMMAND_FD), "rb")
    _event_fd = os.dup(_EVENT_FD)
    _marker_fds = (("stdout", os.dup(1)), ("stderr", os.dup(2)))
    os.close(_COMMAND_FD)
    os.close(_EVENT_FD)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)

    sys.stdout = _OutputStream("stdout", 1)
    sys.stderr = _OutputStream("stderr", 2)
    sys.path.insert(0, os.getcwd())
    sys.meta_path.insert(0, _PyplotFinder())
    threading.Thread(target=_watch_server, daemon=True).start()

    # User code runs in a fresh __main__ module, so that pickle and multiprocessing find the
    # classes and functions it defines.
    main = types.ModuleType("__main__")
    main.__dict__["__builtins__"] = builtins
    sys.modules["__main__"] = main

    while True:
        try:
            line = commands.readline()
        except BaseException as error:
            # A signal handler of the code raised while the driver waited for a command, for
            # example after signal.alarm. The error goes out with the next execute's outputs.
            _send_exception(error)
            continue
        if not line:
            # The server closes the command pipe only after it killed the process group, or
            # by dying.
            return
        # A command may wait in the pipe after the server died, so check before running it.
        _exit_if_server_gone()
        _execute(_loads(line), main.__dict__)


def _execute(command, namespace):
    """Run one command and end it with the markers and the done event, whatever the code did."""
    seq = command["seq"]
    try:
        _run_code(command["code"], seq, namespace)
        _send_figures()
        _flush_low_level_output()
    except BaseException as error:
        # Only the driver's own steps get here, when code replaced something they use.
        _send_error_text(
            "DriverError: the session could not finish reporting this execute (%s). Code in "
            "this session may have changed something that the driver relies on, such as a "
            "module's functions or the recursion limit; start a new session if this repeats."
            % _describe(error)
        )
    while True:
        try:
            marked = _write_markers(command["marker"].encode("latin-1"))
            _send_done(seq, marked)
            return
        except BaseException as error:
            # A signal handler of the code raised here. Without the done event the server
            # would wait until the timeout.
            _send_exception(error)


try:
    _main()
finally:
    # However the driver ends, such as at the end of the command pipe or with an error from
    # writing to the pipes of a server that died, the processes that the code started end
    # with it. A process forked from the driver that gets here only exits.
    if _getpid() == _driver_pid:
        _killpg(os.getpgrp(), signal.SIGKILL)
