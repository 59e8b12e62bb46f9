"""win32service against a real scmd: every function of pywin32's module,
its return shapes, and its errors."""

import gc
import unittest

import support
import pywintypes
import win32security
import win32service as ws
import winerror


def _dummy(name, **kw):
    scm = ws.OpenSCManager(None, None, ws.SC_MANAGER_ALL_ACCESS)
    args = dict(displayName="Display " + name, startType=ws.SERVICE_DEMAND_START, group=None, deps=None)
    args.update(kw)
    h = ws.CreateService(scm, name, args["displayName"], ws.SERVICE_ALL_ACCESS, ws.SERVICE_WIN32_OWN_PROCESS,
                         args["startType"], ws.SERVICE_ERROR_NORMAL, "/bin/sleep 100", args["group"], 0,
                         args["deps"], None, None)
    return scm, h


class Win32ServiceTest(support.SCMTestCase):
    def tearDown(self):
        for name in ("PyApi1", "PyApi2", "PyApi3", "PyApiDep"):
            support.remove(name)

    def test_create_query_change_delete(self):
        scm, h = _dummy("PyApi1")
        self.assertIsInstance(h, ws.PySC_HANDLE)
        self.assertEqual(repr(h), "<PySC_HANDLE:%d>" % int(h))
        cfg = ws.QueryServiceConfig(h)
        self.assertEqual(cfg, (ws.SERVICE_WIN32_OWN_PROCESS, ws.SERVICE_DEMAND_START, ws.SERVICE_ERROR_NORMAL,
                               "/bin/sleep 100", "", 0, [], "LocalSystem", "Display PyApi1"))
        self.assertIsNone(ws.ChangeServiceConfig(h, ws.SERVICE_NO_CHANGE, ws.SERVICE_AUTO_START, ws.SERVICE_NO_CHANGE,
                                                 None, None, 0, None, None, None, "Renamed"))
        cfg = ws.QueryServiceConfig(h)
        self.assertEqual((cfg[1], cfg[3], cfg[8]), (ws.SERVICE_AUTO_START, "/bin/sleep 100", "Renamed"))
        self.assertEqual(ws.QueryServiceStatus(h), (ws.SERVICE_WIN32_OWN_PROCESS, ws.SERVICE_STOPPED, 0, 1077, 0, 0, 0))
        ex = ws.QueryServiceStatusEx(h)
        self.assertEqual(sorted(ex), sorted(["ServiceType", "CurrentState", "ControlsAccepted", "Win32ExitCode",
                                             "ServiceSpecificExitCode", "CheckPoint", "WaitHint", "ProcessId",
                                             "ServiceFlags"]))
        self.assertEqual(ws.GetServiceKeyName(scm, "Renamed"), "PyApi1")
        self.assertEqual(ws.GetServiceDisplayName(scm, "PyApi1"), "Renamed")
        ws.DeleteService(h)
        with self.assertRaises(ws.error) as cm:
            ws.DeleteService(h)
        self.assertEqual(cm.exception.winerror, winerror.ERROR_SERVICE_MARKED_FOR_DELETE)
        h.Close()
        self.assertFalse(h)

    def test_errors_are_pywintypes_errors(self):
        self.assertIs(ws.error, pywintypes.error)
        scm = ws.OpenSCManager(None, None, ws.SC_MANAGER_CONNECT)
        with self.assertRaises(pywintypes.error) as cm:
            ws.OpenService(scm, "NoSuchPyService", ws.SERVICE_QUERY_STATUS)
        e = cm.exception
        self.assertEqual((e.winerror, e.funcname, e.strerror),
                         (1060, "OpenService", "The specified service does not exist as an installed service."))
        self.assertEqual(str(e), "(1060, 'OpenService', 'The specified service does not exist as an installed service.')")
        with self.assertRaises(ws.error) as cm:
            ws.OpenSCManager("otherhost", None, ws.SC_MANAGER_CONNECT)
        self.assertEqual((cm.exception.winerror, cm.exception.funcname), (1722, "OpenSCManager"))
        with self.assertRaises(ws.error) as cm:
            ws.CreateService(scm, "PyApi3", "x", ws.SERVICE_ALL_ACCESS, ws.SERVICE_WIN32_OWN_PROCESS,
                             ws.SERVICE_DEMAND_START, ws.SERVICE_ERROR_NORMAL, "/bin/true", None, 0, None, None, None)
        self.assertEqual((cm.exception.winerror, cm.exception.funcname), (5, "CreateService"))
        with self.assertRaises(TypeError):
            ws.CloseServiceHandle(pywintypes.HANDLE(5))
        with self.assertRaises(TypeError):
            ws.QueryServiceStatus("not a handle")

    def test_start_control_and_enumerate(self):
        scm, h = _dummy("PyApi1")
        with self.assertRaises(ws.error) as cm:
            ws.ControlService(h, ws.SERVICE_CONTROL_STOP)
        self.assertEqual((cm.exception.winerror, cm.exception.funcname), (1062, "ControlService"))
        names = [e[0] for e in ws.EnumServicesStatus(scm)]
        self.assertIn("PyApi1", names)
        entry = [e for e in ws.EnumServicesStatus(scm) if e[0] == "PyApi1"][0]
        self.assertEqual(entry[1:], ("Display PyApi1", (16, 1, 0, 1077, 0, 0, 0)))
        self.assertEqual(ws.EnumServicesStatus(scm, ws.SERVICE_WIN32, ws.SERVICE_ACTIVE), ())

    def test_enum_ex_group_filter_and_dependents(self):
        scm, a = _dummy("PyApi1", group="PyGroup")
        _, b = _dummy("PyApi2")
        _, dep = _dummy("PyApiDep", deps=["PyApi1"])
        listed = ws.EnumServicesStatusEx(scm, ws.SERVICE_WIN32, ws.SERVICE_STATE_ALL, "PyGroup")
        self.assertEqual([e["ServiceName"] for e in listed], ["PyApi1"])
        self.assertEqual(list(listed[0]), ["ServiceName", "DisplayName", "ServiceType", "CurrentState",
                                           "ControlsAccepted", "Win32ExitCode", "ServiceSpecificExitCode",
                                           "CheckPoint", "WaitHint", "ProcessId", "ServiceFlags"])
        none = [e["ServiceName"] for e in ws.EnumServicesStatusEx(scm, ws.SERVICE_WIN32, ws.SERVICE_STATE_ALL, "")]
        self.assertIn("PyApi2", none)
        self.assertNotIn("PyApi1", none)
        with self.assertRaises(NotImplementedError):
            ws.EnumServicesStatusEx(scm, ws.SERVICE_WIN32, ws.SERVICE_STATE_ALL, None, 1)
        self.assertEqual(ws.EnumDependentServices(a, ws.SERVICE_STATE_ALL),
                         (("PyApiDep", "Display PyApiDep", (16, 1, 0, 1077, 0, 0, 0)),))
        self.assertEqual(ws.EnumDependentServices(b), ())

    def test_config2_levels(self):
        scm, h = _dummy("PyApi1")
        self.assertIsNone(ws.QueryServiceConfig2(h, ws.SERVICE_CONFIG_DESCRIPTION))
        ws.ChangeServiceConfig2(h, ws.SERVICE_CONFIG_DESCRIPTION, "described")
        self.assertEqual(ws.QueryServiceConfig2(h, ws.SERVICE_CONFIG_DESCRIPTION), "described")
        fa = {"ResetPeriod": 86400, "RebootMsg": None, "Command": "/bin/echo failed",
              "Actions": ((ws.SC_ACTION_RESTART, 1000), (ws.SC_ACTION_NONE, 0))}
        ws.ChangeServiceConfig2(h, ws.SERVICE_CONFIG_FAILURE_ACTIONS, fa)
        self.assertEqual(ws.QueryServiceConfig2(h, ws.SERVICE_CONFIG_FAILURE_ACTIONS), fa)
        ws.ChangeServiceConfig2(h, ws.SERVICE_CONFIG_DELAYED_AUTO_START_INFO, True)
        self.assertIs(ws.QueryServiceConfig2(h, ws.SERVICE_CONFIG_DELAYED_AUTO_START_INFO), True)
        ws.ChangeServiceConfig2(h, ws.SERVICE_CONFIG_FAILURE_ACTIONS_FLAG, 1)
        self.assertIs(ws.QueryServiceConfig2(h, ws.SERVICE_CONFIG_FAILURE_ACTIONS_FLAG), True)
        ws.ChangeServiceConfig2(h, ws.SERVICE_CONFIG_SERVICE_SID_INFO, ws.SERVICE_SID_TYPE_UNRESTRICTED)
        self.assertEqual(ws.QueryServiceConfig2(h, ws.SERVICE_CONFIG_SERVICE_SID_INFO), ws.SERVICE_SID_TYPE_UNRESTRICTED)
        ws.ChangeServiceConfig2(h, ws.SERVICE_CONFIG_REQUIRED_PRIVILEGES_INFO, ["SeChangeNotifyPrivilege"])
        self.assertEqual(ws.QueryServiceConfig2(h, ws.SERVICE_CONFIG_REQUIRED_PRIVILEGES_INFO), ["SeChangeNotifyPrivilege"])
        ws.ChangeServiceConfig2(h, ws.SERVICE_CONFIG_PRESHUTDOWN_INFO, 30000)
        self.assertEqual(ws.QueryServiceConfig2(h, ws.SERVICE_CONFIG_PRESHUTDOWN_INFO), 30000)
        with self.assertRaises(ValueError):
            ws.ChangeServiceConfig2(h, 99, None)
        with self.assertRaises(TypeError):
            ws.ChangeServiceConfig2(h, ws.SERVICE_CONFIG_FAILURE_ACTIONS, {"ResetPeriod": 1})
        with self.assertRaises(TypeError):
            ws.ChangeServiceConfig2(h, ws.SERVICE_CONFIG_FAILURE_ACTIONS,
                                    dict(fa, Actions=([1, 1000],)))

    def test_lock(self):
        scm = ws.OpenSCManager(None, None, ws.SC_MANAGER_ALL_ACCESS)
        self.assertEqual(ws.QueryServiceLockStatus(scm)[0], 0)
        lock = ws.LockServiceDatabase(scm)
        self.assertNotEqual(lock, 0)
        locked, owner, duration = ws.QueryServiceLockStatus(scm)
        self.assertEqual(locked, 1)
        self.assertIsInstance(owner, str)
        self.assertGreaterEqual(duration, 0)
        self.assertEqual(ws.LockServiceDatabase(scm), 0)  # pywin32 raises nothing here
        ws.UnlockServiceDatabase(lock)
        self.assertEqual(ws.QueryServiceLockStatus(scm)[0], 0)

    def test_object_security(self):
        scm, h = _dummy("PyApi1")
        sd = ws.QueryServiceObjectSecurity(h, win32security.DACL_SECURITY_INFORMATION)
        text = win32security.ConvertSecurityDescriptorToStringSecurityDescriptor(
            sd, win32security.SDDL_REVISION_1, win32security.DACL_SECURITY_INFORMATION)
        self.assertTrue(text.startswith("D:(A;;CCLCSWRPWPDTLOCRRC;;;SY)"), text)
        new = win32security.ConvertStringSecurityDescriptorToSecurityDescriptor(
            "D:(A;;GA;;;SY)(A;;GR;;;IU)", win32security.SDDL_REVISION_1)
        ws.SetServiceObjectSecurity(h, win32security.DACL_SECURITY_INFORMATION, new)
        back = ws.QueryServiceObjectSecurity(h, win32security.DACL_SECURITY_INFORMATION)
        self.assertEqual(win32security.ConvertSecurityDescriptorToStringSecurityDescriptor(
            back, win32security.SDDL_REVISION_1, win32security.DACL_SECURITY_INFORMATION), "D:(A;;GA;;;SY)(A;;GR;;;IU)")
        bad = win32security.ConvertStringSecurityDescriptorToSecurityDescriptor("D:(A;;ZZ;;;SY)", 1)
        with self.assertRaises(ws.error) as cm:
            ws.SetServiceObjectSecurity(h, win32security.DACL_SECURITY_INFORMATION, bad)
        self.assertEqual((cm.exception.winerror, cm.exception.funcname), (1338, "SetServiceObjectSecurity"))

    def test_handles_close_themselves(self):
        scm = ws.OpenSCManager(None, None, ws.SC_MANAGER_CONNECT)
        with ws.OpenSCManager(None, None, ws.SC_MANAGER_CONNECT) as other:
            value = int(other)
        self.assertFalse(other)
        with self.assertRaises(ws.error) as cm:
            ws.EnumServicesStatus(value)
        self.assertEqual(cm.exception.winerror, winerror.ERROR_INVALID_HANDLE)
        ws.CloseServiceHandle(scm)
        ws.CloseServiceHandle(scm)  # a closed handle closes again quietly, as pywin32's does

    def test_collected_handles_close(self):
        scm, h = _dummy("PyApi2")
        ws.DeleteService(h)
        del h
        gc.collect()
        # The collector queues the close; the next call makes it, and the
        # service marked for deletion goes with its last handle.
        self.assertNotIn("PyApi2", [e[0] for e in ws.EnumServicesStatus(scm)])

    def test_window_stations(self):
        # This process is no service and in no login session: session 0's
        # WinSta0, not interactive.
        st = ws.GetProcessWindowStation()
        self.assertIsInstance(st, ws.HWINSTAType)
        self.assertEqual(ws.GetUserObjectInformation(st, ws.UOI_NAME), "WinSta0")
        self.assertEqual(ws.GetUserObjectInformation(st, ws.UOI_TYPE), "WindowStation")
        self.assertEqual(ws.GetUserObjectInformation(st, ws.UOI_FLAGS), {"Inherit": False, "Reserved": False, "Flags": 0})
        self.assertIsNone(ws.GetUserObjectInformation(st, ws.UOI_USER_SID))
        self.assertEqual(st.EnumDesktops(), ["Default", "Winlogon"])  # root sees Winlogon too
        self.assertIn("WinSta0", ws.EnumWindowStations())
        self.assertEqual(ws.GetUserObjectInformation(ws.OpenWindowStation("winsta0", False, 0), ws.UOI_NAME), "WinSta0")
        for fn, args, code in ((ws.OpenWindowStation, ("NoSuchStation", False, 0), winerror.ERROR_FILE_NOT_FOUND),
                               (ws.OpenDesktop, ("NoSuchDesktop", 0, False, 0), winerror.ERROR_FILE_NOT_FOUND),
                               (ws.OpenInputDesktop, (0, False, 0), winerror.ERROR_INVALID_FUNCTION)):
            with self.assertRaises(ws.error) as cm:
                fn(*args)
            self.assertEqual((cm.exception.winerror, cm.exception.funcname), (code, fn.__name__))
        desk = ws.GetThreadDesktop(0)
        self.assertEqual(ws.GetUserObjectInformation(desk, ws.UOI_TYPE), "Desktop")
        self.assertEqual(ws.GetUserObjectInformation(ws.OpenDesktop("Default", 0, False, 0), ws.UOI_NAME), "Default")
        mine = ws.CreateDesktop("Mine", 0, 0, None)
        self.assertIn("Mine", ws.GetProcessWindowStation().EnumDesktops())
        ws.SetUserObjectInformation(mine, {"Inherit": True, "Reserved": False, "Flags": 1})
        self.assertEqual(ws.GetUserObjectInformation(mine, ws.UOI_FLAGS)["Inherit"], True)
        with self.assertRaises(TypeError):
            ws.SetUserObjectInformation(mine, {}, ws.UOI_NAME)
        with self.assertRaises(ws.error) as cm:
            mine.SwitchDesktop()
        self.assertEqual(cm.exception.winerror, winerror.ERROR_ACCESS_DENIED)

    def test_constants(self):
        expect = dict(
            SERVICE_KERNEL_DRIVER=1, SERVICE_FILE_SYSTEM_DRIVER=2, SERVICE_DRIVER=11, SERVICE_WIN32_OWN_PROCESS=16,
            SERVICE_WIN32_SHARE_PROCESS=32, SERVICE_WIN32=48, SERVICE_INTERACTIVE_PROCESS=256,
            SERVICE_BOOT_START=0, SERVICE_SYSTEM_START=1, SERVICE_AUTO_START=2, SERVICE_DEMAND_START=3,
            SERVICE_DISABLED=4, SERVICE_ERROR_IGNORE=0, SERVICE_ERROR_NORMAL=1, SERVICE_ERROR_SEVERE=2,
            SERVICE_ERROR_CRITICAL=3, SERVICE_NO_CHANGE=-1, SERVICE_STOPPED=1, SERVICE_START_PENDING=2,
            SERVICE_STOP_PENDING=3, SERVICE_RUNNING=4, SERVICE_CONTINUE_PENDING=5, SERVICE_PAUSE_PENDING=6,
            SERVICE_PAUSED=7, SERVICE_ACTIVE=1, SERVICE_INACTIVE=2, SERVICE_STATE_ALL=3,
            SERVICE_CONTROL_STOP=1, SERVICE_CONTROL_PAUSE=2, SERVICE_CONTROL_CONTINUE=3,
            SERVICE_CONTROL_INTERROGATE=4, SERVICE_CONTROL_SHUTDOWN=5, SERVICE_CONTROL_PARAMCHANGE=6,
            SERVICE_CONTROL_NETBINDADD=7, SERVICE_CONTROL_NETBINDREMOVE=8, SERVICE_CONTROL_NETBINDENABLE=9,
            SERVICE_CONTROL_NETBINDDISABLE=10, SERVICE_CONTROL_DEVICEEVENT=11,
            SERVICE_CONTROL_HARDWAREPROFILECHANGE=12, SERVICE_CONTROL_POWEREVENT=13,
            SERVICE_CONTROL_SESSIONCHANGE=14, SERVICE_CONTROL_PRESHUTDOWN=15, SERVICE_ACCEPT_STOP=1,
            SERVICE_ACCEPT_PAUSE_CONTINUE=2, SERVICE_ACCEPT_SHUTDOWN=4, SERVICE_ACCEPT_PARAMCHANGE=8,
            SERVICE_ACCEPT_NETBINDCHANGE=16, SERVICE_ACCEPT_HARDWAREPROFILECHANGE=32,
            SERVICE_ACCEPT_POWEREVENT=64, SERVICE_ACCEPT_SESSIONCHANGE=128, SERVICE_ACCEPT_PRESHUTDOWN=256,
            SC_MANAGER_CONNECT=1, SC_MANAGER_CREATE_SERVICE=2, SC_MANAGER_ENUMERATE_SERVICE=4, SC_MANAGER_LOCK=8,
            SC_MANAGER_QUERY_LOCK_STATUS=16, SC_MANAGER_MODIFY_BOOT_CONFIG=32, SC_MANAGER_ALL_ACCESS=0xF003F,
            SERVICE_QUERY_CONFIG=1, SERVICE_CHANGE_CONFIG=2, SERVICE_QUERY_STATUS=4,
            SERVICE_ENUMERATE_DEPENDENTS=8, SERVICE_START=16, SERVICE_STOP=32, SERVICE_PAUSE_CONTINUE=64,
            SERVICE_INTERROGATE=128, SERVICE_USER_DEFINED_CONTROL=256, SERVICE_ALL_ACCESS=0xF01FF,
            SERVICE_CONFIG_DESCRIPTION=1, SERVICE_CONFIG_FAILURE_ACTIONS=2,
            SERVICE_CONFIG_DELAYED_AUTO_START_INFO=3, SERVICE_CONFIG_FAILURE_ACTIONS_FLAG=4,
            SERVICE_CONFIG_SERVICE_SID_INFO=5, SERVICE_CONFIG_REQUIRED_PRIVILEGES_INFO=6,
            SERVICE_CONFIG_PRESHUTDOWN_INFO=7, SERVICE_SID_TYPE_NONE=0, SERVICE_SID_TYPE_UNRESTRICTED=1,
            SERVICE_SID_TYPE_RESTRICTED=3, SC_ACTION_NONE=0, SC_ACTION_RESTART=1, SC_ACTION_REBOOT=2,
            SC_ACTION_RUN_COMMAND=3, SC_ENUM_PROCESS_INFO=0, SC_GROUP_IDENTIFIER=43, SERVICE_SPECIFIC_ERROR=1066,
            UOI_FLAGS=1, UOI_NAME=2, UOI_TYPE=3, UOI_USER_SID=4, WSF_VISIBLE=1, DF_ALLOWOTHERACCOUNTHOOK=1,
            DBT_QUERYCHANGECONFIG=0x17, DBT_CONFIGCHANGED=0x18, DBT_CONFIGCHANGECANCELED=0x19,
            DBT_DEVICEARRIVAL=0x8000, DBT_DEVICEQUERYREMOVE=0x8001, DBT_DEVICEQUERYREMOVEFAILED=0x8002,
            DBT_DEVICEREMOVEPENDING=0x8003, DBT_DEVICEREMOVECOMPLETE=0x8004, DBT_DEVICETYPESPECIFIC=0x8005,
            DBT_CUSTOMEVENT=0x8006)
        for name, value in expect.items():
            self.assertEqual(getattr(ws, name), value, name)
        for fn in ("OpenSCManager", "OpenService", "CreateService", "DeleteService", "CloseServiceHandle",
                   "StartService", "ControlService", "QueryServiceStatus", "QueryServiceStatusEx",
                   "QueryServiceConfig", "QueryServiceConfig2", "ChangeServiceConfig", "ChangeServiceConfig2",
                   "EnumServicesStatus", "EnumServicesStatusEx", "EnumDependentServices", "GetServiceKeyName",
                   "GetServiceDisplayName", "LockServiceDatabase", "UnlockServiceDatabase",
                   "QueryServiceLockStatus", "QueryServiceObjectSecurity", "SetServiceObjectSecurity",
                   "SetServiceStatus", "GetThreadDesktop", "EnumWindowStations", "GetUserObjectInformation",
                   "SetUserObjectInformation", "OpenWindowStation", "OpenDesktop", "CreateDesktop",
                   "OpenInputDesktop", "GetProcessWindowStation", "CreateWindowStation"):
            self.assertTrue(callable(getattr(ws, fn)), fn)


if __name__ == "__main__":
    unittest.main()
