"""The connection to scmd: Connect's JSON form over HTTP/1.1 on its unix socket.

Handles belong to the session of the socket that opened them, as on Windows
they belong to the process: the module keeps one socket for the process and
every module (win32service, win32api's registry calls, servicemanager's event
log) calls through it.
"""

import base64
import http.client
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


class _UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path):
        super().__init__("scm", timeout=CALL_TIMEOUT)
        self._path = path

    def connect(self):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(self.timeout)
        try:
            s.connect(self._path)
        except OSError:
            s.close()
            raise
        self.sock = s


class Connection:
    """One socket to scmd, in one session; calls are made one at a time."""

    def __init__(self, path):
        self.path = path
        self._lock = threading.Lock()
        self._conn = None
        self.session = None

    def call(self, method, request):
        body = json.dumps(request, separators=(",", ":")).encode()
        with self._lock:
            for attempt in (0, 1):
                fresh = self._conn is None
                if fresh:
                    self._conn = _UnixHTTPConnection(self.path)
                headers = {"Content-Type": "application/json", "Connect-Protocol-Version": "1"}
                if fresh:
                    headers[SESSION_HEADER] = "new"
                try:
                    self._conn.request("POST", "/scm.v1.ServiceControlManager/" + method, body, headers)
                    resp = self._conn.getresponse()
                    data = resp.read()
                except (OSError, http.client.HTTPException):
                    self._drop()
                    if fresh or attempt:
                        raise CallFailed(RPC_S_SERVER_UNAVAILABLE)
                    # scmd closed a socket that sat idle with no handle
                    # open: the call was never read, and goes on a new one.
                    continue
                if fresh:
                    self.session = resp.getheader(SESSION_HEADER)
                if resp.getheader("Connection", "").lower() == "close":
                    self._drop()
                if resp.status == 200:
                    return json.loads(data or b"{}")
                code = resp.getheader(WIN32_ERROR_HEADER)
                if code is not None:
                    raise CallFailed(int(code))
                try:
                    kind = json.loads(data).get("code", "")
                except ValueError:
                    kind = ""
                if kind == "resource_exhausted":
                    raise CallFailed(ERROR_NO_SYSTEM_RESOURCES)
                raise CallFailed(RPC_S_SERVER_UNAVAILABLE)

    def _drop(self):
        if self._conn is not None:
            self._conn.close()
        self._conn = None
        self.session = None

    def close(self):
        with self._lock:
            self._drop()


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
