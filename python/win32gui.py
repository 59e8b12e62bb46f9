"""win32gui: device notifications for services, and the memory helpers
win32gui_struct reads event data with. A service has no windows here."""

import ctypes
import struct

import pywintypes
from pywintypes import error

DEVICE_NOTIFY_WINDOW_HANDLE = 0
DEVICE_NOTIFY_SERVICE_HANDLE = 1
DEVICE_NOTIFY_ALL_INTERFACE_CLASSES = 4

_DBT_DEVTYP_DEVICEINTERFACE = 5
_NOTIFY_INTERFACE_CLASS = 1
_NOTIFY_INTERFACE = 2


class PyHDEVNOTIFY(pywintypes.HANDLEType):
    _next = 1


PyHDEVNOTIFY.__name__ = PyHDEVNOTIFY.__qualname__ = "PyHDEVNOTIFY"


def RegisterDeviceNotification(handle, filter, flags):
    """Ask for SERVICE_CONTROL_DEVICEEVENT for the devices filter (a
    DEV_BROADCAST_DEVICEINTERFACE) describes: every interface of its class,
    or, with a name, that one interface. handle is the service's status
    handle (self.ssh) with DEVICE_NOTIFY_SERVICE_HANDLE."""
    filter = bytes(filter)
    if len(filter) < 12:
        raise ValueError("buffer isn't a DEV_BROADCAST_* structure")
    size, devtype = struct.unpack_from("<iI", filter)
    if size != len(filter):
        raise ValueError("buffer isn't a DEV_BROADCAST_* structure: structure says it has %d bytes, but %d was provided"
                         % (size, len(filter)))
    if not flags & DEVICE_NOTIFY_SERVICE_HANDLE or devtype != _DBT_DEVTYP_DEVICEINTERFACE or size < 28:
        raise error(87, "RegisterDeviceNotification", pywintypes.message(87))
    if flags & DEVICE_NOTIFY_ALL_INTERFACE_CLASSES:
        # scmd registers a class or one interface, not every class at once.
        raise error(50, "RegisterDeviceNotification", pywintypes.message(50))  # ERROR_NOT_SUPPORTED
    name = filter[28:].decode("utf-16le", "replace").split("\0", 1)[0]
    if not name:
        kind, what = _NOTIFY_INTERFACE_CLASS, str(pywintypes.IID(filter[12:28], True)).strip("{}").lower()
    else:
        kind, what = _NOTIFY_INTERFACE, name
    import servicemanager

    servicemanager._register_device(handle, kind, what)
    h = PyHDEVNOTIFY(PyHDEVNOTIFY._next)
    PyHDEVNOTIFY._next += 1
    return h


def UnregisterDeviceNotification(handle):
    """Closes the notification handle. scmd keeps a registration for the
    life of the service process, as it has no call to end one early."""
    if isinstance(handle, PyHDEVNOTIFY):
        handle.Detach()


def PyGetMemory(addr, length):
    return memoryview(ctypes.string_at(addr, length))


def PyGetString(addr, length=-1):
    if length < 0:
        return ctypes.wstring_at(addr) if ctypes.sizeof(ctypes.c_wchar) == 2 else _utf16_at(addr)
    return ctypes.string_at(addr, 2 * length).decode("utf-16le")


def _utf16_at(addr):
    out = bytearray()
    while True:
        pair = ctypes.string_at(addr + len(out), 2)
        if pair == b"\0\0":
            return out.decode("utf-16le")
        out += pair
