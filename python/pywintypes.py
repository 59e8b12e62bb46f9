"""pywintypes: the error every pywin32 module raises, and handle objects."""

import threading as _threading

import winerror as _winerror

# The calling thread's last Win32 error, which win32api.GetLastError reads
# and the calls that set one without failing (CreateEvent, CreateMutex of
# an existing name) write.
_last_error = _threading.local()


class error(Exception):
    """A failed Win32 call: winerror, funcname and strerror, as pywin32 has them."""

    def __init__(self, *args, **kw):
        nargs = len(args)
        self.winerror = args[0] if nargs > 0 else None
        self.funcname = args[1] if nargs > 1 else None
        self.strerror = args[2] if nargs > 2 else None
        Exception.__init__(self, *args, **kw)


class com_error(Exception):
    def __init__(self, *args, **kw):
        nargs = len(args)
        self.hresult = args[0] if nargs > 0 else None
        self.strerror = args[1] if nargs > 1 else None
        self.excepinfo = args[2] if nargs > 2 else None
        self.argerror = args[3] if nargs > 3 else None
        Exception.__init__(self, *args, **kw)


def message(code):
    """FormatMessage's text for a code, without its line break."""
    return _winerror._texts.get(code, "No error message is available")


def raise_error(code, funcname):
    raise error(code, funcname, message(code)) from None


class HANDLEType:
    """PyHANDLE: an integer handle that closes itself when collected."""

    def __init__(self, value=0):
        self.handle = int(value)

    def _close(self, value):
        pass

    def Close(self):
        if self.handle:
            value, self.handle = self.handle, 0
            self._close(value)

    close = Close

    def Detach(self):
        value, self.handle = self.handle, 0
        return value

    def __del__(self):
        try:
            self.Close()
        except Exception:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.Close()

    def __int__(self):
        return self.handle

    __index__ = __int__

    def __bool__(self):
        return self.handle != 0

    def __hash__(self):
        return hash(self.handle)

    def __eq__(self, other):
        try:
            return self.handle == handle_value(other)
        except TypeError:
            return NotImplemented

    def __repr__(self):
        return "<%s:%d>" % (type(self).__name__, self.handle)

    __str__ = __repr__


# pywin32 names the type PyHANDLE.
HANDLEType.__name__ = HANDLEType.__qualname__ = "PyHANDLE"


def HANDLE(value=0):
    return HANDLEType(value)


def handle_value(h):
    """The integer of a handle argument: a PyHANDLE, an int or None."""
    if h is None:
        return 0
    if isinstance(h, HANDLEType):
        return h.handle
    if isinstance(h, int):
        return h
    raise TypeError("The object is not a PyHANDLE object")


class IID(bytes):
    """A GUID: its 16 bytes in Windows' layout, written "{XXXXXXXX-...}"."""

    def __new__(cls, value, is_bytes=False):
        import uuid

        if isinstance(value, IID):
            return value
        if is_bytes or isinstance(value, (bytes, bytearray)):
            return super().__new__(cls, bytes(value)[:16])
        try:
            return super().__new__(cls, uuid.UUID(str(value).strip("{}")).bytes_le)
        except ValueError:
            raise com_error(-2147221005, "Invalid class string", None, None) from None

    def __str__(self):
        import uuid

        return "{" + str(uuid.UUID(bytes_le=bytes(self))).upper() + "}"

    def __repr__(self):
        return "IID('%s')" % self

    def __eq__(self, other):
        try:
            return bytes(self) == bytes(IID(other))
        except Exception:
            return NotImplemented

    def __hash__(self):
        return bytes.__hash__(self)


class SIDType:
    """PySID: a security identifier, kept as its string form."""

    def __init__(self, text=""):
        self._text = text

    def __eq__(self, other):
        return isinstance(other, SIDType) and other._text == self._text

    def __hash__(self):
        return hash(self._text)

    def __str__(self):
        return "PySID:" + self._text

    __repr__ = __str__


SIDType.__name__ = SIDType.__qualname__ = "PySID"


def SID(text=""):
    return SIDType(text)


TRUE = 1
FALSE = 0
