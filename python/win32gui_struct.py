"""win32gui_struct: packing and unpacking DEV_BROADCAST structures."""

import struct

import pywintypes
import win32con
import win32gui


def PackDEV_BROADCAST(devicetype, rest_fmt, rest_data, extra_data=b""):
    extra_data += b"\0" * (4 - len(extra_data) % 4)
    fmt = "iii" + rest_fmt
    full_size = struct.calcsize(fmt) + len(extra_data)
    return struct.pack(fmt, *((full_size, devicetype, 0) + rest_data)) + extra_data


def PackDEV_BROADCAST_DEVICEINTERFACE(classguid, name=""):
    if not isinstance(name, str):
        raise TypeError("Must provide unicode for the name")
    name = name.encode("utf-16le")
    return PackDEV_BROADCAST(win32con.DBT_DEVTYP_DEVICEINTERFACE, "16s%ds" % len(name),
                             (bytes(memoryview(pywintypes.IID(classguid))), name))


def PackDEV_BROADCAST_HANDLE(handle, hdevnotify=0, guid=b"\0" * 16, name_offset=0, data=b"\0"):
    return PackDEV_BROADCAST(win32con.DBT_DEVTYP_HANDLE, "PP16sl",
                             (int(handle), int(hdevnotify), bytes(memoryview(guid)), name_offset), data)


def PackDEV_BROADCAST_VOLUME(unitmask, flags):
    return PackDEV_BROADCAST(win32con.DBT_DEVTYP_VOLUME, "II", (unitmask, flags))


class DEV_BROADCAST_INFO:
    def __init__(self, devicetype, **kw):
        self.devicetype = devicetype
        self.__dict__.update(kw)

    def __str__(self):
        return "DEV_BROADCAST_INFO:" + str(self.__dict__)


def UnpackDEV_BROADCAST(lparam):
    """The DEV_BROADCAST_* structure at address lparam, as SvcOtherEx gets it
    for SERVICE_CONTROL_DEVICEEVENT."""
    if lparam == 0:
        return None
    size, devtype, _ = struct.unpack("iii", win32gui.PyGetMemory(lparam, 12))
    buf = bytes(win32gui.PyGetMemory(lparam, size))
    extra = {}
    if devtype == win32con.DBT_DEVTYP_DEVICEINTERFACE:
        extra["classguid"] = pywintypes.IID(buf[12:28], True)
        extra["name"] = buf[28:].decode("utf-16le", "replace").split("\0", 1)[0]
    elif devtype == win32con.DBT_DEVTYP_VOLUME:
        extra["unitmask"], extra["flags"] = struct.unpack_from("II", buf, 12)
    elif devtype == win32con.DBT_DEVTYP_PORT:
        extra["name"] = buf[12:].decode("utf-16le", "replace").split("\0", 1)[0]
    elif devtype == win32con.DBT_DEVTYP_HANDLE:
        # From the start: the pointers are aligned after the header.
        _, _, _, handle, hdevnotify, guid, nameoffset = struct.unpack_from("iiiPP16sl", buf)
        extra.update(handle=handle, hdevnotify=hdevnotify, eventguid=pywintypes.IID(guid, True), nameoffset=nameoffset)
    else:
        raise NotImplementedError("unknown device type %d" % (devtype,))
    return DEV_BROADCAST_INFO(devtype, **extra)
