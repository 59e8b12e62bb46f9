"""The connection to scmd: Connect's JSON form over HTTP/1.1 on its unix socket.

Handles belong to the session of the socket that opened them, as on Windows
they belong to the process: the module keeps one socket for the process and
every module (win32service, win32api's registry calls, servicemanager's event
log) calls through it.
"""

import base64
import json
import os
import socket
import threading

DEFAULT_SOCKET = "/run/scm/scm.sock"
SESSION_HEADER = "Scm-Session"
WIN32_ERROR_HEADER = "Win32-Error"

RPC_S_SERVER_UNAVAILABLE = 1722
ERROR_NO_SYSTEM_RESOURCES = 1450

# How long a call may take before the caller gives up on scmd. Long polls
# (WaitServiceStatus) are bounded by scmd at 60 s.
CALL_TIMEOUT = 90


def socket_path():
    return os.environ.get("SCM_SOCKET") or DEFAULT_SOCKET


class CallFailed(Exception):
    """A call scmd answered with a Win32 code (or could not be made)."""

    def __init__(self, code):
        super().__init__(code)
        self.code = code


class _Unanswered(Exception):
    """The socket closed before any of the reply came."""


class Connection:
    """One socket to scmd, in one session; calls are made one at a time.

    The requests are the few bytes of HTTP/1.1 scmd needs and the replies
    are read by their Content-Length: http.client's header parsing would
    cost more than the call."""

    def __init__(self, path):
        self.path = path
        self._lock = threading.Lock()
        self._sock = None
        self._file = None
        self.session = None

    def _connect(self):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(CALL_TIMEOUT)
        try:
            s.connect(self.path)
        except OSError:
            s.close()
            raise
        self._sock, self._file = s, s.makefile("rb")

    def call(self, method, request):
        body = json.dumps(request, separators=(",", ":")).encode()
        with self._lock:
            while _unclosed and self._sock is not None:
                try:
                    self._roundtrip("CloseServiceHandle", json.dumps({"handle": _unclosed.pop()}).encode())
                except CallFailed:
                    pass
            return self._roundtrip(method, body)

    def _roundtrip(self, method, body):
        for attempt in (0, 1):
            fresh = self._sock is None
            try:
                if fresh:
                    self._connect()
                head = ("POST /scm.v1.ServiceControlManager/%s HTTP/1.1\r\nHost: scm\r\n"
                        "Content-Type: application/json\r\nConnect-Protocol-Version: 1\r\n%s"
                        "Content-Length: %d\r\n\r\n") % (
                    method, (SESSION_HEADER + ": new\r\n") if fresh else "", len(body))
                self._sock.sendall(head.encode() + body)
                status, headers, data = self._read_reply()
            except (OSError, ValueError, _Unanswered) as e:
                self._drop()
                if fresh or attempt or not isinstance(e, (_Unanswered, BrokenPipeError, ConnectionResetError)):
                    raise CallFailed(RPC_S_SERVER_UNAVAILABLE) from None
                # scmd closed a socket that sat idle with no handle
                # open: the call was never read, and goes on a new one.
                continue
            if fresh:
                self.session = headers.get("scm-session")
            if headers.get("connection", "").lower() == "close":
                self._drop()
            if status == 200:
                return json.loads(data or b"{}")
            code = headers.get("win32-error")
            if code is not None:
                raise CallFailed(int(code))
            try:
                kind = json.loads(data).get("code", "")
            except ValueError:
                kind = ""
            if kind == "resource_exhausted":
                raise CallFailed(ERROR_NO_SYSTEM_RESOURCES)
            raise CallFailed(RPC_S_SERVER_UNAVAILABLE)

    def _read_reply(self):
        f = self._file
        line = f.readline(4096)
        if not line:
            raise _Unanswered()
        parts = line.split(None, 2)
        if len(parts) < 2 or not parts[0].startswith(b"HTTP/1."):
            raise ValueError("bad status line %r" % line)
        status = int(parts[1])
        headers = {}
        while True:
            line = f.readline(65536)
            if not line:
                raise ValueError("reply cut short")
            if line in (b"\r\n", b"\n"):
                break
            k, _, v = line.decode("latin-1").partition(":")
            headers[k.strip().lower()] = v.strip()
        if "content-length" in headers:
            data = f.read(int(headers["content-length"]))
        elif headers.get("transfer-encoding", "").lower() == "chunked":
            data = b""
            while True:
                size = int(f.readline(4096).split(b";")[0], 16)
                if size == 0:
                    while f.readline(4096) not in (b"\r\n", b"\n", b""):
                        pass
                    break
                data += f.read(size)
                f.readline(4096)
        else:
            data = f.read()
            headers["connection"] = "close"
        return status, headers, data

    def _drop(self):
        if self._sock is not None:
            self._file.close()
            self._sock.close()
        self._sock = self._file = None
        self.session = None

    def close(self):
        with self._lock:
            self._drop()


# Handles collected by the garbage collector, to close with the next call:
# the collector may run in the middle of a call, holding the socket.
_unclosed = []


def close_later(handle):
    _unclosed.append(handle)


_shared = None
_shared_lock = threading.Lock()


def shared():
    """The process's connection, to the scmd SCM_SOCKET names."""
    global _shared
    with _shared_lock:
        path = socket_path()
        if _shared is None or _shared.path != path:
            if _shared is not None:
                _shared.close()
            _shared = Connection(path)
        return _shared


def call(method, request):
    return shared().call(method, request)


def u64(v):
    """A uint64 of a JSON reply, which protojson writes as a string."""
    return int(v or 0)


def b64(data):
    return base64.b64encode(bytes(data)).decode()


def unb64(s):
    return base64.b64decode(s or "")
