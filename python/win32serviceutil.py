"""win32serviceutil: install, control and debug Python services, as pywin32 does.

A service installed here runs under pythonservice.py, this package's host
program (pythonservice.exe's counterpart): its binary path is the Python
interpreter and that script, and the class to run is the default value of
the service's PythonClass key.
"""

import os
import sys

import pywintypes
import win32api
import win32con
import win32service
import winerror

error = RuntimeError

_HOST = os.path.join(os.path.dirname(os.path.abspath(__file__)), "pythonservice.py")


def LocatePythonServiceExe(exe=None):
    """The host program a service runs under: the frozen program itself, the
    file exe names, or pythonservice.py beside this module."""
    if not exe and hasattr(sys, "frozen"):
        return sys.executable
    if exe and os.path.isfile(exe):
        return win32api.GetFullPathName(exe)
    if not os.path.exists(_HOST):
        raise error("Can't find '%s'" % _HOST)
    return _HOST


def _quoted_exe(exeName):
    exe = LocatePythonServiceExe(exeName)
    if exe.endswith(".py"):  # a script runs under this interpreter
        return '"%s" "%s"' % (sys.executable, exe)
    return '"%s"' % exe


def _GetServiceShortName(longName):
    key = win32api.RegOpenKey(win32con.HKEY_LOCAL_MACHINE, "SYSTEM\\CurrentControlSet\\Services", 0,
                              win32con.KEY_READ | win32con.KEY_ENUMERATE_SUB_KEYS | win32con.KEY_QUERY_VALUE)
    for i in range(win32api.RegQueryInfoKey(key)[0]):
        name = win32api.RegEnumKey(key, i)
        try:
            sub = win32api.RegOpenKey(key, name)
            display = win32api.RegQueryValueEx(sub, "DisplayName")[0]
        except win32api.error:
            continue
        if display.lower() == longName.lower():
            return name
    return None


def SmartOpenService(hscm, name, access):
    try:
        return win32service.OpenService(hscm, name, access)
    except win32api.error as details:
        if details.winerror not in (winerror.ERROR_SERVICE_DOES_NOT_EXIST, winerror.ERROR_INVALID_NAME):
            raise
        name = win32service.GetServiceKeyName(hscm, name)
        return win32service.OpenService(hscm, name, access)


def LocateSpecificServiceExe(serviceName):
    hkey = win32api.RegOpenKey(win32con.HKEY_LOCAL_MACHINE, "SYSTEM\\CurrentControlSet\\Services\\%s" % serviceName,
                               0, win32con.KEY_QUERY_VALUE)
    try:
        return win32api.RegQueryValueEx(hkey, "ImagePath")[0]
    finally:
        hkey.Close()


def InstallPerfmonForService(serviceName, iniName, dllName=None):
    raise ValueError("The name of the performance DLL must be available")


def _GetCommandLine(exeName, exeArgs):
    if exeArgs is not None:
        return exeName + " " + exeArgs
    return exeName


def _apply_config2(hs, description, delayedstart):
    if description is not None:
        win32service.ChangeServiceConfig2(hs, win32service.SERVICE_CONFIG_DESCRIPTION, description)
    if delayedstart is not None:
        try:
            win32service.ChangeServiceConfig2(hs, win32service.SERVICE_CONFIG_DELAYED_AUTO_START_INFO, delayedstart)
        except win32service.error as exc:
            if delayedstart:
                import warnings

                warnings.warn(exc.strerror, stacklevel=3)


def InstallService(pythonClassString, serviceName, displayName, startType=None, errorControl=None, bRunInteractive=0,
                   serviceDeps=None, userName=None, password=None, exeName=None, perfMonIni=None, perfMonDll=None,
                   exeArgs=None, description=None, delayedstart=None):
    if startType is None:
        startType = win32service.SERVICE_DEMAND_START
    serviceType = win32service.SERVICE_WIN32_OWN_PROCESS
    if bRunInteractive:
        serviceType |= win32service.SERVICE_INTERACTIVE_PROCESS
    if errorControl is None:
        errorControl = win32service.SERVICE_ERROR_NORMAL
    commandLine = _GetCommandLine(_quoted_exe(exeName), exeArgs)
    hscm = win32service.OpenSCManager(None, None, win32service.SC_MANAGER_ALL_ACCESS)
    try:
        hs = win32service.CreateService(hscm, serviceName, displayName, win32service.SERVICE_ALL_ACCESS, serviceType,
                                        startType, errorControl, commandLine, None, 0, serviceDeps, userName, password)
        _apply_config2(hs, description, delayedstart)
        win32service.CloseServiceHandle(hs)
    finally:
        win32service.CloseServiceHandle(hscm)
    InstallPythonClassString(pythonClassString, serviceName)
    if perfMonIni is not None:
        InstallPerfmonForService(serviceName, perfMonIni, perfMonDll)


def ChangeServiceConfig(pythonClassString, serviceName, startType=None, errorControl=None, bRunInteractive=0,
                        serviceDeps=None, userName=None, password=None, exeName=None, displayName=None,
                        perfMonIni=None, perfMonDll=None, exeArgs=None, description=None, delayedstart=None):
    if startType is None:
        startType = win32service.SERVICE_NO_CHANGE
    if errorControl is None:
        errorControl = win32service.SERVICE_NO_CHANGE
    serviceType = win32service.SERVICE_WIN32_OWN_PROCESS
    if bRunInteractive:
        serviceType |= win32service.SERVICE_INTERACTIVE_PROCESS
    commandLine = _GetCommandLine(_quoted_exe(exeName), exeArgs)
    hscm = win32service.OpenSCManager(None, None, win32service.SC_MANAGER_ALL_ACCESS)
    try:
        hs = SmartOpenService(hscm, serviceName, win32service.SERVICE_ALL_ACCESS)
        try:
            win32service.ChangeServiceConfig(hs, serviceType, startType, errorControl, commandLine, None, 0,
                                             serviceDeps, userName, password, displayName)
            _apply_config2(hs, description, delayedstart)
        finally:
            win32service.CloseServiceHandle(hs)
    finally:
        win32service.CloseServiceHandle(hscm)
    InstallPythonClassString(pythonClassString, serviceName)
    if perfMonIni is not None:
        InstallPerfmonForService(serviceName, perfMonIni, perfMonDll)


def InstallPythonClassString(pythonClassString, serviceName):
    if pythonClassString:
        key = win32api.RegCreateKey(win32con.HKEY_LOCAL_MACHINE,
                                    "System\\CurrentControlSet\\Services\\%s\\PythonClass" % serviceName)
        try:
            win32api.RegSetValue(key, None, win32con.REG_SZ, pythonClassString)
        finally:
            win32api.RegCloseKey(key)


def _name_of(serviceName):
    return getattr(serviceName, "_svc_name_", serviceName)


def SetServiceCustomOption(serviceName, option, value):
    key = win32api.RegCreateKey(win32con.HKEY_LOCAL_MACHINE,
                                "System\\CurrentControlSet\\Services\\%s\\Parameters" % _name_of(serviceName))
    try:
        if isinstance(value, int):
            win32api.RegSetValueEx(key, option, 0, win32con.REG_DWORD, value)
        else:
            win32api.RegSetValueEx(key, option, 0, win32con.REG_SZ, value)
    finally:
        win32api.RegCloseKey(key)


def GetServiceCustomOption(serviceName, option, defaultValue=None):
    key = win32api.RegCreateKey(win32con.HKEY_LOCAL_MACHINE,
                                "System\\CurrentControlSet\\Services\\%s\\Parameters" % _name_of(serviceName))
    try:
        return win32api.RegQueryValueEx(key, option)[0]
    except win32api.error:  # no such value
        return defaultValue
    finally:
        win32api.RegCloseKey(key)


def RemoveService(serviceName):
    hscm = win32service.OpenSCManager(None, None, win32service.SC_MANAGER_ALL_ACCESS)
    try:
        hs = SmartOpenService(hscm, serviceName, win32service.SERVICE_ALL_ACCESS)
        win32service.DeleteService(hs)
        win32service.CloseServiceHandle(hs)
    finally:
        win32service.CloseServiceHandle(hscm)
    import win32evtlogutil

    try:
        win32evtlogutil.RemoveSourceFromRegistry(serviceName)
    except win32api.error:
        pass


def ControlService(serviceName, code, machine=None):
    hscm = win32service.OpenSCManager(machine, None, win32service.SC_MANAGER_ALL_ACCESS)
    try:
        hs = SmartOpenService(hscm, serviceName, win32service.SERVICE_ALL_ACCESS)
        try:
            return win32service.ControlService(hs, code)
        finally:
            win32service.CloseServiceHandle(hs)
    finally:
        win32service.CloseServiceHandle(hscm)


def __FindSvcDeps(findName):
    deps = {}
    k = win32api.RegOpenKey(win32con.HKEY_LOCAL_MACHINE, "SYSTEM\\CurrentControlSet\\Services")
    for svc in [win32api.RegEnumKey(k, i) for i in range(win32api.RegQueryInfoKey(k)[0])]:
        try:
            sk = win32api.RegOpenKey(k, svc)
            for dep in win32api.RegQueryValueEx(sk, "DependOnService")[0]:
                deps.setdefault(dep.lower(), []).append(svc)
        except win32api.error:
            pass
    return __ResolveDeps(findName, deps)


def __ResolveDeps(findName, deps):
    """The services that depend on findName, directly or not, each after
    those that depend on it: the order they must stop in. A later
    dependent's chain comes before an earlier one's, as in pywin32."""
    order = []
    for svc in deps.get(findName.lower(), []):
        order = __ResolveDeps(svc, deps) + [svc] + order
    return order


def WaitForServiceStatus(serviceName, status, waitSecs, machine=None):
    for _ in range(waitSecs * 4):
        if QueryServiceStatus(serviceName, machine)[1] == status:
            return
        win32api.Sleep(250)
    raise pywintypes.error(winerror.ERROR_SERVICE_REQUEST_TIMEOUT, "QueryServiceStatus",
                           win32api.FormatMessage(winerror.ERROR_SERVICE_REQUEST_TIMEOUT)[:-2])


def __StopServiceWithTimeout(hs, waitSecs=30):
    try:
        win32service.ControlService(hs, win32service.SERVICE_CONTROL_STOP)
    except pywintypes.error as exc:
        if exc.winerror != winerror.ERROR_SERVICE_NOT_ACTIVE:
            raise
    for _ in range(waitSecs):
        if win32service.QueryServiceStatus(hs)[1] == win32service.SERVICE_STOPPED:
            return
        win32api.Sleep(1000)
    raise pywintypes.error(winerror.ERROR_SERVICE_REQUEST_TIMEOUT, "ControlService",
                           win32api.FormatMessage(winerror.ERROR_SERVICE_REQUEST_TIMEOUT)[:-2])


def StopServiceWithDeps(serviceName, machine=None, waitSecs=30):
    hscm = win32service.OpenSCManager(machine, None, win32service.SC_MANAGER_ALL_ACCESS)
    try:
        for dep in __FindSvcDeps(serviceName):
            hs = win32service.OpenService(hscm, dep, win32service.SERVICE_ALL_ACCESS)
            try:
                __StopServiceWithTimeout(hs, waitSecs)
            finally:
                win32service.CloseServiceHandle(hs)
        hs = win32service.OpenService(hscm, serviceName, win32service.SERVICE_ALL_ACCESS)
        try:
            __StopServiceWithTimeout(hs, waitSecs)
        finally:
            win32service.CloseServiceHandle(hs)
    finally:
        win32service.CloseServiceHandle(hscm)


def StopService(serviceName, machine=None):
    return ControlService(serviceName, win32service.SERVICE_CONTROL_STOP, machine)


def StartService(serviceName, args=None, machine=None):
    hscm = win32service.OpenSCManager(machine, None, win32service.SC_MANAGER_ALL_ACCESS)
    try:
        hs = SmartOpenService(hscm, serviceName, win32service.SERVICE_ALL_ACCESS)
        try:
            win32service.StartService(hs, args)
        finally:
            win32service.CloseServiceHandle(hs)
    finally:
        win32service.CloseServiceHandle(hscm)


def RestartService(serviceName, args=None, waitSeconds=30, machine=None):
    "Stop the service, and then start it again (with some tolerance for allowing it to stop.)"
    try:
        StopService(serviceName, machine)
    except pywintypes.error as exc:
        if exc.winerror != winerror.ERROR_SERVICE_NOT_ACTIVE:
            raise
    for _ in range(waitSeconds):
        try:
            StartService(serviceName, args, machine)
            break
        except pywintypes.error as exc:
            if exc.winerror != winerror.ERROR_SERVICE_ALREADY_RUNNING:
                raise
            win32api.Sleep(1000)
    else:
        print("Gave up waiting for the old service to stop!")


def _DebugCtrlHandler(evt):
    if evt in (win32con.CTRL_C_EVENT, win32con.CTRL_BREAK_EVENT):
        assert g_debugService
        print("Stopping debug service.")
        g_debugService.SvcStop()
        return True
    return False


def DebugService(cls, argv=[]):
    import servicemanager

    global g_debugService
    print("Debugging service %s - press Ctrl+C to stop." % cls._svc_name_)
    servicemanager.Debugging(True)
    servicemanager.PrepareToHostSingle(cls)
    g_debugService = cls(argv)
    win32api.SetConsoleCtrlHandler(_DebugCtrlHandler, True)
    try:
        g_debugService.SvcRun()
    finally:
        win32api.SetConsoleCtrlHandler(_DebugCtrlHandler, False)
        servicemanager.Debugging(False)
        g_debugService = None


def GetServiceClassString(cls, argv=None):
    import pickle

    if argv is None:
        argv = sys.argv
    modName = pickle.whichmodule(cls, cls.__name__)
    if modName == "__main__":
        try:
            fname = win32api.GetFullPathName(argv[0])
        except win32api.error:
            raise error("Could not resolve the path name '%s' to a full path" % (argv[0]))
        modName = os.path.splitext(fname)[0]
    return modName + "." + cls.__name__


def QueryServiceStatus(serviceName, machine=None):
    hscm = win32service.OpenSCManager(machine, None, win32service.SC_MANAGER_CONNECT)
    try:
        hs = SmartOpenService(hscm, serviceName, win32service.SERVICE_QUERY_STATUS)
        try:
            return win32service.QueryServiceStatus(hs)
        finally:
            win32service.CloseServiceHandle(hs)
    finally:
        win32service.CloseServiceHandle(hscm)


def usage():
    try:
        fname = os.path.split(sys.argv[0])[1]
    except Exception:
        fname = sys.argv[0]
    print("Usage: '%s [options] install|update|remove|start [...]|stop|restart [...]|debug [...]'" % fname)
    print("Options for 'install' and 'update' commands only:")
    print(" --username domain\\username : The Username the service is to run under")
    print(" --password password : The password for the username")
    print(" --startup [manual|auto|disabled|delayed] : How the service starts, default = manual")
    print(" --interactive : Allow the service to interact with the desktop.")
    print(" --perfmonini file: .ini file to use for registering performance monitor data")
    print(" --perfmondll file: .dll file to use when querying the service for")
    print("   performance data, default = perfmondata.dll")
    print("Options for 'start' and 'stop' commands only:")
    print(" --wait seconds: Wait for the service to actually start or stop.")
    print("                 If you specify --wait with the 'stop' option, the service")
    print("                 and all dependent services will be stopped, each waiting")
    print("                 the specified period.")
    sys.exit(1)


def HandleCommandLine(cls, serviceClassString=None, argv=None, customInstallOptions="", customOptionHandler=None):
    """Utility function allowing services to process the command line.

    Allows standard commands such as 'start', 'stop', 'debug', 'install' etc.

    Install supports 'standard' command line options prefixed with '--', such as
    --username, --password, etc.  In addition,
    the function allows custom command line options to be handled by the calling function.
    """
    err = 0
    if argv is None:
        argv = sys.argv
    if len(argv) <= 1:
        usage()
    serviceName = cls._svc_name_
    serviceDisplayName = cls._svc_display_name_
    if serviceClassString is None:
        serviceClassString = GetServiceClassString(cls)

    import getopt

    try:
        opts, args = getopt.getopt(argv[1:], customInstallOptions,
                                   ["password=", "username=", "startup=", "perfmonini=", "perfmondll=", "interactive",
                                    "wait="])
    except getopt.error as details:
        print(details)
        usage()
    userName = password = perfMonIni = perfMonDll = startup = delayedstart = interactive = None
    waitSecs = 0
    for opt, val in opts:
        if opt == "--username":
            userName = val
        elif opt == "--password":
            password = val
        elif opt == "--perfmonini":
            perfMonIni = val
        elif opt == "--perfmondll":
            perfMonDll = val
        elif opt == "--interactive":
            interactive = 1
        elif opt == "--startup":
            map = {"manual": win32service.SERVICE_DEMAND_START, "auto": win32service.SERVICE_AUTO_START,
                   "delayed": win32service.SERVICE_AUTO_START, "disabled": win32service.SERVICE_DISABLED}
            try:
                startup = map[val.lower()]
            except KeyError:
                print("%r is not a valid startup option" % val)
            if val.lower() == "delayed":
                delayedstart = True
            elif val.lower() == "auto":
                delayedstart = False
        elif opt == "--wait":
            try:
                waitSecs = int(val)
            except ValueError:
                print("--wait must specify an integer number of seconds.")
                usage()

    arg = args[0]
    knownArg = 0
    if arg == "start":
        knownArg = 1
        print("Starting service %s" % serviceName)
        try:
            StartService(serviceName, args[1:])
            if waitSecs:
                WaitForServiceStatus(serviceName, win32service.SERVICE_RUNNING, waitSecs)
        except win32service.error as exc:
            print("Error starting service: %s" % exc.strerror)
            err = exc.winerror
    elif arg == "restart":
        knownArg = 1
        print("Restarting service %s" % serviceName)
        RestartService(serviceName, args[1:])
        if waitSecs:
            WaitForServiceStatus(serviceName, win32service.SERVICE_RUNNING, waitSecs)
    elif arg == "debug":
        knownArg = 1
        if not hasattr(sys, "frozen"):
            svcArgs = " ".join(args[1:])
            try:
                exeName = LocateSpecificServiceExe(serviceName)
            except win32api.error as exc:
                if exc.winerror == winerror.ERROR_FILE_NOT_FOUND:
                    print("The service does not appear to be installed.")
                    print("Please install the service before debugging it.")
                    sys.exit(1)
                raise
            if "pythonservice" not in exeName:
                # The script is its own host, as a frozen program is.
                DebugService(cls, args)
            else:
                try:
                    os.system("%s -debug %s %s" % (exeName, serviceName, svcArgs))
                except KeyboardInterrupt:
                    pass
        else:
            DebugService(cls, args)

    if not knownArg and len(args) != 1:
        usage()

    def attr(name):
        return getattr(cls, name, None)

    if arg == "install":
        knownArg = 1
        print("Installing service %s" % (serviceName,))
        try:
            InstallService(serviceClassString, serviceName, serviceDisplayName, serviceDeps=attr("_svc_deps_"),
                           startType=startup, bRunInteractive=interactive, userName=userName, password=password,
                           exeName=attr("_exe_name_"), perfMonIni=perfMonIni, perfMonDll=perfMonDll,
                           exeArgs=attr("_exe_args_"), description=attr("_svc_description_"),
                           delayedstart=delayedstart)
            if customOptionHandler:
                customOptionHandler(*(opts,))
            print("Service installed")
        except win32service.error as exc:
            if exc.winerror == winerror.ERROR_SERVICE_EXISTS:
                arg = "update"
            else:
                print("Error installing service: %s (%d)" % (exc.strerror, exc.winerror))
                err = exc.winerror
        except ValueError as msg:
            print("Error installing service: %s" % str(msg))
            err = -1
            try:
                RemoveService(serviceName)
            except win32api.error:
                print("Warning - could not remove the partially installed service.")

    if arg == "update":
        knownArg = 1
        print("Changing service configuration")
        try:
            ChangeServiceConfig(serviceClassString, serviceName, serviceDeps=attr("_svc_deps_"), startType=startup,
                                bRunInteractive=interactive, userName=userName, password=password,
                                exeName=attr("_exe_name_"), displayName=serviceDisplayName, perfMonIni=perfMonIni,
                                perfMonDll=perfMonDll, exeArgs=attr("_exe_args_"),
                                description=attr("_svc_description_"), delayedstart=delayedstart)
            if customOptionHandler:
                customOptionHandler(*(opts,))
            print("Service updated")
        except win32service.error as exc:
            print("Error changing service configuration: %s (%d)" % (exc.strerror, exc.winerror))
            err = exc.winerror
    elif arg == "remove":
        knownArg = 1
        print("Removing service %s" % (serviceName))
        try:
            RemoveService(serviceName)
            print("Service removed")
        except win32service.error as exc:
            print("Error removing service: %s (%d)" % (exc.strerror, exc.winerror))
            err = exc.winerror
    elif arg == "stop":
        knownArg = 1
        print("Stopping service %s" % (serviceName))
        try:
            if waitSecs:
                StopServiceWithDeps(serviceName, waitSecs=waitSecs)
            else:
                StopService(serviceName)
        except win32service.error as exc:
            print("Error stopping service: %s (%d)" % (exc.strerror, exc.winerror))
            err = exc.winerror
    if not knownArg:
        err = -1
        print("Unknown command - '%s'" % arg)
        usage()
    return err


class ServiceFramework:
    # Required: _svc_name_, _svc_display_name_.
    _svc_deps_ = None
    _exe_name_ = None
    _exe_args_ = None
    _svc_description_ = None

    def __init__(self, args):
        import servicemanager

        self.ssh = servicemanager.RegisterServiceCtrlHandler(args[0], self.ServiceCtrlHandlerEx, True)
        servicemanager.SetEventSourceName(self._svc_name_)
        self.checkPoint = 0

    def GetAcceptedControls(self):
        accepted = 0
        if hasattr(self, "SvcStop"):
            accepted |= win32service.SERVICE_ACCEPT_STOP
        if hasattr(self, "SvcPause") and hasattr(self, "SvcContinue"):
            accepted |= win32service.SERVICE_ACCEPT_PAUSE_CONTINUE
        if hasattr(self, "SvcShutdown"):
            accepted |= win32service.SERVICE_ACCEPT_SHUTDOWN
        return accepted

    def ReportServiceStatus(self, serviceStatus, waitHint=5000, win32ExitCode=0, svcExitCode=0):
        if self.ssh is None:  # debugging
            return
        if serviceStatus == win32service.SERVICE_START_PENDING:
            accepted = 0
        else:
            accepted = self.GetAcceptedControls()
        if serviceStatus in (win32service.SERVICE_RUNNING, win32service.SERVICE_STOPPED):
            checkPoint = 0
        else:
            self.checkPoint += 1
            checkPoint = self.checkPoint
        status = (win32service.SERVICE_WIN32_OWN_PROCESS, serviceStatus, accepted, win32ExitCode, svcExitCode,
                  checkPoint, waitHint)
        win32service.SetServiceStatus(self.ssh, status)

    def SvcInterrogate(self):
        self.ReportServiceStatus(win32service.SERVICE_RUNNING)

    def SvcOther(self, control):
        try:
            print("Unknown control status - %d" % control)
        except OSError:
            pass

    def ServiceCtrlHandler(self, control):
        return self.ServiceCtrlHandlerEx(control, 0, None)

    def SvcOtherEx(self, control, event_type, data):
        return self.SvcOther(control)

    def ServiceCtrlHandlerEx(self, control, event_type, data):
        if control == win32service.SERVICE_CONTROL_STOP:
            return self.SvcStop()
        elif control == win32service.SERVICE_CONTROL_PAUSE:
            return self.SvcPause()
        elif control == win32service.SERVICE_CONTROL_CONTINUE:
            return self.SvcContinue()
        elif control == win32service.SERVICE_CONTROL_INTERROGATE:
            return self.SvcInterrogate()
        elif control == win32service.SERVICE_CONTROL_SHUTDOWN:
            return self.SvcShutdown()
        else:
            return self.SvcOtherEx(control, event_type, data)

    def SvcRun(self):
        self.ReportServiceStatus(win32service.SERVICE_RUNNING)
        self.SvcDoRun()
        self.ReportServiceStatus(win32service.SERVICE_STOP_PENDING)
