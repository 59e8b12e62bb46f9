"""servicemanager: the host side of a Python service, as pythonservice.exe has it.

A service process speaks scmd's service process protocol (docs/protocol.md)
over the SOCK_SEQPACKET socket scmd hands it as SCM_CONTROL_FD: it registers
the services it hosts, runs each START in a thread of its own (ServiceMain),
answers each CONTROL through the handler the service registered
(HandlerEx), and sends SetServiceStatus as STATUS.
"""

import _socket
import os
import struct
import sys
import threading
import time

import pywintypes
import _scm
import _reg

COINIT_MULTITHREADED = 0
COINIT_APARTMENTTHREADED = 2
COINIT_DISABLE_OLE1DDE = 4
COINIT_SPEED_OVER_MEMORY = 8

EVENTLOG_ERROR_TYPE = 1
EVENTLOG_WARNING_TYPE = 2
EVENTLOG_INFORMATION_TYPE = 4
EVENTLOG_AUDIT_SUCCESS = 8
EVENTLOG_AUDIT_FAILURE = 16

PYS_SERVICE_STARTING = 0x40001000
PYS_SERVICE_STARTED = 0x40001002
PYS_SERVICE_STOPPING = 0x40001003
PYS_SERVICE_STOPPED = 0x40001004

# The message table's ids the host itself logs.
_PYS_E_GENERIC_ERROR = 0xC00000FF
_PYS_E_GENERIC_WARNING = 0x400000FF
_E_PYS_NOT_CONTROL_HANDLER = 0xC0000001
_E_PYS_NO_RUN_METHOD = 0xC0000002
_E_PYS_START_FAILED = 0xC0000003
_E_PYS_NO_MODULE = 0xC0000004
_E_PYS_NO_CLASS = 0xC0000005
_E_PYS_NO_SERVICE = 0xC0000006
_PYS_E_BAD_CLASS = 0xC000000A
_PYS_E_SERVICE_CONTROL_FAILED = 0xC000000B
_PYS_E_CANT_LOCATE_MODULE_NAME = 0xC0000080
_PYS_E_API_CANT_START_SERVICE = 0xC00000F0
_PYS_E_API_CANT_LOCATE_PYTHON_CLASS = 0xC00000F4

# The message file: pywin32's texts, which scmd renders when the source's
# EventMessageFile names it.
MESSAGE_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "PythonServiceMessages.mc")


class startup_error(Exception):
    pass


startup_error.__module__ = "servicemanager"

_OWN, _SHARE = 16, 32
_MAX_SHARED = 10

_lock = threading.RLock()
_debugging = False
_running_as_service = False
_mode = None
_table = []  # [_Entry]
_source = "Python Service"
_source_registered = set()
_message_file = MESSAGE_FILE
_log_handles = {}
_LOG_WAIT = 10.0  # seconds an event waits for scmd to come back
_channel = None
_running = set()
_pending_notify = {}
_notify_seq = [0]


class _Entry:
    """A service the process hosts: its class, its handler, and what scmd
    was told of it."""

    def __init__(self, name, klass):
        self.name = name
        self.klass = klass
        self.callback = None
        self.extra = False
        self.running_name = name
        self.started = False
        self.stopped = False
        self.token = b""
        self.last = None
        self.devices = []


# -- the event log ---------------------------------------------------------

def _register_source(name):
    """Name the message file under the source's key, once, as pythonservice
    does; failures (an ordinary user may not write HKLM) are ignored."""
    if name in _source_registered:
        return
    _source_registered.add(name)
    path = "HKLM\\SYSTEM\\CurrentControlSet\\Services\\EventLog\\Application\\" + name
    try:
        _reg.call("RegCreateKey", "RegCreateKey", {"path": path})
        _reg.set_value(path, "EventMessageFile", _reg.REG_SZ, _message_file, "RegSetValueEx")
        _reg.set_value(path, "TypesSupported", _reg.REG_DWORD, 7, "RegSetValueEx")
    except pywintypes.error:
        pass


def _report(errorType, eventId, inserts):
    if _debugging:
        kind = {EVENTLOG_WARNING_TYPE: "Warning", EVENTLOG_INFORMATION_TYPE: "Info",
                EVENTLOG_ERROR_TYPE: "Error"}.get(errorType, "Message")
        print("%s 0x%X - %s" % (kind, eventId & 0xFFFFFFFF, _render(eventId, inserts)), end="", flush=True)
        return
    with _lock:
        source = _source
        _register_source(source)
        cached = _log_handles.get(source)
    # The event log is scmd's: while scmd restarts (its services keep
    # running and reconnect) an event waits for it a while, rather than
    # failing the service that logs it.
    deadline = time.monotonic() + _LOG_WAIT
    while True:
        try:
            if cached is None or cached[0] != _scm.generation():
                h = _scm.u64(_scm.call("RegisterEventSource", {"machine": "", "source": source}).get("handle"))
                cached = (_scm.generation(), h)
                with _lock:
                    _log_handles[source] = cached
            _scm.call("ReportEvent", {"handle": cached[1], "type": errorType, "category": 0,
                                      "eventId": eventId & 0xFFFFFFFF, "strings": list(inserts)})
            return
        except _scm.CallFailed as e:
            if e.code not in (_scm.RPC_S_SERVER_UNAVAILABLE, _scm.ERROR_INVALID_HANDLE) or time.monotonic() > deadline:
                pywintypes.raise_error(e.code, "RegisterEventSource/ReportEvent")
            cached = None
            time.sleep(0.1)


def _render(eventId, inserts):
    """The message's text in debug mode, as FormatMessage would give it."""
    tmpl = _messages().get(eventId & 0xFFFFFFFF)
    if tmpl is None:
        return "No message available\nMessage inserts were" + "".join("'%s'," % s for s in inserts)
    out, i = [], 0
    while i < len(tmpl):
        c = tmpl[i]
        if c == "%" and i + 1 < len(tmpl):
            if tmpl[i + 1] == "n":
                out.append("\r\n")
                i += 2
                continue
            j = i + 1
            while j < len(tmpl) and tmpl[j].isdigit():
                j += 1
            if j > i + 1:
                n = int(tmpl[i + 1:j])
                out.append(inserts[n - 1] if 0 < n <= len(inserts) else tmpl[i:j])
                i = j
                continue
        out.append(c)
        i += 1
    return "".join(out)


_message_cache = None


def _messages():
    global _message_cache
    if _message_cache is None:
        _message_cache = parse_message_file(MESSAGE_FILE)
    return _message_cache


def parse_message_file(path):
    """The texts of a message compiler source (.mc), by full message id."""
    severities = {"success": 0, "informational": 1, "warning": 2, "error": 3}
    out, last, severity, facility = {}, -1, 0, 0
    with open(path, encoding="utf-8") as f:
        lines = f.read().splitlines()
    i = 0
    while i < len(lines):
        line = lines[i].strip()
        i += 1
        if not line.lower().startswith("messageid"):
            continue
        value = line.split("=", 1)[1].strip()
        msg_id = int(value, 0) if value else last + 1
        last = msg_id
        while i < len(lines) and not lines[i].strip().lower().startswith("language"):
            k, _, v = lines[i].partition("=")
            if k.strip().lower() == "severity":
                severity = severities.get(v.strip().lower(), 0)
            i += 1
        i += 1
        text = []
        while i < len(lines) and lines[i].rstrip() != ".":
            text.append(lines[i])
            i += 1
        out[(severity << 30) | (facility << 16) | msg_id] = "\r\n".join(text) + "\r\n"
    return out


def LogMsg(errorType, eventId, inserts=None):
    if inserts is not None and (isinstance(inserts, (str, bytes)) or not hasattr(inserts, "__iter__")):
        raise TypeError("strings must be None or a sequence")
    _report(int(errorType), int(eventId), [str(s) for s in (inserts or ())])


def LogInfoMsg(msg):
    _report(EVENTLOG_INFORMATION_TYPE, _PYS_E_GENERIC_WARNING, [str(msg)])


def LogWarningMsg(msg):
    _report(EVENTLOG_WARNING_TYPE, _PYS_E_GENERIC_WARNING, [str(msg)])


def LogErrorMsg(msg):
    _report(EVENTLOG_ERROR_TYPE, _PYS_E_GENERIC_ERROR, [str(msg)])


def _log_python_error(eventId):
    """Log the exception being handled, as pythonservice does: its
    traceback as the one insert."""
    info = sys.exc_info()
    if info[0] is None:
        inserts = ["<No Python Error!>", "", ""]
    else:
        try:
            import traceback  # only when something failed: it costs a start 20 ms

            inserts = ["".join(traceback.format_exception(*info, chain=False))]
        except Exception as e:
            inserts = ["<Error getting traceback - %s>" % e]
    _log_quietly(EVENTLOG_ERROR_TYPE, eventId, inserts)


def _log_quietly(errorType, eventId, inserts):
    """Log what the host itself reports; a log that cannot be written must
    not stop the service's status from being reported."""
    try:
        _report(errorType, eventId, inserts)
    except Exception:
        pass


def SetEventSourceName(sourceName, registerNow=False):
    global _source
    with _lock:
        _source = str(sourceName)[:260]
        _source_registered.discard(_source)
        if registerNow:
            _register_source(_source)


def Initialize(eventSourceName=None, eventSourceFile=None):
    global _source, _message_file
    if eventSourceName:
        _source = eventSourceName
    if eventSourceFile:
        _message_file = eventSourceFile


def Finalize():
    for e in _table:
        e.klass = None


def Debugging(newVal=-1):
    global _debugging
    old = _debugging
    if newVal != -1:
        _debugging = bool(newVal)
    return old


def RunningAsService():
    return _running_as_service


def PumpWaitingMessages():
    return 0


def CoInitializeEx(flags):
    return 0


def CoUninitialize():
    return None


# -- hosting -----------------------------------------------------------------

def PrepareToHostSingle(klass=None):
    global _mode
    with _lock:
        if _mode == _SHARE:
            raise startup_error("PrepareToHostSingle failed!")
        _mode = _OWN
        _table[:] = [_Entry("", klass)]


def PrepareToHostMultiple(service_name, klass):
    global _mode
    with _lock:
        if _mode == _OWN or len(_table) >= _MAX_SHARED or any(e.name.lower() == service_name.lower() for e in _table):
            raise startup_error("PrepareToHostMultiple failed!")
        _mode = _SHARE
        _table.append(_Entry(service_name, klass))


def _entry(name):
    if _mode == _OWN and _table:
        return _table[0]
    for e in _table:
        if e.name.lower() == name.lower():
            return e
    return None


def RegisterServiceCtrlHandler(serviceName, callback, extra_args=False):
    if not callable(callback):
        raise TypeError("Second argument must be a callable object")
    with _lock:
        e = _entry(serviceName)
        if e is None:
            raise ValueError("The service name is not hosted by this process")
        e.callback, e.extra = callback, bool(extra_args)
        if _debugging:
            return None
        return _table.index(e) + 1


def _s(s):
    b = s.encode()
    return struct.pack("<H", len(b)) + b


def _send(kind, body):
    """One message to scmd; while the host reattaches, the message waits
    for the new channel."""
    with _send_cond:
        deadline = time.monotonic() + _REATTACH_FOR
        while _channel is None and _reattaching and time.monotonic() < deadline:
            _send_cond.wait(0.1)
        if _channel is None:
            raise OSError("no channel to scmd")
        _channel.send(bytes([1, kind]) + body)


def _set_status(handle, status):
    """SetServiceStatus for the service whose status handle this is."""
    h = pywintypes.handle_value(handle)
    if not 1 <= h <= len(_table):
        pywintypes.raise_error(6, "SetServiceStatus")
    e = _table[h - 1]
    if not 1 <= status[1] <= 7:
        pywintypes.raise_error(13, "SetServiceStatus")  # ERROR_INVALID_DATA
    with _lock:
        if e.stopped:
            return  # scmd is done with it; Windows ignores the call too
        if not e.started:
            pywintypes.raise_error(6, "SetServiceStatus")
        e.last = status
        if status[1] == 1:  # SERVICE_STOPPED
            e.stopped = True
            _running.discard(e.running_name.lower())
        done = status[1] == 1 and not _running
    try:
        _send(0x02, _s(e.running_name) + struct.pack("<7I", *status))
    except OSError:
        pywintypes.raise_error(6, "SetServiceStatus")
    if done:
        with _send_cond:
            ch = _channel
        if ch is not None:
            try:
                ch.shutdown(_socket.SHUT_RD)  # the dispatcher returns
            except OSError:
                pass


class _Reader:
    def __init__(self, data):
        if len(data) < 2 or data[0] != 1:
            raise ValueError("not a version 1 message")
        self.data, self.at = data, 2

    def take(self, n):
        if self.at + n > len(self.data):
            raise ValueError("short message")
        b = self.data[self.at:self.at + n]
        self.at += n
        return b

    def u32(self):
        return struct.unpack("<I", self.take(4))[0]

    def str(self):
        n = struct.unpack("<H", self.take(2))[0]
        return self.take(n).decode()

    def strs(self):
        n = struct.unpack("<H", self.take(2))[0]
        return [self.str() for _ in range(n)]

    def bytes(self):
        return self.take(self.u32())


_REATTACH_FOR = 60.0
_send_cond = threading.Condition(threading.Lock())
_reattaching = False
_dispatcher_thread = None
_backlog = []


def StartServiceCtrlDispatcher():
    """Serve the services this process hosts until all have stopped. If
    scmd goes while they run, reconnect to the next one and carry on
    (docs/protocol.md, "When scmd restarts")."""
    global _channel, _dispatcher_thread
    fd = os.environ.pop("SCM_CONTROL_FD", None)
    if fd is None:
        pywintypes.raise_error(1063, "StartServiceCtrlDispatcher")
    try:
        fd = int(fd)
        os.set_inheritable(fd, False)
        ch = _socket.socket(_socket.AF_UNIX, _socket.SOCK_SEQPACKET, 0, fd)
    except (ValueError, OSError):
        pywintypes.raise_error(1063, "StartServiceCtrlDispatcher")
    _dispatcher_thread = threading.current_thread()
    names = [e.name for e in _table] or [""]
    ch.send(bytes([1, 0x01]) + struct.pack("<H", len(names)) + b"".join(_s(n) for n in names))
    with _send_cond:
        _channel = ch
    try:
        while True:
            msg = _backlog.pop(0) if _backlog else _recv()
            if msg is None:
                if not _reattach():
                    break
                continue
            try:
                _handle(msg)
            except ValueError:
                break  # scmd does not send what does not parse; nothing more can be trusted
    finally:
        with _send_cond:
            ch, _channel = _channel, None
        if ch is not None:
            ch.close()
        _dispatcher_thread = None


def _recv():
    with _send_cond:
        ch = _channel
    if ch is None:
        return None
    try:
        msg = ch.recv(65536)
    except OSError:
        return None
    return msg or None


def _handle(msg):
    r = _Reader(msg)
    kind = msg[1]
    if kind == 0x81:  # START
        name, _reason, args, token = r.str(), r.u32(), r.strs(), r.bytes()  # pywin32 has no start reason
        e = _entry(name)
        if e is not None:
            with _lock:
                e.started, e.stopped, e.token, e.last = True, False, token, None
                e.running_name = name
                _running.add(name.lower())
        threading.Thread(target=_service_main, args=(name, args), daemon=True).start()
    elif kind == 0x82:  # CONTROL
        seq, name, code, event_type, data = r.u32(), r.str(), r.u32(), r.u32(), r.bytes()
        result = _dispatch_control(name, code, event_type, data)
        try:
            _send(0x03, struct.pack("<II", seq, result))
        except OSError:
            pass
    elif kind == 0x83:  # NOTIFY_REPLY
        seq, result = r.u32(), r.u32()
        waiter = _pending_notify.pop(seq, None)
        if waiter is not None:
            waiter[1] = result
            waiter[0].set()


def _reattach():
    """After the channel closed with services still running: connect to
    scmd's host socket every 100 ms for up to a minute and send REATTACH,
    each running service's START token and its status now."""
    global _channel, _reattaching
    with _lock:
        running = [e for e in _table if e.started and not e.stopped and e.token]
    if not running:
        return False
    with _send_cond:
        if _channel is not None:
            _channel.close()
        _channel = None
        _reattaching = True
    path = _scm.socket_path() + ".host"
    deadline = time.monotonic() + _REATTACH_FOR
    try:
        while time.monotonic() < deadline:
            with _lock:
                body = struct.pack("<H", len(running))
                for e in running:
                    status = e.last or (_OWN, 2, 0, 0, 0, 0, 5000)
                    body += struct.pack("<I", len(e.token)) + e.token + _s(e.running_name) + struct.pack("<7I", *status)
            ch = _socket.socket(_socket.AF_UNIX, _socket.SOCK_SEQPACKET)
            try:
                ch.connect(path)
                ch.send(bytes([1, 0x04]) + body)
            except OSError:
                ch.close()
                time.sleep(0.1)
                continue
            with _send_cond:
                _channel = ch
                _reattaching = False
                _send_cond.notify_all()
            for e in running:  # a new scmd knows nothing of the registrations
                for kind, what in list(e.devices):
                    try:
                        _send(0x05, struct.pack("<I", 0) + _s(e.running_name) + struct.pack("<I", kind) + _s(what))
                    except OSError:
                        pass
            return True
        return False
    finally:
        with _send_cond:
            _reattaching = False
            _send_cond.notify_all()


def _control_data(code, event_type, data):
    if code == 11:  # DEVICEEVENT: the address of the DEV_BROADCAST_HDR
        import ctypes

        buf = ctypes.create_string_buffer(bytes(data), len(data))
        return ctypes.addressof(buf), buf
    if code == 14 and len(data) >= 8:  # SESSIONCHANGE: WTSSESSION_NOTIFICATION
        return (struct.unpack_from("<I", data, 4)[0],), None
    if code == 13 and event_type == 0x8013 and len(data) >= 20:  # PBT_POWERSETTINGCHANGE
        n = struct.unpack_from("<I", data, 16)[0]
        return (pywintypes.IID(bytes(data[:16]), True), bytes(data[20:20 + n])), None
    return None, None


def _dispatch_control(name, code, event_type, data):
    """HandlerEx: the service's handler's answer to a control."""
    e = _entry(name)
    if e is None or e.callback is None:
        if e is not None and e.started and not e.stopped:
            try:  # pythonservice's errorStatus: no handler to take the control
                _set_status(_table.index(e) + 1, (_OWN, 3, 0, 1066, 1, 0, 5000))
            except pywintypes.error:
                pass
        return 120  # ERROR_CALL_NOT_IMPLEMENTED
    arg, keep = _control_data(code, event_type, data)
    try:
        if e.extra:
            r = e.callback(code, event_type, arg)
        else:
            r = e.callback(code)
    except BaseException:
        _log_python_error(_PYS_E_SERVICE_CONTROL_FAILED)
        return 120
    finally:
        del keep
    if r is None:
        return 0
    if isinstance(r, int):
        return r & 0xFFFFFFFF
    _log_quietly(EVENTLOG_ERROR_TYPE, _PYS_E_SERVICE_CONTROL_FAILED, ["The handler returned %r, not an int" % (r,)])
    return 1066


def _load_class(name):
    """The class the registry's PythonClass names for a service: the module's
    path without its extension, a dot, the class's name."""
    try:
        value = _reg.values("HKLM\\SYSTEM\\CurrentControlSet\\Services\\%s\\PythonClass" % name, "RegQueryValue")
        spec = next(_reg.decode(t, d) for n, t, d in value if n == "")
    except pywintypes.error as e:
        _log_quietly(EVENTLOG_ERROR_TYPE, _PYS_E_API_CANT_LOCATE_PYTHON_CLASS, [str(e.winerror), e.strerror])
        return None
    except StopIteration:
        _log_quietly(EVENTLOG_ERROR_TYPE, _PYS_E_API_CANT_LOCATE_PYTHON_CLASS, ["2", pywintypes.message(2)])
        return None
    directory, _, rest = spec.replace("\\", "/").rpartition("/")
    if directory:
        sys.path.insert(0, directory)
    mod_name, dot, cls_name = rest.rpartition(".")
    if not dot:
        _log_quietly(EVENTLOG_ERROR_TYPE, _PYS_E_CANT_LOCATE_MODULE_NAME, [])
        return None
    try:
        import importlib

        mod = importlib.import_module(mod_name)
    except BaseException:
        _log_python_error(_E_PYS_NO_MODULE)
        return None
    try:
        return getattr(mod, cls_name)
    except AttributeError:
        _log_python_error(_E_PYS_NO_CLASS)
        return None


def _service_main(name, args):
    """ServiceMain: make the instance, report START_PENDING, SvcRun, STOPPED."""
    global _running_as_service
    _running_as_service = True
    e = _entry(name)
    if e is None:
        _log_quietly(EVENTLOG_ERROR_TYPE, _E_PYS_NO_SERVICE, [name])
        return
    klass = e.klass if e.klass is not None else _load_class(name)
    instance = None
    if klass is not None:
        try:
            instance = klass(tuple(args))
        except startup_error:
            pass
        except BaseException:
            _log_python_error(_PYS_E_BAD_CLASS)
    handle = _table.index(e) + 1
    status = _set_status if not _debugging else (lambda h, s: None)
    if instance is None:
        status(handle, (_OWN, 1, 0, 1066, 1, 0, 0))
        return
    if e.callback is None:
        _log_python_error(_E_PYS_NOT_CONTROL_HANDLER)
    status(handle, (_OWN, 2, 0, 0, 0, 0, 5000))
    failed = False
    try:
        run = instance.SvcRun
    except AttributeError:
        _log_python_error(_E_PYS_NO_RUN_METHOD)
        failed = True
    else:
        try:
            run()
        except BaseException:
            _log_python_error(_E_PYS_START_FAILED)
            failed = True
    status(handle, (_OWN, 1, 0, 1066, 0x20000001, 0, 0) if failed else (_OWN, 1, 0, 0, 0, 0, 0))


def _debug(name, args):
    """pythonservice -debug: run the service in this console until Ctrl+C."""
    import win32api

    def stop(evt):
        if evt in (win32api.CTRL_C_EVENT, win32api.CTRL_BREAK_EVENT):
            print("Stopping debug service.")
            for e in _table:
                if e.callback is not None:
                    try:
                        if e.extra:
                            e.callback(1, 0, None)
                        else:
                            e.callback(1)
                    except Exception:
                        import traceback

                        traceback.print_exc()
            return True
        return False

    win32api.SetConsoleCtrlHandler(stop, True)
    t = threading.Thread(target=_service_main, args=(name, [name] + list(args)), daemon=True)
    t.start()
    try:
        while t.is_alive():
            t.join(0.5)
    finally:
        win32api.SetConsoleCtrlHandler(stop, False)


# -- device notifications ------------------------------------------------------

def _register_device(handle, kind, filt):
    """DEVICE_NOTIFY for the service whose status handle this is; waits for
    scmd's answer, reading it itself when called on the dispatcher's own
    thread (from a control handler)."""
    h = pywintypes.handle_value(handle)
    if not 1 <= h <= len(_table) or _dispatcher_thread is None:
        pywintypes.raise_error(6, "RegisterDeviceNotification")
    e = _table[h - 1]
    done = [threading.Event(), None]
    with _lock:
        _notify_seq[0] += 1
        seq = _notify_seq[0]
        _pending_notify[seq] = done
    try:
        _send(0x05, struct.pack("<I", seq) + _s(e.running_name) + struct.pack("<I", kind) + _s(filt))
    except OSError:
        _pending_notify.pop(seq, None)
        pywintypes.raise_error(6, "RegisterDeviceNotification")
    if threading.current_thread() is _dispatcher_thread:
        while not done[0].is_set():
            msg = _recv()
            if msg is None:
                break
            if msg[1:2] == b"\x83":
                _handle(msg)
            else:
                _backlog.append(msg)  # the dispatcher serves it when the handler returns
    elif not done[0].wait(30):
        _pending_notify.pop(seq, None)
        pywintypes.raise_error(1460, "RegisterDeviceNotification")  # ERROR_TIMEOUT
    if not done[0].is_set():
        pywintypes.raise_error(6, "RegisterDeviceNotification")
    if done[1]:
        pywintypes.raise_error(done[1], "RegisterDeviceNotification")
    with _lock:
        e.devices.append((kind, filt))


def _forked():
    """A child of fork is no service host: the channel is its parent's."""
    global _channel, _dispatcher_thread
    _channel, _dispatcher_thread = None, None


os.register_at_fork(after_in_child=_forked)
