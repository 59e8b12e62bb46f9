"""win32ts: the machine's sessions, as Windows Terminal Services has them.

Session 0 is the services'; every login session of the machine (a seat's,
an ssh login) is another, with the id scmd gives it while it lives.
"""

import os

import pywintypes
import _scm
from pywintypes import error
from win32con import (WTS_CONSOLE_CONNECT, WTS_CONSOLE_DISCONNECT, WTS_REMOTE_CONNECT,  # noqa: F401
                      WTS_REMOTE_DISCONNECT, WTS_SESSION_LOCK, WTS_SESSION_LOGOFF, WTS_SESSION_LOGON,
                      WTS_SESSION_REMOTE_CONTROL, WTS_SESSION_UNLOCK)

WTS_CURRENT_SERVER_HANDLE = 0
WTS_CURRENT_SERVER = 0
WTS_CURRENT_SESSION = -1

WTSActive = 0
WTSConnected = 1
WTSConnectQuery = 2
WTSShadow = 3
WTSDisconnected = 4
WTSIdle = 5
WTSListen = 6
WTSReset = 7
WTSDown = 8
WTSInit = 9

WTSInitialProgram = 0
WTSApplicationName = 1
WTSWorkingDirectory = 2
WTSOEMId = 3
WTSSessionId = 4
WTSUserName = 5
WTSWinStationName = 6
WTSDomainName = 7
WTSConnectState = 8
WTSClientBuildNumber = 9
WTSClientName = 10
WTSClientDirectory = 11
WTSClientProductId = 12
WTSClientHardwareId = 13
WTSClientAddress = 14
WTSClientDisplay = 15
WTSClientProtocolType = 16
WTSIsRemoteSession = 29

WTS_PROTOCOL_TYPE_CONSOLE = 0
WTS_PROTOCOL_TYPE_ICA = 1
WTS_PROTOCOL_TYPE_RDP = 2

ERROR_CTX_WINSTATION_NOT_FOUND = 7022
_AF_INET, _AF_INET6 = 2, 23


def _call(method, funcname, request):
    try:
        return _scm.call(method, request)
    except _scm.CallFailed as e:
        pywintypes.raise_error(e.code, funcname)


def _server(h, funcname):
    if pywintypes.handle_value(h) != WTS_CURRENT_SERVER_HANDLE:
        pywintypes.raise_error(6, funcname)  # only this machine's sessions are known here


def WTSOpenServer(ServerName):
    """Remote servers are not reachable here: RPC_S_SERVER_UNAVAILABLE."""
    import socket

    if ServerName in (None, "", ".", "localhost", socket.gethostname()):
        return pywintypes.HANDLE(WTS_CURRENT_SERVER_HANDLE)
    pywintypes.raise_error(1722, "WTSOpenServer")


def WTSCloseServer(Server):
    return None


def _sessions(funcname):
    r = _call("EnumerateSessions", funcname, {})
    return r.get("sessions", []), _scm.u64(r.get("console", 0xFFFFFFFF))


def WTSEnumerateSessions(Server=WTS_CURRENT_SERVER_HANDLE, Version=1, Reserved=0):
    """A tuple of dicts: SessionId, WinStationName, State."""
    _server(Server, "WTSEnumerateSessions")
    if Version != 1 or Reserved != 0:
        pywintypes.raise_error(87, "WTSEnumerateSessions")
    sessions, _ = _sessions("WTSEnumerateSessions")
    return tuple({"SessionId": s.get("id", 0), "WinStationName": s.get("name", ""), "State": s.get("state", 0)}
                 for s in sessions)


def _current_session():
    return ProcessIdToSessionId(os.getpid())


def WTSQuerySessionInformation(Server, SessionId, WTSInfoClass):
    """One fact about a session; its type depends on WTSInfoClass."""
    _server(Server, "WTSQuerySessionInformation")
    sid = SessionId & 0xFFFFFFFF
    if sid == 0xFFFFFFFF:
        sid = _current_session()
    sessions, _ = _sessions("WTSQuerySessionInformation")
    s = next((x for x in sessions if x.get("id", 0) == sid), None)
    if s is None:
        pywintypes.raise_error(ERROR_CTX_WINSTATION_NOT_FOUND, "WTSQuerySessionInformation")
    remote = s.get("remote", False)
    c = WTSInfoClass
    if c == WTSSessionId:
        return sid
    if c == WTSUserName:
        return s.get("user", "")
    if c == WTSWinStationName:
        return s.get("name", "")
    if c == WTSDomainName:
        import socket

        return socket.gethostname().split(".")[0].upper() if s.get("user") else ""
    if c == WTSConnectState:
        return s.get("state", 0)
    if c == WTSClientName:
        return s.get("clientHost", "") if remote else ""
    if c in (WTSInitialProgram, WTSApplicationName, WTSWorkingDirectory, WTSOEMId, WTSClientDirectory):
        return ""
    if c in (WTSClientBuildNumber, WTSClientHardwareId):
        return 0
    if c == WTSClientProductId:
        return 0
    if c == WTSClientProtocolType:
        return WTS_PROTOCOL_TYPE_RDP if remote else WTS_PROTOCOL_TYPE_CONSOLE
    if c == WTSIsRemoteSession:
        return bool(remote)
    if c == WTSClientDisplay:
        return {"HorizontalResolution": 0, "VerticalResolution": 0, "ColorDepth": 0}
    if c == WTSClientAddress:
        return {"AddressFamily": 0, "Address": (0,) * 20} if not remote else _address(s.get("clientHost", ""))
    raise NotImplementedError("InfoClass %d not yet supported" % c)


def _address(host):
    """WTS_CLIENT_ADDRESS as pywin32 gives it: the family, and the 20 bytes
    of the address, an IPv4 one at bytes 2 to 5."""
    import ipaddress

    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return {"AddressFamily": 0, "Address": (0,) * 20}
    b = [0] * 20
    if ip.version == 4:
        b[2:6] = ip.packed
        return {"AddressFamily": _AF_INET, "Address": tuple(b)}
    b[2:18] = ip.packed
    return {"AddressFamily": _AF_INET6, "Address": tuple(b)}


def WTSGetActiveConsoleSessionId():
    """The session on the physical console; 0xFFFFFFFF when none is."""
    try:
        _, console = _sessions("WTSGetActiveConsoleSessionId")
    except error:
        return 0xFFFFFFFF
    return console


def ProcessIdToSessionId(ProcessId):
    r = _call("ProcessIdToSessionId", "ProcessIdToSessionId", {"pid": ProcessId & 0xFFFFFFFF})
    return r.get("sessionId", 0)


def _not_yet(funcname):
    def f(*args, **kw):
        pywintypes.raise_error(120, funcname)  # ERROR_CALL_NOT_IMPLEMENTED

    f.__name__ = funcname
    return f


class PyTokenHANDLE(pywintypes.HANDLEType):
    """A session user's token: its handle is scmd's, closed with it."""

    def _close(self, value):
        try:
            _scm.call("CloseServiceHandle", {"handle": value})
        except _scm.CallFailed:
            pass

    def __del__(self):
        if self.handle:
            _scm.close_later(_scm.generation(), self.Detach())


PyTokenHANDLE.__name__ = PyTokenHANDLE.__qualname__ = "PyHANDLE"


def WTSQueryUserToken(SessionId):
    """The token of a session's user, for win32process.CreateProcessAsUser.
    Only LocalSystem may have one (ERROR_PRIVILEGE_NOT_HELD)."""
    r = _call("WTSQueryUserToken", "WTSQueryUserToken", {"sessionId": SessionId & 0xFFFFFFFF})
    return PyTokenHANDLE(_scm.u64(r.get("handle")))


IDOK, IDCANCEL, IDABORT, IDRETRY, IDIGNORE, IDYES, IDNO, IDTRYAGAIN, IDCONTINUE = 1, 2, 3, 4, 5, 6, 7, 10, 11
IDTIMEOUT = 32000
IDASYNC = 32001


def WTSSendMessage(Server, SessionId, Title, Message, Style, Timeout, Wait):
    """A message box in a session: a desktop notification in a graphical
    one, the text on the terminal in a text one. The answer (IDOK, IDYES,
    ..., IDTIMEOUT), or IDASYNC when not waiting."""
    _server(Server, "WTSSendMessage")
    sid = SessionId & 0xFFFFFFFF
    if sid == 0xFFFFFFFF:
        sid = _current_session()
    req = {"sessionId": sid, "title": Title, "message": Message, "style": Style & 0xFFFFFFFF,
           "timeout": Timeout & 0xFFFFFFFF, "wait": bool(Wait)}
    wait = None if Wait and not Timeout else Timeout + _scm.CALL_TIMEOUT  # the user has that long to answer
    try:
        r = _scm.call("WTSSendMessage", req, wait)
    except _scm.CallFailed as e:
        pywintypes.raise_error(e.code, "WTSSendMessage")
    return r.get("response", 0)
def WTSLogoffSession(Server, SessionId, Wait):
    """Log a session off (administrators only): logind ends it."""
    _server(Server, "WTSLogoffSession")
    _call("WTSLogoffSession", "WTSLogoffSession", {"sessionId": SessionId & 0xFFFFFFFF})


def WTSDisconnectSession(Server, SessionId, Wait):
    """A Linux login session cannot be left running without its terminal
    or display: ERROR_NOT_SUPPORTED."""
    _server(Server, "WTSDisconnectSession")
    _call("WTSDisconnectSession", "WTSDisconnectSession", {"sessionId": SessionId & 0xFFFFFFFF})
