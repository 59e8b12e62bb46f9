"""win32evtlog: writing to an event log, on this machine's scmd or another's.

RegisterEventSource(server, source) opens a source as the Win32 call does;
server None or this machine's name is this machine, any other is reached as
OpenSCManager reaches another machine's SCM. Reading a log (OpenEventLog,
ReadEventLog) is not here: wevtutil reads logs, on any machine (/r:host).
"""

import pywintypes
import _scm
from win32con import (EVENTLOG_AUDIT_FAILURE, EVENTLOG_AUDIT_SUCCESS, EVENTLOG_ERROR_TYPE,  # noqa: F401
                      EVENTLOG_INFORMATION_TYPE, EVENTLOG_SUCCESS, EVENTLOG_WARNING_TYPE)

error = pywintypes.error


class PyEVTLOG_HANDLE(pywintypes.HANDLEType):
    """An event source's handle; DeregisterEventSource when closed or
    collected."""

    def _close(self, value):
        _call("CloseServiceHandle", "DeregisterEventSource", {"handle": value})


def _call(method, funcname, request):
    try:
        return _scm.call(method, request)
    except _scm.CallFailed as e:
        pywintypes.raise_error(e.code, funcname)


def RegisterEventSource(serverName, sourceName):
    r = _call("RegisterEventSource", "RegisterEventSource", {"machine": serverName or "", "source": sourceName})
    return PyEVTLOG_HANDLE(_scm.u64(r.get("handle")))


def DeregisterEventSource(handle):
    handle.Close()


def ReportEvent(EventLog, Type, Category, EventID, UserSid, Strings, RawData):
    request = {"handle": pywintypes.handle_value(EventLog), "type": int(Type), "category": int(Category),
               "eventId": int(EventID) & 0xFFFFFFFF, "strings": list(Strings or ())}
    if RawData:
        request["data"] = _scm.b64(RawData)
    _call("ReportEvent", "ReportEvent", request)
