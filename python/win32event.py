"""win32event: events and waits, the way service scripts use them to stop."""

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
SYNCHRONIZE = 0x00100000

_cond = threading.Condition()
_events = {}
_named = {}
_next = [0x100]


class _Event:
    def __init__(self, manual, state):
        self.manual = bool(manual)
        self.state = bool(state)
        self.refs = 1
        self.pulses = 0  # PulseEvents so far: a waiter that saw fewer is released
        self.pulse_left = 0  # an auto-reset event's pulse not yet taken


class PyEventHANDLE(pywintypes.HANDLEType):
    def _close(self, value):
        with _cond:
            ev = _events.pop(value, None)
            if ev is not None:
                ev.refs -= 1
                if ev.refs == 0:
                    for name, h in list(_named.items()):
                        if h is ev:
                            del _named[name]


PyEventHANDLE.__name__ = PyEventHANDLE.__qualname__ = "PyHANDLE"


def _new(ev):
    """A handle to ev; ev counts its handles. _cond is held."""
    h = _next[0]
    _next[0] += 4
    _events[h] = ev
    return PyEventHANDLE(h)


def CreateEvent(EventAttributes, bManualReset, bInitialState, Name):
    """A new event, or the existing one of that name (whose state and
    reset mode stay as they are, as on Windows)."""
    with _cond:
        ev = _named.get(Name) if Name else None
        if ev is None:
            ev = _Event(bManualReset, bInitialState)
            ev.refs = 0
            if Name:
                _named[Name] = ev
        ev.refs += 1
        return _new(ev)


def OpenEvent(desiredAccess, bInheritHandle, name):
    with _cond:
        ev = _named.get(name)
        if ev is None:
            raise error(2, "OpenEvent", pywintypes.message(2))
        ev.refs += 1
        return _new(ev)


def _event(h, funcname):
    ev = _events.get(pywintypes.handle_value(h))
    if ev is None:
        raise error(6, funcname, pywintypes.message(6))
    return ev


def SetEvent(hEvent):
    with _cond:
        _event(hEvent, "SetEvent").state = True
        _cond.notify_all()


def ResetEvent(hEvent):
    with _cond:
        _event(hEvent, "ResetEvent").state = False


def PulseEvent(hEvent):
    """Release the waiters there are now (one, for an auto-reset event) and
    leave the event unsignalled."""
    with _cond:
        ev = _event(hEvent, "PulseEvent")
        ev.pulses += 1
        ev.pulse_left = 1
        _cond.notify_all()


def _wait(handles, waitAll, milliseconds, funcname):
    forever = milliseconds in (INFINITE, 0xFFFFFFFF)
    deadline = None if forever else time.monotonic() + max(0, milliseconds) / 1000.0
    with _cond:
        evs = [_event(h, funcname) for h in handles]
        pulses = [ev.pulses for ev in evs]
        while True:
            signalled = [i for i, ev in enumerate(evs)
                         if ev.state or ev.pulses != pulses[i] and (ev.manual or ev.pulse_left)]
            if (waitAll and len(signalled) == len(evs)) or (not waitAll and signalled):
                taken = evs if waitAll else [evs[signalled[0]]]
                for ev in taken:
                    if not ev.manual:
                        if not ev.state:
                            ev.pulse_left = 0  # an auto-reset pulse releases one waiter
                        ev.state = False
                return WAIT_OBJECT_0 + (0 if waitAll else signalled[0])
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                return WAIT_TIMEOUT
            _cond.wait(left)


def WaitForSingleObject(hHandle, milliseconds):
    return _wait([hHandle], True, milliseconds, "WaitForSingleObject")


def WaitForSingleObjectEx(hHandle, milliseconds, bAlertable):
    return _wait([hHandle], True, milliseconds, "WaitForSingleObjectEx")


def WaitForMultipleObjects(handleList, bWaitAll, milliseconds):
    if not handleList or len(handleList) > MAXIMUM_WAIT_OBJECTS:
        raise error(87, "WaitForMultipleObjects", pywintypes.message(87))
    return _wait(list(handleList), bool(bWaitAll), milliseconds, "WaitForMultipleObjects")


def WaitForMultipleObjectsEx(handleList, bWaitAll, milliseconds, bAlertable):
    return WaitForMultipleObjects(handleList, bWaitAll, milliseconds)


def MsgWaitForMultipleObjects(handleList, bWaitAll, milliseconds, wakeMask):
    return WaitForMultipleObjects(handleList, bWaitAll, milliseconds)
