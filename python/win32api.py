"""win32api: the calls service scripts and win32serviceutil make."""

import os
import signal
import sys
import threading
import time

import pywintypes
import _reg
from pywintypes import error

from win32con import HKEY_CLASSES_ROOT, HKEY_CURRENT_USER, HKEY_LOCAL_MACHINE, HKEY_USERS  # noqa: E402,F401

PyHKEY = _reg.PyHKEY

CTRL_C_EVENT = 0
CTRL_BREAK_EVENT = 1
CTRL_CLOSE_EVENT = 2
CTRL_LOGOFF_EVENT = 5
CTRL_SHUTDOWN_EVENT = 6


def Sleep(time_ms, bAlertable=0):
    if time_ms in (-1, 0xFFFFFFFF):  # INFINITE
        while True:
            time.sleep(3600)
    time.sleep(max(0, time_ms) / 1000.0)
    return 0


def GetFullPathName(fileName):
    return os.path.abspath(fileName)


def GetModuleFileName(hModule):
    if pywintypes.handle_value(hModule) == 0:
        return os.path.abspath(sys.executable)
    raise error(6, "GetModuleFileName", pywintypes.message(6))


def GetCurrentProcessId():
    return os.getpid()


def CloseHandle(handle):
    """Close a handle: a token, a process's, an event's."""
    if isinstance(handle, pywintypes.HANDLEType):
        handle.Close()
    elif pywintypes.handle_value(handle) == 0:
        raise error(6, "CloseHandle", pywintypes.message(6))


def GetLastError():
    return getattr(pywintypes._last_error, "code", 0)


def FormatMessage(*args):
    """FormatMessage(errCode=0) or FormatMessage(flags, source, messageId, languageId, inserts):
    the system's text for a Win32 code, with its CR/LF, as Windows gives it."""
    code = args[0] if len(args) == 1 else args[2] if len(args) > 2 else 0
    text = pywintypes._winerror._texts.get(code & 0xFFFFFFFF)
    if text is None:
        raise error(317, "FormatMessageW", pywintypes.message(317))
    return text + "\r\n"


# Console control handlers: SIGINT is Ctrl+C, SIGBREAK has no Linux
# counterpart, SIGTERM stands for a close.
_handlers = []
_handlers_lock = threading.Lock()
_saved = {}


_ignore_ctrl_c = False


def _dispatch(signum, frame):
    evt = {signal.SIGINT: CTRL_C_EVENT, signal.SIGTERM: CTRL_CLOSE_EVENT, signal.SIGHUP: CTRL_LOGOFF_EVENT}[signum]
    if evt == CTRL_C_EVENT and _ignore_ctrl_c:
        return
    with _handlers_lock:
        handlers = list(reversed(_handlers))
    for h in handlers:
        try:
            if h(evt):
                return
        except Exception:
            import traceback

            print("ConsoleCtrlHandler function failed", file=sys.stderr)
            traceback.print_exc()
    if signum == signal.SIGINT:
        raise KeyboardInterrupt
    sys.exit(1)


def SetConsoleCtrlHandler(ctrlHandler, bAdd=True):
    """Add or remove a handler of console events: SIGINT is Ctrl+C, SIGTERM
    a close, SIGHUP a logoff. None with bAdd ignores Ctrl+C. Handlers run
    on the main thread, Python's signal thread; the newest runs first."""
    global _ignore_ctrl_c
    with _handlers_lock:
        if ctrlHandler is None:
            _ignore_ctrl_c = bool(bAdd)
        elif not callable(ctrlHandler):
            raise TypeError("First argument must be callable (got %s)" % type(ctrlHandler).__name__)
        elif bAdd:
            _handlers.append(ctrlHandler)
        else:
            try:
                _handlers.remove(ctrlHandler)
            except ValueError:
                raise ValueError("The object has not been registered") from None
        wanted = bool(_handlers) or _ignore_ctrl_c
    if threading.current_thread() is not threading.main_thread():
        return None
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        if wanted and sig not in _saved:
            _saved[sig] = signal.signal(sig, _dispatch)
        elif not wanted and sig in _saved:
            signal.signal(sig, _saved.pop(sig))
    return None


def GenerateConsoleCtrlEvent(controlEvent, processGroupId):
    os.kill(0 if processGroupId == 0 else -processGroupId, signal.SIGINT)


# The registry.

def RegOpenKey(key, subKey, reserved=0, sam=0x20019):
    path = _reg.path_of(key, subKey)
    _reg.query(path, "RegOpenKeyEx")
    return _reg.PyHKEY(path)


RegOpenKeyEx = RegOpenKey


def RegConnectRegistry(computerName, key):
    """A predefined key of another computer (HKEY_LOCAL_MACHINE or
    HKEY_USERS), reached as OpenSCManager reaches its SCM; None or this
    computer's name is this computer's key."""
    import _scm

    root = _reg.path_of(key)
    if root not in ("HKLM", "HKU"):
        pywintypes.raise_error(6, "RegConnectRegistry")
    if _scm.is_local_machine(computerName):
        return _reg.PyHKEY(root)
    path = "\\\\" + computerName.lstrip("\\") + "\\" + root
    _reg.query(path, "RegConnectRegistry")
    return _reg.PyHKEY(path)


def RegCreateKey(key, subKey):
    path = _reg.path_of(key, subKey)
    _reg.call("RegCreateKey", "RegCreateKey", {"path": path})
    return _reg.PyHKEY(path)


def RegCreateKeyEx(Key, SubKey, samDesired=0, Options=0, Class=None, SecurityAttributes=None, Transaction=None):
    path = _reg.path_of(Key, SubKey)
    try:
        _reg.query(path, "RegCreateKeyEx")
        disposition = 2  # REG_OPENED_EXISTING_KEY
    except error:
        _reg.call("RegCreateKey", "RegCreateKeyEx", {"path": path})
        disposition = 1  # REG_CREATED_NEW_KEY
    return _reg.PyHKEY(path), disposition


def RegCloseKey(key):
    if isinstance(key, _reg.PyHKEY):
        key.Close()


def RegDeleteKey(key, subKey):
    _reg.call("RegDeleteKey", "RegDeleteKey", {"path": _reg.path_of(key, subKey)})


def RegDeleteTree(key, subKey):
    _reg.call("RegDeleteKey", "RegDeleteTree", {"path": _reg.path_of(key, subKey), "recursive": True})


def RegSetValue(key, subKey, type, value):
    """Set the default value of key\\subKey (created if need be), a REG_SZ."""
    if type != _reg.REG_SZ:
        raise TypeError("Type must be win32con.REG_SZ")
    path = _reg.path_of(key, subKey)
    if subKey:
        _reg.call("RegCreateKey", "RegSetValue", {"path": path})
    _reg.set_value(path, "", type, value, "RegSetValue")


def RegSetValueEx(key, valueName, reserved, type, value):
    _reg.set_value(_reg.path_of(key), valueName, type, value, "RegSetValueEx")


def RegQueryValue(key, subKey):
    path = _reg.path_of(key, subKey)
    for name, typ, data in _reg.values(path, "RegQueryValue"):
        if name == "":
            return _reg.decode(typ, data)
    return ""


def _value(typ, data):
    """A value as pywin32 gives it: a REG_DWORD is a C long, signed."""
    v = _reg.decode(typ, data)
    if typ == _reg.REG_DWORD and v >= 1 << 31:
        v -= 1 << 32
    return v


def RegQueryValueEx(key, valueName):
    for name, typ, data in _reg.values(_reg.path_of(key), "RegQueryValueEx"):
        if name.lower() == (valueName or "").lower():
            return _value(typ, data), typ
    raise error(_reg.ERROR_FILE_NOT_FOUND, "RegQueryValueEx", pywintypes.message(_reg.ERROR_FILE_NOT_FOUND))


def RegDeleteValue(key, value):
    _reg.call("RegDeleteValue", "RegDeleteValue", {"path": _reg.path_of(key), "name": value or ""})


def RegEnumKey(key, index):
    names = _reg.query(_reg.path_of(key), "RegEnumKey").get("subkeyNames", [])
    if index >= len(names):
        raise error(_reg.ERROR_NO_MORE_ITEMS, "RegEnumKey", pywintypes.message(_reg.ERROR_NO_MORE_ITEMS))
    return names[index]


def RegEnumKeyEx(Key):
    k = _reg.query(_reg.path_of(Key), "RegEnumKeyEx")
    return [(n, 0, None, k.get("lastWriteTime", 0)) for n in k.get("subkeyNames", [])]


def RegEnumValue(key, index):
    vals = _reg.values(_reg.path_of(key), "RegEnumValue")
    if index >= len(vals):
        raise error(_reg.ERROR_NO_MORE_ITEMS, "RegEnumValue", pywintypes.message(_reg.ERROR_NO_MORE_ITEMS))
    name, typ, data = vals[index]
    return name, _value(typ, data), typ


def RegQueryInfoKey(key):
    k = _reg.query(_reg.path_of(key), "RegQueryInfoKey")
    return len(k.get("subkeyNames", [])), len(k.get("values", [])), int(k.get("lastWriteTime", 0))
