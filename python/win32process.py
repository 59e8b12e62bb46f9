"""win32process: starting a program in a user's session, and the process
calls service code makes."""

import os

import pywintypes
import _scm
from pywintypes import error

CREATE_NEW_CONSOLE = 0x00000010
CREATE_NEW_PROCESS_GROUP = 0x00000200
CREATE_NO_WINDOW = 0x08000000
CREATE_UNICODE_ENVIRONMENT = 0x00000400
DETACHED_PROCESS = 0x00000008
NORMAL_PRIORITY_CLASS = 0x00000020
STARTF_USESHOWWINDOW = 0x00000001
STARTF_USESTDHANDLES = 0x00000100


class STARTUPINFO:
    """PySTARTUPINFO: how a process's window should appear; nothing of it
    applies to a Linux process, and it is accepted as it is."""

    def __init__(self):
        self.dwX = self.dwY = self.dwXSize = self.dwYSize = 0
        self.dwXCountChars = self.dwYCountChars = self.dwFillAttribute = 0
        self.dwFlags = 0
        self.wShowWindow = 0
        self.hStdInput = self.hStdOutput = self.hStdError = None
        self.lpDesktop = self.lpTitle = None


class PyProcessHANDLE(pywintypes.HANDLEType):
    pass


PyProcessHANDLE.__name__ = PyProcessHANDLE.__qualname__ = "PyHANDLE"


def CreateProcessAsUser(hToken, appName, commandLine, processAttributes, threadAttributes, bInheritHandles,
                        dwCreationFlags, newEnvironment, currentDirectory, startupinfo):
    """Start a program as the token's user in its session, with its
    environment (or newEnvironment, a dict); (hProcess, hThread,
    dwProcessId, dwThreadId)."""
    if appName is None and commandLine is None:
        raise TypeError("The command line and application parameters can not both be None")
    req = {"token": pywintypes.handle_value(hToken), "application": appName or "", "commandLine": commandLine or "",
           "currentDirectory": currentDirectory or ""}
    if newEnvironment is not None:
        req["hasEnvironment"] = True
        req["environment"] = ["%s=%s" % (k, v) for k, v in newEnvironment.items()]
    try:
        r = _scm.call("CreateProcessAsUser", req)
    except _scm.CallFailed as e:
        pywintypes.raise_error(e.code, "CreateProcessAsUser")
    pid = r.get("pid", 0)
    return PyProcessHANDLE(pid), PyProcessHANDLE(pid), pid, pid


def GetCurrentProcess():
    return -1


def GetProcessId(Process):
    return pywintypes.handle_value(Process)


def GetWindowThreadProcessId(hwnd):
    pywintypes.raise_error(1400, "GetWindowThreadProcessId")  # ERROR_INVALID_WINDOW_HANDLE: there are no windows


def TerminateProcess(handle, exitCode):
    import signal

    try:
        os.kill(pywintypes.handle_value(handle), signal.SIGKILL)
    except ProcessLookupError:
        raise error(87, "TerminateProcess", pywintypes.message(87)) from None
    except PermissionError:
        raise error(5, "TerminateProcess", pywintypes.message(5)) from None
