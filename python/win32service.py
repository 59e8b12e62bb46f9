"""win32service: the service control manager's API, as pywin32 has it, over scmd.

Handles are PySC_HANDLE objects that close themselves when collected; errors
are pywintypes.error with the Win32 code, the function's name and Windows'
text.
"""

import pywintypes
import _scm
from pywintypes import error


# Service types.
SERVICE_KERNEL_DRIVER = 1
SERVICE_FILE_SYSTEM_DRIVER = 2
SERVICE_DRIVER = 11
SERVICE_WIN32_OWN_PROCESS = 16
SERVICE_WIN32_SHARE_PROCESS = 32
SERVICE_WIN32 = 48
SERVICE_INTERACTIVE_PROCESS = 256

# Start types, error control.
SERVICE_BOOT_START = 0
SERVICE_SYSTEM_START = 1
SERVICE_AUTO_START = 2
SERVICE_DEMAND_START = 3
SERVICE_DISABLED = 4
SERVICE_ERROR_IGNORE = 0
SERVICE_ERROR_NORMAL = 1
SERVICE_ERROR_SEVERE = 2
SERVICE_ERROR_CRITICAL = 3
SERVICE_NO_CHANGE = -1

# States.
SERVICE_STOPPED = 1
SERVICE_START_PENDING = 2
SERVICE_STOP_PENDING = 3
SERVICE_RUNNING = 4
SERVICE_CONTINUE_PENDING = 5
SERVICE_PAUSE_PENDING = 6
SERVICE_PAUSED = 7
SERVICE_ACTIVE = 1
SERVICE_INACTIVE = 2
SERVICE_STATE_ALL = 3

# Controls.
SERVICE_CONTROL_STOP = 1
SERVICE_CONTROL_PAUSE = 2
SERVICE_CONTROL_CONTINUE = 3
SERVICE_CONTROL_INTERROGATE = 4
SERVICE_CONTROL_SHUTDOWN = 5
SERVICE_CONTROL_PARAMCHANGE = 6
SERVICE_CONTROL_NETBINDADD = 7
SERVICE_CONTROL_NETBINDREMOVE = 8
SERVICE_CONTROL_NETBINDENABLE = 9
SERVICE_CONTROL_NETBINDDISABLE = 10
SERVICE_CONTROL_DEVICEEVENT = 11
SERVICE_CONTROL_HARDWAREPROFILECHANGE = 12
SERVICE_CONTROL_POWEREVENT = 13
SERVICE_CONTROL_SESSIONCHANGE = 14
SERVICE_CONTROL_PRESHUTDOWN = 15

# Accepted controls.
SERVICE_ACCEPT_STOP = 1
SERVICE_ACCEPT_PAUSE_CONTINUE = 2
SERVICE_ACCEPT_SHUTDOWN = 4
SERVICE_ACCEPT_PARAMCHANGE = 8
SERVICE_ACCEPT_NETBINDCHANGE = 16
SERVICE_ACCEPT_HARDWAREPROFILECHANGE = 32
SERVICE_ACCEPT_POWEREVENT = 64
SERVICE_ACCEPT_SESSIONCHANGE = 128
SERVICE_ACCEPT_PRESHUTDOWN = 256

# Access rights.
SC_MANAGER_CONNECT = 1
SC_MANAGER_CREATE_SERVICE = 2
SC_MANAGER_ENUMERATE_SERVICE = 4
SC_MANAGER_LOCK = 8
SC_MANAGER_QUERY_LOCK_STATUS = 16
SC_MANAGER_MODIFY_BOOT_CONFIG = 32
SC_MANAGER_ALL_ACCESS = 0xF003F
SERVICE_QUERY_CONFIG = 1
SERVICE_CHANGE_CONFIG = 2
SERVICE_QUERY_STATUS = 4
SERVICE_ENUMERATE_DEPENDENTS = 8
SERVICE_START = 16
SERVICE_STOP = 32
SERVICE_PAUSE_CONTINUE = 64
SERVICE_INTERROGATE = 128
SERVICE_USER_DEFINED_CONTROL = 256
SERVICE_ALL_ACCESS = 0xF01FF

# QueryServiceConfig2 / ChangeServiceConfig2 levels and their values.
SERVICE_CONFIG_DESCRIPTION = 1
SERVICE_CONFIG_FAILURE_ACTIONS = 2
SERVICE_CONFIG_DELAYED_AUTO_START_INFO = 3
SERVICE_CONFIG_FAILURE_ACTIONS_FLAG = 4
SERVICE_CONFIG_SERVICE_SID_INFO = 5
SERVICE_CONFIG_REQUIRED_PRIVILEGES_INFO = 6
SERVICE_CONFIG_PRESHUTDOWN_INFO = 7
SERVICE_SID_TYPE_NONE = 0
SERVICE_SID_TYPE_UNRESTRICTED = 1
SERVICE_SID_TYPE_RESTRICTED = 3
SC_ACTION_NONE = 0
SC_ACTION_RESTART = 1
SC_ACTION_REBOOT = 2
SC_ACTION_RUN_COMMAND = 3
SC_ENUM_PROCESS_INFO = 0
SC_GROUP_IDENTIFIER = 43
SERVICE_SPECIFIC_ERROR = 1066

# Window stations and desktops.
UOI_FLAGS = 1
UOI_NAME = 2
UOI_TYPE = 3
UOI_USER_SID = 4
WSF_VISIBLE = 1
DF_ALLOWOTHERACCOUNTHOOK = 1

# Device events.
DBT_QUERYCHANGECONFIG = 0x17
DBT_CONFIGCHANGED = 0x18
DBT_CONFIGCHANGECANCELED = 0x19
DBT_DEVICEARRIVAL = 0x8000
DBT_DEVICEQUERYREMOVE = 0x8001
DBT_DEVICEQUERYREMOVEFAILED = 0x8002
DBT_DEVICEREMOVEPENDING = 0x8003
DBT_DEVICEREMOVECOMPLETE = 0x8004
DBT_DEVICETYPESPECIFIC = 0x8005
DBT_CUSTOMEVENT = 0x8006

_INFINITE = 0xFFFFFFFF
ERROR_CALL_NOT_IMPLEMENTED = 120
ERROR_MORE_DATA = 234


class PySC_HANDLE(pywintypes.HANDLEType):
    """A handle to the SCM or a service; CloseServiceHandle when closed or
    collected. A handle of a session that is gone (scmd restarted) reads as
    0, which every call refuses with ERROR_INVALID_HANDLE: its number may be
    another handle's in the session now."""

    def __init__(self, value=0):
        self._gen = _scm.generation()
        self._value = int(value)

    @property
    def handle(self):
        return self._value if self._gen == _scm.generation() else 0

    @handle.setter
    def handle(self, value):
        self._value = int(value)

    def _close(self, value):
        _call("CloseServiceHandle", "CloseServiceHandle", {"handle": value})

    def __del__(self):
        if self.handle:
            _scm.close_later(self._gen, self.Detach())


def _call(method, funcname, request):
    try:
        return _scm.call(method, request)
    except _scm.CallFailed as e:
        pywintypes.raise_error(e.code, funcname)


def _h(handle):
    return pywintypes.handle_value(handle)


def _dword(v):
    return int(v) & 0xFFFFFFFF


def _status(st):
    st = st or {}
    return (
        st.get("serviceType", 0),
        st.get("currentState", 0),
        st.get("controlsAccepted", 0),
        st.get("win32ExitCode", 0),
        st.get("serviceSpecificExitCode", 0),
        st.get("checkPoint", 0),
        st.get("waitHint", 0),
    )


def OpenSCManager(machineName, dbName, desiredAccess):
    r = _call("OpenSCManager", "OpenSCManager",
              {"machine": machineName or "", "database": dbName or "", "desiredAccess": _dword(desiredAccess)})
    return PySC_HANDLE(_scm.u64(r.get("handle")))


def OpenService(scHandle, name, desiredAccess):
    if name is None:
        raise TypeError("None is not a valid string in this context")
    r = _call("OpenService", "OpenService",
              {"scm": _h(scHandle), "serviceName": name, "desiredAccess": _dword(desiredAccess)})
    return PySC_HANDLE(_scm.u64(r.get("handle")))


def CloseServiceHandle(scHandle):
    if isinstance(scHandle, pywintypes.HANDLEType):
        if not isinstance(scHandle, PySC_HANDLE):
            raise TypeError("PyHANDLE passed to CloseServiceHandle must be a PySC_HANDLE")
        scHandle.Close()
        return None
    _call("CloseServiceHandle", "CloseServiceHandle", {"handle": _h(scHandle)})
    return None


def _deps(serviceDeps):
    if serviceDeps is None:
        return []
    if isinstance(serviceDeps, str):
        raise TypeError("Dependencies must be a sequence of strings")
    return [str(d) for d in serviceDeps]


def CreateService(scHandle, name, displayName, desiredAccess, serviceType, startType, errorControl,
                  binaryFile, loadOrderGroup, bFetchTag, serviceDeps, acctName, password):
    r = _call("CreateService", "CreateService", {
        "scm": _h(scHandle), "serviceName": name, "displayName": displayName or "",
        "desiredAccess": _dword(desiredAccess), "serviceType": _dword(serviceType),
        "startType": _dword(startType), "errorControl": _dword(errorControl),
        "binaryPathName": binaryFile or "", "loadOrderGroup": loadOrderGroup or "",
        "wantTagId": bool(bFetchTag), "dependencies": _deps(serviceDeps),
        "serviceStartName": acctName or "", "password": password or "",
    })
    h = PySC_HANDLE(_scm.u64(r.get("handle")))
    if bFetchTag:
        return h, r.get("tagId", 0)
    return h


def ChangeServiceConfig(hService, serviceType, startType, errorControl, binaryFile, loadOrderGroup,
                        bFetchTag, serviceDeps, acctName, password, displayName):
    req = {"handle": _h(hService), "wantTagId": bool(bFetchTag)}
    for key, v in (("serviceType", serviceType), ("startType", startType), ("errorControl", errorControl)):
        if _dword(v) != _INFINITE:
            req[key] = _dword(v)
    for key, v in (("binaryPathName", binaryFile), ("loadOrderGroup", loadOrderGroup),
                   ("serviceStartName", acctName), ("password", password), ("displayName", displayName)):
        if v is not None:
            req[key] = v
    if serviceDeps is not None:
        req["changeDependencies"] = True
        req["dependencies"] = _deps(serviceDeps)
    r = _call("ChangeServiceConfig", "ChangeServiceConfig", req)
    if bFetchTag:
        return r.get("tagId", 0)
    return None


def DeleteService(scHandle):
    _call("DeleteService", "DeleteService", {"handle": _h(scHandle)})


def StartService(hService, args):
    if args is not None and isinstance(args, str):
        raise TypeError("args must be a sequence of strings")
    _call("StartService", "StartService", {"handle": _h(hService), "args": [str(a) for a in (args or [])]})


def ControlService(scHandle, code):
    r = _call("ControlService", "ControlService", {"handle": _h(scHandle), "control": _dword(code)})
    if r.get("win32Error"):
        pywintypes.raise_error(r["win32Error"], "ControlService")
    return _status(r.get("status"))


def QueryServiceStatus(hService):
    return _status(_call("QueryServiceStatus", "QueryServiceStatus", {"handle": _h(hService)}))


def QueryServiceStatusEx(hService):
    st = _call("QueryServiceStatus", "QueryServiceStatusEx", {"handle": _h(hService)})
    return {
        "ServiceType": st.get("serviceType", 0),
        "CurrentState": st.get("currentState", 0),
        "ControlsAccepted": st.get("controlsAccepted", 0),
        "Win32ExitCode": st.get("win32ExitCode", 0),
        "ServiceSpecificExitCode": st.get("serviceSpecificExitCode", 0),
        "CheckPoint": st.get("checkPoint", 0),
        "WaitHint": st.get("waitHint", 0),
        "ProcessId": st.get("processId", 0),
        "ServiceFlags": st.get("serviceFlags", 0),
    }


def SetServiceStatus(scHandle, serviceStatus):
    """Report a service's status: scHandle is what
    servicemanager.RegisterServiceCtrlHandler returned."""
    if not isinstance(serviceStatus, tuple) or len(serviceStatus) != 7:
        raise TypeError("SERVICE_STATUS must be a tuple of 7 integers")
    import servicemanager

    servicemanager._set_status(scHandle, tuple(_dword(v) for v in serviceStatus))


def QueryServiceConfig(hService):
    c = _call("QueryServiceConfig", "QueryServiceConfig", {"handle": _h(hService)})
    return (
        c.get("serviceType", 0), c.get("startType", 0), c.get("errorControl", 0),
        c.get("binaryPathName", ""), c.get("loadOrderGroup", ""), c.get("tagId", 0),
        list(c.get("dependencies", [])), c.get("serviceStartName", ""), c.get("displayName", ""),
    )


def _signed(v):
    return v - (1 << 32) if v >= 1 << 31 else v


def QueryServiceConfig2(hService, InfoLevel):
    c = _call("QueryServiceConfig2", "QueryServiceConfig2", {"handle": _h(hService), "infoLevel": _dword(InfoLevel)})
    if InfoLevel == SERVICE_CONFIG_DESCRIPTION:
        return c.get("description") or None
    if InfoLevel == SERVICE_CONFIG_FAILURE_ACTIONS:
        fa = c.get("failureActions") or {}
        return {
            "ResetPeriod": _signed(fa.get("resetPeriod", 0)),
            "RebootMsg": fa.get("rebootMsg") or None,
            "Command": fa.get("command") or None,
            "Actions": tuple((a.get("type", 0), a.get("delay", 0)) for a in fa.get("actions", [])),
        }
    if InfoLevel == SERVICE_CONFIG_DELAYED_AUTO_START_INFO:
        return bool(c.get("delayedAutoStart", 0))
    if InfoLevel == SERVICE_CONFIG_FAILURE_ACTIONS_FLAG:
        return bool(c.get("failureActionsOnNonCrashFailures", False))
    if InfoLevel == SERVICE_CONFIG_SERVICE_SID_INFO:
        return c.get("serviceSidType", 0)
    if InfoLevel == SERVICE_CONFIG_REQUIRED_PRIVILEGES_INFO:
        return list(c.get("requiredPrivileges", []))
    if InfoLevel == SERVICE_CONFIG_PRESHUTDOWN_INFO:
        return c.get("preshutdownTimeout", 0)
    raise NotImplementedError("QueryServiceConfig2: Level %d is not supported" % InfoLevel)


_FA_SHAPE = ("SERVICE_FAILURE_ACTIONS must be a dictionary containing {'ResetPeriod':int,'RebootMsg':unicode,"
             "'Command':unicode,'Actions':sequence of 2 tuples(int,int)")


def _failure_actions(info):
    if not isinstance(info, dict) or not {"ResetPeriod", "RebootMsg", "Command", "Actions"} <= set(info):
        raise TypeError(_FA_SHAPE)
    fa = {"resetPeriod": _dword(info["ResetPeriod"]), "changeActions": info["Actions"] is not None, "actions": []}
    for key, name in (("RebootMsg", "rebootMsg"), ("Command", "command")):
        if info[key] is not None:
            if not isinstance(info[key], str):
                raise TypeError(_FA_SHAPE)
            fa[name] = info[key]
    for a in info["Actions"] or ():
        if not isinstance(a, tuple) or len(a) != 2 or not all(isinstance(x, int) for x in a):
            raise TypeError("SC_ACTION must be a tuple of 2 ints (Type, Delay)")
        fa["actions"].append({"type": _dword(a[0]), "delay": _dword(a[1])})
    return fa


def ChangeServiceConfig2(hService, InfoLevel, info):
    c = {"infoLevel": InfoLevel}
    if InfoLevel == SERVICE_CONFIG_DESCRIPTION:
        if info is None:
            return None  # a NULL description leaves it as it is
        c["description"] = str(info)
    elif InfoLevel == SERVICE_CONFIG_FAILURE_ACTIONS:
        c["failureActions"] = _failure_actions(info)
    elif InfoLevel == SERVICE_CONFIG_DELAYED_AUTO_START_INFO:
        c["delayedAutoStart"] = 1 if info else 0
    elif InfoLevel == SERVICE_CONFIG_FAILURE_ACTIONS_FLAG:
        c["failureActionsOnNonCrashFailures"] = bool(info)
    elif InfoLevel == SERVICE_CONFIG_SERVICE_SID_INFO:
        c["serviceSidType"] = _dword(info)
    elif InfoLevel == SERVICE_CONFIG_REQUIRED_PRIVILEGES_INFO:
        c["requiredPrivileges"] = [str(p) for p in info]
    elif InfoLevel == SERVICE_CONFIG_PRESHUTDOWN_INFO:
        c["preshutdownTimeout"] = _dword(info)
    else:
        raise ValueError("Info type %d is not supported" % InfoLevel)
    _call("ChangeServiceConfig2", "ChangeServiceConfig2", {"handle": _h(hService), "info": c})


def _enum(funcname, request):
    request["bufSize"] = _INFINITE  # one reply with everything: Python has no buffer to size
    r = _call("EnumServicesStatus", funcname, request)
    if r.get("win32Error"):
        pywintypes.raise_error(r["win32Error"], funcname)
    return r.get("services", [])


def EnumServicesStatus(hSCManager, ServiceType=SERVICE_WIN32, ServiceState=SERVICE_STATE_ALL):
    entries = _enum("EnumServicesStatus", {"scm": _h(hSCManager), "serviceType": _dword(ServiceType),
                                           "serviceState": _dword(ServiceState)})
    return tuple((e.get("serviceName", ""), e.get("displayName", ""), _status(e.get("status"))) for e in entries)


def EnumServicesStatusEx(SCManager, ServiceType=SERVICE_WIN32, ServiceState=SERVICE_STATE_ALL, GroupName=None,
                         InfoLevel=SC_ENUM_PROCESS_INFO):
    if InfoLevel != SC_ENUM_PROCESS_INFO:
        raise NotImplementedError("Unsupported information level")
    req = {"scm": _h(SCManager), "serviceType": _dword(ServiceType), "serviceState": _dword(ServiceState), "ex": True}
    if GroupName is not None:
        req["groupName"] = GroupName
    out = []
    for e in _enum("EnumServicesStatusEx", req):
        st = e.get("status") or {}
        out.append({
            "ServiceName": e.get("serviceName", ""), "DisplayName": e.get("displayName", ""),
            "ServiceType": st.get("serviceType", 0), "CurrentState": st.get("currentState", 0),
            "ControlsAccepted": st.get("controlsAccepted", 0), "Win32ExitCode": st.get("win32ExitCode", 0),
            "ServiceSpecificExitCode": st.get("serviceSpecificExitCode", 0), "CheckPoint": st.get("checkPoint", 0),
            "WaitHint": st.get("waitHint", 0), "ProcessId": st.get("processId", 0),
            "ServiceFlags": st.get("serviceFlags", 0),
        })
    return out


def EnumDependentServices(hService, ServiceState=SERVICE_STATE_ALL):
    r = _call("EnumDependentServices", "EnumDependentServices",
              {"handle": _h(hService), "serviceState": _dword(ServiceState), "bufSize": _INFINITE})
    if r.get("win32Error"):
        pywintypes.raise_error(r["win32Error"], "EnumDependentServices")
    return tuple((e.get("serviceName", ""), e.get("displayName", ""), _status(e.get("status")))
                 for e in r.get("services", []))


def _name(method, h, name):
    r = _call(method, method, {"scm": _h(h), "name": name, "bufChars": 256})
    if r.get("win32Error"):
        pywintypes.raise_error(r["win32Error"], method)
    return r.get("name", "")


def GetServiceKeyName(hSCManager, DisplayName):
    return _name("GetServiceKeyName", hSCManager, DisplayName)


def GetServiceDisplayName(hSCManager, ServiceName):
    return _name("GetServiceDisplayName", hSCManager, ServiceName)


def LockServiceDatabase(sc_handle):
    """The lock as an int; 0 if it could not be taken (pywin32 raises nothing here)."""
    try:
        r = _scm.call("LockServiceDatabase", {"handle": _h(sc_handle)})
    except _scm.CallFailed:
        return 0
    return _scm.u64(r.get("handle"))


def UnlockServiceDatabase(lock):
    _call("UnlockServiceDatabase", "UnlockServiceDatabase", {"handle": _h(lock)})


def QueryServiceLockStatus(hSCManager):
    r = _call("QueryServiceLockStatus", "QueryServiceLockStatus", {"handle": _h(hSCManager)})
    return (1 if r.get("isLocked") else 0, r.get("lockOwner") or None, r.get("lockDuration", 0))


def QueryServiceObjectSecurity(Handle, SecurityInformation):
    import win32security

    r = _call("QueryServiceObjectSecurity", "QueryServiceObjectSecurity",
              {"handle": _h(Handle), "securityInformation": _dword(SecurityInformation)})
    return win32security.PySECURITY_DESCRIPTOR(r.get("sddl", ""))


def SetServiceObjectSecurity(Handle, SecurityInformation, SecurityDescriptor):
    import win32security

    if not isinstance(SecurityDescriptor, win32security.PySECURITY_DESCRIPTOR):
        raise TypeError("The object is not a PySECURITY_DESCRIPTOR object")
    _call("SetServiceObjectSecurity", "SetServiceObjectSecurity",
          {"handle": _h(Handle), "securityInformation": _dword(SecurityInformation), "sddl": SecurityDescriptor._sddl})


# Window stations and desktops, as Windows gives them to a process: a login
# session's processes have its interactive WinSta0; a service a station of
# its account in session 0 (Service-0x0-3e7$ for LocalSystem), or session
# 0's WinSta0 for an interactive service where NoInteractiveServices is 0.
# scmd says which the calling process has; stations and desktops the process
# creates are its own.

ERROR_FILE_NOT_FOUND = 2
ERROR_ACCESS_DENIED = 5
ERROR_INVALID_FUNCTION = 1
_created_stations = {}  # name -> desktops, made by this process
_current = {}


def _station_info():
    try:
        return _scm.call("GetProcessWindowStation", {})
    except _scm.CallFailed as e:
        pywintypes.raise_error(e.code, "GetProcessWindowStation")


class _UserObject(pywintypes.HANDLEType):
    _next = [0x1000]

    def __init__(self, kind, name, station, info):
        _UserObject._next[0] += 4
        super().__init__(_UserObject._next[0])
        self._kind, self._name, self._station, self._info = kind, name, station, info
        self._flags = {"Inherit": False, "Reserved": False, "Flags": 0}
        if kind == "WindowStation" and name == info.get("name", "WinSta0") and info.get("visible"):
            self._flags["Flags"] = WSF_VISIBLE


class PyHWINSTA(_UserObject):
    def __init__(self, name, info):
        super().__init__("WindowStation", name, name, info)

    def EnumDesktops(self):
        if self._name in _created_stations:
            return list(_created_stations[self._name])
        if self._name == self._info.get("name", "WinSta0"):
            return list(self._info.get("desktops", ["Default"]))
        return ["Default"]

    def SetProcessWindowStation(self):
        _current["station"] = self

    def CloseWindowStation(self):
        self.Close()


class PyHDESK(_UserObject):
    def __init__(self, name, station, info):
        super().__init__("Desktop", name, station, info)

    def SetThreadDesktop(self):
        _current["desktop"] = self

    def EnumDesktopWindows(self):
        return []  # no windows here

    def SwitchDesktop(self):
        if not (self._info.get("input") and self._name.lower() == "default"):
            pywintypes.raise_error(ERROR_ACCESS_DENIED, "SwitchDesktop")

    def CloseDesktop(self):
        self.Close()


PyHWINSTA.__name__ = PyHWINSTA.__qualname__ = "PyHWINSTA"
PyHDESK.__name__ = PyHDESK.__qualname__ = "PyHDESK"
HWINSTAType, HDESKType = PyHWINSTA, PyHDESK


def GetProcessWindowStation():
    if "station" in _current:
        return _current["station"]
    info = _station_info()
    return PyHWINSTA(info.get("name", "WinSta0"), info)


def GetThreadDesktop(ThreadId):
    if "desktop" in _current:
        return _current["desktop"]
    info = _station_info()
    return PyHDESK("Default", info.get("name", "WinSta0"), info)


def EnumWindowStations():
    return list(_station_info().get("stations", ["WinSta0"])) + list(_created_stations)


def OpenWindowStation(szWinSta, Inherit, DesiredAccess):
    info = _station_info()
    for name in list(info.get("stations", [])) + list(_created_stations):
        if name.lower() == szWinSta.lower():
            return PyHWINSTA(name, info)
    if szWinSta.lower().startswith("service-0x0-") and szWinSta.endswith("$"):
        pywintypes.raise_error(ERROR_ACCESS_DENIED, "OpenWindowStation")  # another account's
    pywintypes.raise_error(ERROR_FILE_NOT_FOUND, "OpenWindowStation")


def OpenDesktop(szDesktop, Flags, Inherit, DesiredAccess):
    station = GetProcessWindowStation()
    desktops = station.EnumDesktops()
    for name in desktops:
        if name.lower() == szDesktop.lower():
            return PyHDESK(name, station._name, station._info)
    if szDesktop.lower() == "winlogon":
        pywintypes.raise_error(ERROR_ACCESS_DENIED, "OpenDesktop")  # SYSTEM's alone
    pywintypes.raise_error(ERROR_FILE_NOT_FOUND, "OpenDesktop")


def OpenInputDesktop(Flags, Inherit, DesiredAccess):
    info = _station_info()
    if not info.get("input"):
        pywintypes.raise_error(ERROR_INVALID_FUNCTION, "OpenInputDesktop")  # no station that takes input
    return PyHDESK("Default", info.get("name", "WinSta0"), info)


def CreateWindowStation(WindowStation, Flags, DesiredAccess, SecurityAttributes):
    info = _station_info()
    name = WindowStation or "Service-0x0-%x$" % (0x20000 + len(_created_stations))
    if name.lower() == "winsta0" or name in info.get("stations", []):
        return PyHWINSTA(name, info)  # it exists: opened
    _created_stations.setdefault(name, ["Default"])
    return PyHWINSTA(name, info)


def CreateDesktop(Desktop, Flags, DesiredAccess, SecurityAttributes):
    station = GetProcessWindowStation()
    desktops = _created_stations.setdefault(station._name, list(station.EnumDesktops()))
    if Desktop not in desktops:
        desktops.append(Desktop)
    return PyHDESK(Desktop, station._name, station._info)


def GetUserObjectInformation(Handle, type):
    if not isinstance(Handle, _UserObject):
        pywintypes.raise_error(6, "GetUserObjectInformation")
    if type == UOI_NAME:
        return Handle._name
    if type == UOI_TYPE:
        return Handle._kind
    if type == UOI_FLAGS:
        return dict(Handle._flags)
    if type == UOI_USER_SID:
        sid = Handle._info.get("userSid")
        return pywintypes.SIDType(sid) if sid and Handle._station == Handle._info.get("name", "WinSta0") else None
    raise NotImplementedError("Type of information is not supported yet")


def SetUserObjectInformation(Handle, info, type=UOI_FLAGS):
    if type != UOI_FLAGS:
        raise TypeError("Only UOI_FLAGS currently supported")
    if not isinstance(Handle, _UserObject):
        pywintypes.raise_error(6, "SetUserObjectInformation")
    if not isinstance(info, dict) or not {"Inherit", "Reserved", "Flags"} <= set(info):
        raise TypeError("UOI_FLAGS must be a dictionary containing {'Inherit':bool, 'Reserved':bool, 'Flags':int}")
    Handle._flags = {"Inherit": bool(info["Inherit"]), "Reserved": bool(info["Reserved"]), "Flags": int(info["Flags"])}
