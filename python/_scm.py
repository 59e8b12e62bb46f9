"""The connection to scmd: Connect's JSON form over HTTP/1.1 on its unix socket.

Handles belong to the session that opened them, as on Windows they belong to
the process: every module (win32service, win32api's registry calls,
servicemanager's event log) calls through the process's one session. A call
is made on a socket no other call is using; the first socket opens the
session and the others join it with its token, so a call made while another
is under way (another thread, a control handler, a finalizer) never waits
for it.
"""

import _json
import _socket
import time as _time
import os
import threading

DEFAULT_SOCKET = "/run/scm/scm.sock"
SESSION_HEADER = "Scm-Session"
WIN32_ERROR_HEADER = "Win32-Error"

RPC_S_SERVER_UNAVAILABLE = 1722
ERROR_NO_SYSTEM_RESOURCES = 1450
ERROR_INVALID_HANDLE = 6
ERROR_ACCESS_DENIED = 5

# How long a call may take before the caller gives up on scmd. Long polls
# (WaitServiceStatus) are bounded by scmd at 60 s.
CALL_TIMEOUT = 90
START_TIMEOUT = 600

# The sockets one process opens at most, as internal/client.
MAX_SOCKETS = 8


def socket_path():
    return os.environ.get("SCM_SOCKET") or DEFAULT_SOCKET


class CallFailed(Exception):
    """A call scmd answered with a Win32 code (or could not be made)."""

    def __init__(self, code):
        super().__init__(code)
        self.code = code


class _Unanswered(Exception):
    """The socket closed before any of the reply came."""


class _Socket:
    """A stream socket to scmd with the reads a reply needs. The C socket
    module alone: socket's and json's imports would cost a Python
    service's start more than its calls do."""

    def __init__(self, path, gen):
        s = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
        s.settimeout(CALL_TIMEOUT)
        try:
            s.connect(path)
        except OSError:
            s.close()
            raise
        self.sock, self.gen, self.used = s, gen, False
        self.file = self  # what _read_reply reads
        self._buf = bytearray()
        self.deadline = None

    def _fill(self):
        # The call's deadline bounds the whole reply, not each read: a
        # server that trickles a byte a minute is still cut off in time.
        if self.deadline is not None:
            left = self.deadline - _time.monotonic()
            if left <= 0:
                raise _socket.timeout("no reply in time")
            self.sock.settimeout(left)
        chunk = self.sock.recv(65536)
        self._buf += chunk
        return bool(chunk)

    def readline(self, limit):
        while True:
            i = self._buf.find(b"\n", 0, limit)
            if i >= 0 or len(self._buf) >= limit:
                n = i + 1 if i >= 0 else limit
                line, self._buf = bytes(self._buf[:n]), self._buf[n:]
                return line
            if not self._fill():
                line, self._buf = bytes(self._buf), bytearray()
                return line

    def read(self, n=-1):
        while n < 0 or len(self._buf) < n:
            if not self._fill():
                break
        if n < 0:
            n = len(self._buf)
        data, self._buf = bytes(self._buf[:n]), self._buf[n:]
        return data

    def close(self):
        self.sock.close()


class Connection:
    """The process's session with one scmd.

    The requests are the few bytes of HTTP/1.1 scmd needs and the replies
    are read by their Content-Length: http.client's header parsing would
    cost more than the call."""

    def __init__(self, path):
        self.path = path
        self._cond = threading.Condition(threading.Lock())
        self._idle = []
        self._open = 0
        self._joining = False
        self.token = None
        # gen counts sessions: a handle of an earlier one is invalid, and
        # its number must not reach the session now.
        self.gen = 0

    def _take(self):
        """A socket for one call and the session header its first request
        carries (None for a socket already in the session)."""
        with self._cond:
            while True:
                if self._idle:
                    return self._idle.pop(), None
                if self._open == 0 and not self._joining:
                    self._joining = True
                    self._open += 1
                    return None, "new"
                if self.token and self._open < MAX_SOCKETS:
                    self._open += 1
                    return None, self.token
                self._cond.wait()

    def _put(self, s, broken, header, token):
        with self._cond:
            if header == "new":
                self._joining = False
                if token and not broken:
                    self.token = token
                    self.gen += 1
                    s.gen = self.gen
            if broken or s is None or s.gen != self.gen:
                if s is not None:
                    s.close()
                self._open -= 1
                if self._open == 0 and broken:
                    self.token = None  # the session went with its last socket
            else:
                self._idle.append(s)
            self._cond.notify_all()

    def _lost(self):
        """Forget the session (scmd no longer knows it, or the process is
        done with it): the next call starts a new one."""
        with self._cond:
            for s in self._idle:
                s.close()
            self._open -= len(self._idle)
            self._idle = []
            self.token = None
            self.gen += 1
            self._cond.notify_all()

    def call(self, method, request, timeout=CALL_TIMEOUT):
        if method == "StartService" and timeout == CALL_TIMEOUT:
            # It waits for the process to take the start, as long as
            # ServicesPipeTimeout, which an administrator may raise.
            timeout = START_TIMEOUT
        while _unclosed:
            gen, handle = _unclosed.pop()
            if gen == self.gen:
                try:
                    self._call("CloseServiceHandle", {"handle": handle}, CALL_TIMEOUT)
                except CallFailed:
                    pass
        return self._call(method, request, timeout)

    def _call(self, method, request, timeout=CALL_TIMEOUT):
        body = dumps(request).encode()
        # A call that names a handle is not made again in another session,
        # where the number may be another handle.
        holds_handle = any(k in request for k in ("handle", "scm"))
        gen = self.gen
        while True:
            s, header = self._take()
            if header is not None and holds_handle and gen != self.gen:
                self._put(None, True, None, None)
                raise CallFailed(ERROR_INVALID_HANDLE)
            reused = s is not None
            try:
                if s is None:
                    s = self._connect()
                head = ("POST /scm.v1.ServiceControlManager/%s HTTP/1.1\r\nHost: scm\r\n"
                        "Content-Type: application/json\r\nConnect-Protocol-Version: 1\r\n%s"
                        "Content-Length: %d\r\n\r\n") % (
                    method, (SESSION_HEADER + ": " + header + "\r\n") if header else "", len(body))
                s.sock.settimeout(timeout)
                s.deadline = None if timeout is None else _time.monotonic() + timeout
                s.sock.sendall(head.encode() + body)
                status, headers, data = _read_reply(s.file)
            except _Refused:
                self._put(s, True, header, None)
                raise CallFailed(ERROR_ACCESS_DENIED) from None
            except (OSError, ValueError, _Unanswered) as e:
                self._put(s, True, header, None)
                if reused and isinstance(e, (_Unanswered, BrokenPipeError, ConnectionResetError)):
                    continue  # scmd closed a socket that sat idle: the call was never read
                raise CallFailed(RPC_S_SERVER_UNAVAILABLE) from None
            closing = headers.get("connection", "").lower() == "close"
            if header not in (None, "new") and status == 403:
                # The join was refused: the session is gone at scmd.
                self._put(s, True, None, None)
                self._lost()
                if holds_handle:
                    raise CallFailed(ERROR_INVALID_HANDLE)
                continue
            if reused and closing and status == 503:
                self._put(s, True, None, None)
                continue  # scmd was closing the idle socket as the request came
            self._put(s, closing, header, headers.get("scm-session"))
            if status == 200:
                return loads(data or b"{}")
            code = headers.get("win32-error")
            if code is not None:
                raise CallFailed(int(code))
            try:
                kind = loads(data).get("code", "")
            except ValueError:
                kind = ""
            if kind == "resource_exhausted":
                raise CallFailed(ERROR_NO_SYSTEM_RESOURCES)
            raise CallFailed(RPC_S_SERVER_UNAVAILABLE)

    def _connect(self):
        return _Socket(self.path, self.gen)

    def close(self):
        """End the session: its idle sockets close now, busy ones when
        their calls end."""
        self._lost()


class _Refused(Exception):
    """Another machine refused the caller's credentials, or the caller has
    none: ERROR_ACCESS_DENIED, as Windows answers a caller it cannot
    authenticate."""


DEFAULT_PORT = 5990  # internal/remote's


def client_files():
    """The caller's CA, certificate and key, as internal/remote finds them:
    SCM_CA, SCM_CERT and SCM_KEY, or ca.pem, client.pem and client.key in
    $XDG_CONFIG_HOME/scm (~/.config/scm)."""
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    d = os.path.join(base, "scm")
    return (os.environ.get("SCM_CA") or os.path.join(d, "ca.pem"),
            os.environ.get("SCM_CERT") or os.path.join(d, "client.pem"),
            os.environ.get("SCM_KEY") or os.path.join(d, "client.key"))


def address(host):
    """(host, port) of "name", "name:port", "v6", "[v6]" or "[v6]:port"."""
    if host.startswith("["):
        h, _, rest = host[1:].partition("]")
        return h, int(rest[1:]) if rest.startswith(":") else DEFAULT_PORT
    if host.count(":") == 1:
        h, _, port = host.partition(":")
        return h, int(port)
    return host, DEFAULT_PORT


class _TLSSocket(_Socket):
    """A socket to another machine's scmd: TLS 1.3 with the caller's
    certificate, the server's checked against the CA for the host's name.
    ssl is imported here, so that local calls do not pay for it."""

    def __init__(self, host, gen):
        import socket
        import ssl

        name, port = address(host)
        raw = socket.create_connection((name, port), timeout=10)  # OSError: 1722
        try:
            ca, cert, key = client_files()
            # A key others may read is refused, as ssh refuses one.
            if os.stat(key).st_mode & 0o077:
                raise PermissionError(key + " is readable by others")
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            ctx.minimum_version = ssl.TLSVersion.TLSv1_3
            ctx.load_verify_locations(ca)
            ctx.load_cert_chain(cert, key)
            raw.settimeout(10)
            s = ctx.wrap_socket(raw, server_hostname=name)
        except (ssl.SSLError, OSError) as e:
            raw.close()
            if isinstance(e, (ssl.SSLError, FileNotFoundError, PermissionError)) and not isinstance(e, ssl.SSLEOFError):
                raise _Refused() from None
            raise
        s.settimeout(CALL_TIMEOUT)
        self.sock, self.gen, self.used = s, gen, False
        self.file = self
        self._buf = bytearray()
        self.deadline = None
        self._ssl = ssl

    def _fill(self):
        try:
            return super()._fill()
        except self._ssl.SSLEOFError:
            return False
        except self._ssl.SSLError:
            # TLS 1.3: the server judges the certificate after the
            # client's side of the handshake; its refusal comes here.
            raise _Refused() from None


class RemoteConnection(Connection):
    """The process's session with another machine's scmd (internal/remote's
    listener)."""

    def __init__(self, host):
        super().__init__(host)
        self.host = host

    def _connect(self):
        return _TLSSocket(self.host, self.gen)

    def forked(self):
        self.__init__(self.host)


def dumps(v):
    """JSON for the requests: objects, lists, strings, numbers, booleans."""
    if isinstance(v, dict):
        return "{" + ",".join(_json.encode_basestring_ascii(str(k)) + ":" + dumps(x) for k, x in v.items()) + "}"
    if isinstance(v, (list, tuple)):
        return "[" + ",".join(dumps(x) for x in v) + "]"
    if isinstance(v, str):
        return _json.encode_basestring_ascii(v)
    if v is True:
        return "true"
    if v is False:
        return "false"
    if v is None:
        return "null"
    if isinstance(v, int):
        return str(v)
    raise TypeError("cannot send %r" % (v,))


class _Context:
    """What the C JSON scanner reads of a decoder."""

    strict = True
    object_hook = None
    object_pairs_hook = None
    parse_float = float
    parse_int = int
    memo = {}

    @staticmethod
    def parse_constant(name):
        return float(name.replace("Infinity", "inf"))


_scan = _json.make_scanner(_Context())


def loads(data):
    """The value of a JSON reply."""
    text = data.decode("utf-8").strip()
    try:
        value, end = _scan(text, 0)
    except StopIteration:
        raise ValueError("not JSON: %r" % text[:40]) from None
    if text[end:].strip():
        raise ValueError("trailing data after JSON")
    return value


def _read_reply(f):
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


# Handles the garbage collector took, to close with the next call: the
# collector may run anywhere, a call's own bookkeeping included.
_unclosed = []


def close_later(gen, handle):
    _unclosed.append((gen, handle))


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


def _forked():
    """A child of fork shares its parent's sockets, not its session."""
    global _shared, _shared_lock
    _shared, _shared_lock = None, threading.Lock()
    del _unclosed[:]
    for c in _remotes:
        c.forked()


os.register_at_fork(after_in_child=_forked)


def call(method, request, timeout=CALL_TIMEOUT):
    """One call; timeout bounds the wait for its reply (None: no bound).
    A request that names another machine, or a handle or key of one, goes
    to that machine's scmd (_route)."""
    conn, tag, request = _route(request)
    reply = conn.call(method, request, timeout)
    if tag and isinstance(reply, dict) and u64(reply.get("handle")):
        reply["handle"] = str(u64(reply["handle"]) | tag << HOST_SHIFT)
    return reply


# Another machine's scmd is reached with the same calls and handles as
# this one's, as on Windows a handle from OpenSCManager(r"\\host") carries
# its binding: the handles it returns carry the machine in their top byte
# (as internal/client's do), and a registry path of ConnectRegistry's
# starts with \\host\.
HOST_SHIFT = 56
_remotes = []  # _remotes[tag-1] is a RemoteConnection
_remote_tags = {}


def is_local_machine(machine):
    name = (machine or "").lstrip("\\")
    if name in ("", ".") or name.lower() == "localhost":
        return True
    return name.lower() == os.uname().nodename.lower()


def _remote_tag(host):
    with _shared_lock:
        tag = _remote_tags.get(host.lower())
        if tag is None:
            if len(_remotes) == 255:
                raise CallFailed(ERROR_NO_SYSTEM_RESOURCES)
            _remotes.append(RemoteConnection(host))
            tag = _remote_tags[host.lower()] = len(_remotes)
        return tag


def _route(request):
    tag = 0
    machine = request.get("machine")
    path = request.get("path")
    if machine and not is_local_machine(machine):
        tag = _remote_tag(machine.lstrip("\\"))
        request = dict(request, machine="")
    elif isinstance(path, str) and path.startswith("\\\\"):
        host, _, rest = path[2:].partition("\\")
        return _remotes[_remote_tag(host) - 1], 0, dict(request, path=rest)
    for k in ("handle", "scm"):
        h = u64(request.get(k))
        t = h >> HOST_SHIFT
        if not t:
            continue
        if tag and t != tag or t > len(_remotes):
            raise CallFailed(ERROR_INVALID_HANDLE)
        tag = t
        request = dict(request, **{k: h & ((1 << HOST_SHIFT) - 1)})
    if not tag:
        return shared(), 0, request
    return _remotes[tag - 1], tag, request


def generation():
    """The session handles opened now belong to."""
    return shared().gen


def u64(v):
    """A uint64 of a JSON reply, which protojson writes as a string."""
    return int(v or 0)


def b64(data):
    import binascii  # base64's own, without base64's imports

    return binascii.b2a_base64(bytes(data), newline=False).decode()


def unb64(s):
    import binascii

    return binascii.a2b_base64(s or "")
