"""winreg, the standard library's Windows registry module, over scmd's registry."""

import pywintypes
import _reg
import win32api
from _reg import (HKEY_CLASSES_ROOT, HKEY_CURRENT_CONFIG, HKEY_CURRENT_USER, HKEY_LOCAL_MACHINE, HKEY_USERS,
                  REG_BINARY, REG_DWORD, REG_DWORD_BIG_ENDIAN, REG_DWORD_LITTLE_ENDIAN, REG_EXPAND_SZ, REG_LINK,
                  REG_MULTI_SZ, REG_NONE, REG_QWORD, REG_QWORD_LITTLE_ENDIAN, REG_SZ)

HKEYType = _reg.PyHKEY
error = OSError

from win32con import (KEY_ALL_ACCESS, KEY_CREATE_LINK, KEY_CREATE_SUB_KEY, KEY_ENUMERATE_SUB_KEYS,  # noqa: E402,F401
                      KEY_EXECUTE, KEY_NOTIFY, KEY_QUERY_VALUE, KEY_READ, KEY_SET_VALUE, KEY_WOW64_32KEY,
                      KEY_WOW64_64KEY, KEY_WRITE)


def _os_error(e):
    err = OSError(e.winerror, e.strerror)
    err.winerror = e.winerror
    return err


def _wrap(fn):
    def f(*args, **kw):
        try:
            return fn(*args, **kw)
        except pywintypes.error as e:
            raise _os_error(e) from None

    f.__name__ = fn.__name__
    return f


@_wrap
def OpenKey(key, sub_key, reserved=0, access=KEY_READ):
    return win32api.RegOpenKey(key, sub_key)


OpenKeyEx = OpenKey


@_wrap
def ConnectRegistry(computer_name, key):
    return win32api.RegConnectRegistry(computer_name, key)


@_wrap
def CreateKey(key, sub_key):
    return win32api.RegCreateKey(key, sub_key)


@_wrap
def CreateKeyEx(key, sub_key, reserved=0, access=KEY_WRITE):
    return win32api.RegCreateKey(key, sub_key)


def CloseKey(hkey):
    win32api.RegCloseKey(hkey)


@_wrap
def DeleteKey(key, sub_key):
    win32api.RegDeleteKey(key, sub_key)


@_wrap
def DeleteKeyEx(key, sub_key, access=KEY_WOW64_64KEY, reserved=0):
    win32api.RegDeleteKey(key, sub_key)


@_wrap
def DeleteValue(key, value):
    win32api.RegDeleteValue(key, value)


@_wrap
def EnumKey(key, index):
    return win32api.RegEnumKey(key, index)


@_wrap
def EnumValue(key, index):
    name, v, typ = win32api.RegEnumValue(key, index)
    if typ == REG_DWORD and v < 0:
        v += 1 << 32
    return name, v, typ


@_wrap
def QueryValue(key, sub_key):
    return win32api.RegQueryValue(key, sub_key)


@_wrap
def QueryValueEx(key, value_name):
    v, typ = win32api.RegQueryValueEx(key, value_name)
    if typ == REG_DWORD and v < 0:
        v += 1 << 32  # the standard library's winreg gives DWORDs unsigned
    return v, typ


@_wrap
def QueryInfoKey(key):
    return win32api.RegQueryInfoKey(key)


@_wrap
def SetValue(key, sub_key, type, value):
    win32api.RegSetValue(key, sub_key, type, value)


@_wrap
def SetValueEx(key, value_name, reserved, type, value):
    win32api.RegSetValueEx(key, value_name, reserved, type, value)


def ExpandEnvironmentStrings(s):
    import os
    import re

    return re.sub(r"%([^%]+)%", lambda m: os.environ.get(m.group(1), m.group(0)), s)


def FlushKey(key):
    return None  # every write is durable when acknowledged
