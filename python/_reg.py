"""Registry keys over scmd's registry, for win32api's Reg* calls and winreg.

scmd's registry is addressed by path; a key object is a path with the access
it was opened for. HKEY_CURRENT_USER is the caller's own hive.
"""

import struct

import pywintypes
import _scm

HKEY_CLASSES_ROOT = 0x80000000
HKEY_CURRENT_USER = 0x80000001
HKEY_LOCAL_MACHINE = 0x80000002
HKEY_USERS = 0x80000003
HKEY_PERFORMANCE_DATA = 0x80000004
HKEY_CURRENT_CONFIG = 0x80000005

_ROOTS = {HKEY_CLASSES_ROOT: "HKCR", HKEY_CURRENT_USER: "HKCU", HKEY_LOCAL_MACHINE: "HKLM",
          HKEY_USERS: "HKU", HKEY_PERFORMANCE_DATA: "HKPD", HKEY_CURRENT_CONFIG: "HKCC"}

REG_NONE = 0
REG_SZ = 1
REG_EXPAND_SZ = 2
REG_BINARY = 3
REG_DWORD = 4
REG_DWORD_LITTLE_ENDIAN = 4
REG_DWORD_BIG_ENDIAN = 5
REG_LINK = 6
REG_MULTI_SZ = 7
REG_QWORD = 11
REG_QWORD_LITTLE_ENDIAN = 11

ERROR_FILE_NOT_FOUND = 2
ERROR_NO_MORE_ITEMS = 259


class PyHKEY(pywintypes.HANDLEType):
    """An open key: its path in scmd's registry."""

    _next = 1

    def __init__(self, path):
        super().__init__(PyHKEY._next)
        PyHKEY._next += 1
        self.path = path

    def _close(self, value):
        pass


def path_of(key, sub_key=None):
    if isinstance(key, PyHKEY):
        base = key.path
    else:
        base = _ROOTS.get(pywintypes.handle_value(key) & 0xFFFFFFFF)  # pywin32 writes them signed
        if base is None:
            raise pywintypes.error(6, "RegOpenKeyEx", pywintypes.message(6))
    sub_key = (sub_key or "").strip("\\")
    return base + "\\" + sub_key if sub_key else base


def call(method, funcname, request):
    try:
        return _scm.call(method, request)
    except _scm.CallFailed as e:
        pywintypes.raise_error(e.code, funcname)


def query(path, funcname):
    return call("RegQueryKey", funcname, {"path": path})


def encode(typ, value):
    if typ in (REG_SZ, REG_EXPAND_SZ):
        return str(value).encode()
    if typ == REG_MULTI_SZ:
        return "\0".join(str(s) for s in value if s).encode()
    if typ == REG_DWORD:
        return struct.pack("<I", int(value) & 0xFFFFFFFF)
    if typ == REG_DWORD_BIG_ENDIAN:
        return struct.pack(">I", int(value) & 0xFFFFFFFF)
    if typ == REG_QWORD:
        return struct.pack("<Q", int(value) & 0xFFFFFFFFFFFFFFFF)
    if value is None:
        return b""
    return bytes(value)


def decode(typ, data):
    if typ in (REG_SZ, REG_EXPAND_SZ):
        return data.decode(errors="replace").split("\0", 1)[0]
    if typ == REG_MULTI_SZ:
        text = data.decode(errors="replace").rstrip("\0")
        return text.split("\0") if text else []
    if typ == REG_DWORD:
        return struct.unpack("<I", data[:4].ljust(4, b"\0"))[0]
    if typ == REG_DWORD_BIG_ENDIAN:
        return struct.unpack(">I", data[:4].ljust(4, b"\0"))[0]
    if typ == REG_QWORD:
        return struct.unpack("<Q", data[:8].ljust(8, b"\0"))[0]
    return data if data else None


def values(path, funcname):
    k = query(path, funcname)
    return [(v.get("name", ""), v.get("type", 0), _scm.unb64(v.get("data"))) for v in k.get("values", [])]


def set_value(path, name, typ, value, funcname):
    call("RegSetValue", funcname, {"path": path, "value": {"name": name or "", "type": typ, "data": _scm.b64(encode(typ, value))}})
