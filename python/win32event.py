"""win32event: events, mutexes, semaphores and the waits on them, within
the process, the way service scripts use them (to stop, to guard)."""

import threading
import time

import pywintypes
from pywintypes import error

INFINITE = -1
WAIT_OBJECT_0 = 0
WAIT_ABANDONED = 0x80
WAIT_ABANDONED_0 = 0x80
WAIT_TIMEOUT = 258
WAIT_FAILED = -1
WAIT_IO_COMPLETION = 0xC0
MAXIMUM_WAIT_OBJECTS = 64
EVENT_ALL_ACCESS = 0x1F0003
EVENT_MODIFY_STATE = 0x0002
MUTEX_ALL_ACCESS = 0x1F0001
SEMAPHORE_ALL_ACCESS = 0x1F0003
SYNCHRONIZE = 0x00100000

ERROR_ALREADY_EXISTS = 183
ERROR_NOT_OWNER = 288
ERROR_TOO_MANY_POSTS = 298

_cond = threading.Condition()
_objects = {}  # handle value -> object
_named = {}  # name -> object: one namespace for every kind, as Windows'
_next = [0x100]
_last_error = pywintypes._last_error


class _Object:
    refs = 0

    def ready(self, me, since):
        raise NotImplementedError

    def take(self, me):
        pass


class _Event(_Object):
    def __init__(self, manual, state):
        self.manual = bool(manual)
        self.state = bool(state)
        self.pulses = 0  # PulseEvents so far: a waiter that saw fewer is released
        self.pulse_left = 0  # an auto-reset event's pulse not yet taken

    def mark(self):
        return self.pulses

    def ready(self, me, since):
        return self.state or self.pulses != since and (self.manual or self.pulse_left)

    def take(self, me):
        if not self.manual:
            if not self.state:
                self.pulse_left = 0  # an auto-reset pulse releases one waiter
            self.state = False


class _Mutex(_Object):
    def __init__(self):
        self.owner = None
        self.count = 0

    def mark(self):
        return 0

    def ready(self, me, since):
        return self.owner is None or self.owner == me

    def take(self, me):
        self.owner = me
        self.count += 1


class _Semaphore(_Object):
    def __init__(self, count, maximum):
        self.count, self.maximum = count, maximum

    def mark(self):
        return 0

    def ready(self, me, since):
        return self.count > 0

    def take(self, me):
        self.count -= 1


class PyEventHANDLE(pywintypes.HANDLEType):
    def _close(self, value):
        with _cond:
            obj = _objects.pop(value, None)
            if obj is not None:
                obj.refs -= 1
                if obj.refs == 0:
                    for name, o in list(_named.items()):
                        if o is obj:
                            del _named[name]


PyEventHANDLE.__name__ = PyEventHANDLE.__qualname__ = "PyHANDLE"


def _new(obj):
    """A handle to obj, which counts its handles. _cond is held."""
    obj.refs += 1
    h = _next[0]
    _next[0] += 4
    _objects[h] = obj
    return PyEventHANDLE(h)


def _create(kind, name, make, funcname):
    """A new object, or the existing one of that name (left as it is, with
    ERROR_ALREADY_EXISTS as the last error, as on Windows)."""
    with _cond:
        obj = _named.get(name) if name else None
        _last_error.code = 0
        if obj is not None:
            if not isinstance(obj, kind):
                raise error(6, funcname, pywintypes.message(6))  # ERROR_INVALID_HANDLE
            _last_error.code = ERROR_ALREADY_EXISTS
        else:
            obj = make()
            if name:
                _named[name] = obj
        return _new(obj)


def _open(kind, name, funcname):
    with _cond:
        obj = _named.get(name)
        if not isinstance(obj, kind):
            raise error(2, funcname, pywintypes.message(2))
        return _new(obj)


def _get(h, kind, funcname):
    obj = _objects.get(pywintypes.handle_value(h))
    if not isinstance(obj, kind):
        raise error(6, funcname, pywintypes.message(6))
    return obj


def CreateEvent(EventAttributes, bManualReset, bInitialState, Name):
    return _create(_Event, Name, lambda: _Event(bManualReset, bInitialState), "CreateEvent")


def OpenEvent(desiredAccess, bInheritHandle, name):
    return _open(_Event, name, "OpenEvent")


def SetEvent(hEvent):
    with _cond:
        _get(hEvent, _Event, "SetEvent").state = True
        _cond.notify_all()


def ResetEvent(hEvent):
    with _cond:
        _get(hEvent, _Event, "ResetEvent").state = False


def PulseEvent(hEvent):
    """Release the waiters there are now (one, for an auto-reset event) and
    leave the event unsignalled."""
    with _cond:
        ev = _get(hEvent, _Event, "PulseEvent")
        ev.pulses += 1
        ev.pulse_left = 1
        _cond.notify_all()


def CreateMutex(MutexAttributes, InitialOwner, Name):
    h = _create(_Mutex, Name, _Mutex, "CreateMutex")
    if InitialOwner and getattr(_last_error, "code", 0) != ERROR_ALREADY_EXISTS:
        with _cond:
            _objects[h.handle].take(threading.get_ident())
    return h


def OpenMutex(desiredAccess, bInheritHandle, name):
    return _open(_Mutex, name, "OpenMutex")


def ReleaseMutex(hMutex):
    with _cond:
        m = _get(hMutex, _Mutex, "ReleaseMutex")
        if m.owner != threading.get_ident():
            raise error(ERROR_NOT_OWNER, "ReleaseMutex", pywintypes.message(ERROR_NOT_OWNER))
        m.count -= 1
        if m.count == 0:
            m.owner = None
            _cond.notify_all()


def CreateSemaphore(SemaphoreAttributes, InitialCount, MaximumCount, SemaphoreName):
    if MaximumCount <= 0 or not 0 <= InitialCount <= MaximumCount:
        raise error(87, "CreateSemaphore", pywintypes.message(87))
    return _create(_Semaphore, SemaphoreName, lambda: _Semaphore(InitialCount, MaximumCount), "CreateSemaphore")


def OpenSemaphore(desiredAccess, bInheritHandle, name):
    return _open(_Semaphore, name, "OpenSemaphore")


def ReleaseSemaphore(hSemaphore, lReleaseCount):
    """Add lReleaseCount to the count; the count before."""
    with _cond:
        sem = _get(hSemaphore, _Semaphore, "ReleaseSemaphore")
        if lReleaseCount <= 0 or sem.count + lReleaseCount > sem.maximum:
            raise error(ERROR_TOO_MANY_POSTS, "ReleaseSemaphore", pywintypes.message(ERROR_TOO_MANY_POSTS))
        before = sem.count
        sem.count += lReleaseCount
        _cond.notify_all()
        return before


def _wait(handles, waitAll, milliseconds, funcname):
    forever = milliseconds in (INFINITE, 0xFFFFFFFF)
    deadline = None if forever else time.monotonic() + max(0, milliseconds) / 1000.0
    me = threading.get_ident()
    with _cond:
        objs = [_get(h, _Object, funcname) for h in handles]
        marks = [o.mark() for o in objs]
        while True:
            ready = [i for i, o in enumerate(objs) if o.ready(me, marks[i])]
            if (waitAll and len(ready) == len(objs)) or (not waitAll and ready):
                for o in (objs if waitAll else [objs[ready[0]]]):
                    o.take(me)
                return WAIT_OBJECT_0 + (0 if waitAll else ready[0])
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                return WAIT_TIMEOUT
            _cond.wait(left)


def WaitForSingleObject(hHandle, milliseconds):
    return _wait([hHandle], True, milliseconds, "WaitForSingleObject")


def WaitForSingleObjectEx(hHandle, milliseconds, bAlertable):
    return _wait([hHandle], True, milliseconds, "WaitForSingleObjectEx")


def WaitForMultipleObjects(handleList, bWaitAll, milliseconds):
    if not isinstance(handleList, (list, tuple)):
        raise TypeError("Handles must be a list of integers")
    if not handleList or len(handleList) > MAXIMUM_WAIT_OBJECTS:
        raise error(87, "WaitForMultipleObjects", pywintypes.message(87))
    return _wait(list(handleList), bool(bWaitAll), milliseconds, "WaitForMultipleObjects")


def WaitForMultipleObjectsEx(handleList, bWaitAll, milliseconds, bAlertable):
    return WaitForMultipleObjects(handleList, bWaitAll, milliseconds)


def MsgWaitForMultipleObjects(handleList, bWaitAll, milliseconds, wakeMask):
    return WaitForMultipleObjects(handleList, bWaitAll, milliseconds)


def MsgWaitForMultipleObjectsEx(handleList, milliseconds, wakeMask, flags):
    return WaitForMultipleObjects(handleList, flags & 1, milliseconds)  # MWMO_WAITALL
