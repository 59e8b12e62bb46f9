"""The modules service scripts import besides win32service: pywintypes,
win32event, win32api, winreg, win32security, servicemanager."""

import io
import contextlib
import threading
import time
import unittest

import support
import pywintypes
import servicemanager
import win32api
import win32con
import win32event
import win32security
import winerror
import winreg


class PywintypesTest(unittest.TestCase):
    def test_error(self):
        e = pywintypes.error(5, "OpenService", "Access is denied.")
        self.assertEqual((e.winerror, e.funcname, e.strerror), (5, "OpenService", "Access is denied."))
        self.assertEqual(repr(e), "error(5, 'OpenService', 'Access is denied.')")
        self.assertIsNone(pywintypes.error().winerror)
        with self.assertRaises(TypeError):
            pywintypes.error(1, x=2)
        for m in (win32api, win32event):
            self.assertIs(m.error, pywintypes.error)

    def test_format_message(self):
        self.assertEqual(win32api.FormatMessage(winerror.ERROR_SERVICE_REQUEST_TIMEOUT),
                         "The service did not respond to the start or control request in a timely fashion.\r\n")


class EventTest(unittest.TestCase):
    def test_auto_and_manual_reset(self):
        auto = win32event.CreateEvent(None, 0, 0, None)
        self.assertEqual(win32event.WaitForSingleObject(auto, 0), win32event.WAIT_TIMEOUT)
        win32event.SetEvent(auto)
        self.assertEqual(win32event.WaitForSingleObject(auto, 0), win32event.WAIT_OBJECT_0)
        self.assertEqual(win32event.WaitForSingleObject(auto, 0), win32event.WAIT_TIMEOUT)
        manual = win32event.CreateEvent(None, 1, 1, None)
        self.assertEqual(win32event.WaitForSingleObject(manual, 0), win32event.WAIT_OBJECT_0)
        self.assertEqual(win32event.WaitForSingleObject(manual, 0), win32event.WAIT_OBJECT_0)
        win32event.ResetEvent(manual)
        self.assertEqual(win32event.WaitForSingleObject(manual, 10), win32event.WAIT_TIMEOUT)

    def test_wait_across_threads(self):
        a = win32event.CreateEvent(None, 0, 0, None)
        b = win32event.CreateEvent(None, 0, 0, None)
        threading.Thread(target=win32event.SetEvent, args=(b,)).start()
        self.assertEqual(win32event.WaitForMultipleObjects([a, b], 0, win32event.INFINITE), win32event.WAIT_OBJECT_0 + 1)
        named = win32event.CreateEvent(None, 1, 0, "py-test-event")
        other = win32event.OpenEvent(win32event.EVENT_ALL_ACCESS, 0, "py-test-event")
        win32event.SetEvent(other)
        self.assertEqual(win32event.WaitForSingleObject(named, 0), win32event.WAIT_OBJECT_0)
        a.Close()
        with self.assertRaises(pywintypes.error) as cm:
            win32event.SetEvent(a)
        self.assertEqual(cm.exception.winerror, winerror.ERROR_INVALID_HANDLE)
        # A name lives as long as any handle to it.
        named.Close()
        win32event.OpenEvent(win32event.EVENT_ALL_ACCESS, 0, "py-test-event").Close()
        other.Close()
        with self.assertRaises(pywintypes.error) as cm:
            win32event.OpenEvent(win32event.EVENT_ALL_ACCESS, 0, "py-test-event")
        self.assertEqual(cm.exception.winerror, winerror.ERROR_FILE_NOT_FOUND)

    def test_mutex_and_semaphore(self):
        m = win32event.CreateMutex(None, True, "py-test-mutex")
        self.assertEqual(win32api.GetLastError(), 0)
        again = win32event.CreateMutex(None, False, "py-test-mutex")
        self.assertEqual(win32api.GetLastError(), winerror.ERROR_ALREADY_EXISTS)
        got = []
        t = threading.Thread(target=lambda: got.append(win32event.WaitForSingleObject(again, 0)))
        t.start()
        t.join()
        self.assertEqual(got, [win32event.WAIT_TIMEOUT])  # another thread owns it
        self.assertEqual(win32event.WaitForSingleObject(m, 0), win32event.WAIT_OBJECT_0)  # recursive for its owner
        win32event.ReleaseMutex(m)
        win32event.ReleaseMutex(m)
        with self.assertRaises(pywintypes.error) as cm:
            win32event.ReleaseMutex(m)
        self.assertEqual(cm.exception.winerror, 288)
        sem = win32event.CreateSemaphore(None, 1, 2, None)
        self.assertEqual(win32event.WaitForSingleObject(sem, 0), win32event.WAIT_OBJECT_0)
        self.assertEqual(win32event.WaitForSingleObject(sem, 0), win32event.WAIT_TIMEOUT)
        self.assertEqual(win32event.ReleaseSemaphore(sem, 2), 0)
        with self.assertRaises(pywintypes.error) as cm:
            win32event.ReleaseSemaphore(sem, 1)
        self.assertEqual(cm.exception.winerror, 298)

    def test_pulse(self):
        ev = win32event.CreateEvent(None, 1, 0, None)
        got = []
        waiting = threading.Event()

        def wait():
            waiting.set()
            got.append(win32event.WaitForSingleObject(ev, 30000))

        t = threading.Thread(target=wait)
        t.start()
        waiting.wait()
        while t.is_alive():  # until the waiter is released
            win32event.PulseEvent(ev)
            t.join(0.01)
        self.assertEqual(got, [win32event.WAIT_OBJECT_0])
        self.assertEqual(win32event.WaitForSingleObject(ev, 0), win32event.WAIT_TIMEOUT)  # left unsignalled
        self.assertEqual(win32event.INFINITE, -1)


class RegistryTest(support.SCMTestCase):
    KEY = "SOFTWARE\\PyScmTest"

    def tearDown(self):
        try:
            win32api.RegDeleteTree(win32con.HKEY_LOCAL_MACHINE, self.KEY)
        except pywintypes.error:
            pass

    def test_win32api_registry(self):
        k = win32api.RegCreateKey(win32con.HKEY_LOCAL_MACHINE, self.KEY)
        win32api.RegSetValueEx(k, "Name", 0, win32con.REG_SZ, "value")
        win32api.RegSetValueEx(k, "Count", 0, win32con.REG_DWORD, 7)
        win32api.RegSetValueEx(k, "Big", 0, win32con.REG_DWORD, 0xFFFFFFFF)
        win32api.RegSetValueEx(k, "List", 0, win32con.REG_MULTI_SZ, ["a", "b"])
        win32api.RegSetValueEx(k, "Blob", 0, win32con.REG_BINARY, b"\x01\x02")
        win32api.RegSetValue(k, "Sub", win32con.REG_SZ, "default")
        self.assertEqual(win32api.RegQueryValueEx(k, "Name"), ("value", win32con.REG_SZ))
        self.assertEqual(win32api.RegQueryValueEx(k, "count"), (7, win32con.REG_DWORD))
        self.assertEqual(win32api.RegQueryValueEx(k, "List"), (["a", "b"], win32con.REG_MULTI_SZ))
        self.assertEqual(win32api.RegQueryValueEx(k, "Blob"), (b"\x01\x02", win32con.REG_BINARY))
        self.assertEqual(win32api.RegQueryValue(k, "Sub"), "default")
        self.assertEqual(win32api.RegEnumKey(k, 0), "Sub")
        self.assertEqual(win32api.RegQueryValueEx(k, "Big"), (-1, win32con.REG_DWORD))  # a C long, as pywin32's
        self.assertEqual(win32api.RegQueryInfoKey(k)[:2], (1, 5))
        self.assertEqual(win32con.HKEY_LOCAL_MACHINE, -2147483646)
        self.assertEqual(win32api.RegQueryValueEx(win32api.RegOpenKey(-2147483646, self.KEY), "Count")[0], 7)
        with self.assertRaises(pywintypes.error) as cm:
            win32api.RegQueryValueEx(k, "Missing")
        self.assertEqual((cm.exception.winerror, cm.exception.funcname), (2, "RegQueryValueEx"))
        with self.assertRaises(pywintypes.error) as cm:
            win32api.RegEnumKey(k, 1)
        self.assertEqual(cm.exception.winerror, winerror.ERROR_NO_MORE_ITEMS)
        win32api.RegDeleteValue(k, "Name")
        with self.assertRaises(pywintypes.error):
            win32api.RegOpenKey(win32con.HKEY_LOCAL_MACHINE, self.KEY + "\\Nope")

    def test_winreg(self):
        with winreg.CreateKey(winreg.HKEY_LOCAL_MACHINE, self.KEY) as k:
            winreg.SetValueEx(k, "Q", 0, winreg.REG_QWORD, 1 << 40)
            self.assertEqual(winreg.QueryValueEx(k, "Q"), (1 << 40, winreg.REG_QWORD))
            self.assertEqual(winreg.EnumValue(k, 0), ("Q", 1 << 40, winreg.REG_QWORD))
            winreg.SetValueEx(k, "D", 0, winreg.REG_DWORD, 0xFFFFFFFF)
            self.assertEqual(winreg.QueryValueEx(k, "D"), (0xFFFFFFFF, winreg.REG_DWORD))  # unsigned, as the stdlib's
        with self.assertRaises(OSError) as cm:
            winreg.OpenKey(winreg.HKEY_LOCAL_MACHINE, self.KEY + "\\Nope")
        self.assertEqual(cm.exception.winerror, 2)
        # HKEY_CURRENT_USER is the caller's own hive.
        with winreg.CreateKey(winreg.HKEY_CURRENT_USER, "Software\\PyScmTest") as k:
            winreg.SetValueEx(k, "mine", 0, winreg.REG_SZ, "yes")
            self.assertEqual(winreg.QueryValueEx(k, "mine")[0], "yes")
        winreg.DeleteKey(winreg.HKEY_CURRENT_USER, "Software\\PyScmTest")


class DevBroadcastTest(unittest.TestCase):
    def test_round_trips(self):
        import ctypes
        import win32gui_struct

        guid = "{CAC88484-7515-4C03-82E6-71A87ABAC361}"
        for packed, want in ((win32gui_struct.PackDEV_BROADCAST_DEVICEINTERFACE(guid, "tap0"),
                              {"devicetype": 5, "classguid": pywintypes.IID(guid), "name": "tap0"}),
                             (win32gui_struct.PackDEV_BROADCAST_HANDLE(0x1234, 0x5678, pywintypes.IID(guid), 8),
                              {"devicetype": 6, "handle": 0x1234, "hdevnotify": 0x5678,
                               "eventguid": pywintypes.IID(guid), "nameoffset": 8}),
                             (win32gui_struct.PackDEV_BROADCAST_VOLUME(4, 1), {"devicetype": 2, "unitmask": 4, "flags": 1})):
            buf = ctypes.create_string_buffer(packed, len(packed))
            info = win32gui_struct.UnpackDEV_BROADCAST(ctypes.addressof(buf))
            self.assertEqual(info.__dict__, want)
        self.assertEqual(len(win32gui_struct.PackDEV_BROADCAST_DEVICEINTERFACE(guid)), 32)
        self.assertEqual(str(pywintypes.IID(guid.lower())), guid)


class SecurityTest(unittest.TestCase):
    def test_sddl_round_trip(self):
        sd = win32security.ConvertStringSecurityDescriptorToSecurityDescriptor("O:SYG:SYD:(A;;GA;;;SY)", 1)
        text = win32security.ConvertSecurityDescriptorToStringSecurityDescriptor(
            sd, win32security.SDDL_REVISION_1,
            win32security.OWNER_SECURITY_INFORMATION | win32security.DACL_SECURITY_INFORMATION)
        self.assertEqual(text, "O:SYD:(A;;GA;;;SY)")
        with self.assertRaises(pywintypes.error) as cm:
            win32security.ConvertStringSecurityDescriptorToSecurityDescriptor("garbage", 1)
        self.assertEqual(cm.exception.winerror, winerror.ERROR_INVALID_PARAMETER)


class ServicemanagerTest(unittest.TestCase):
    def tearDown(self):
        servicemanager.Debugging(False)
        servicemanager._mode = None
        servicemanager._table[:] = []

    def test_debug_logging(self):
        self.assertFalse(servicemanager.Debugging(True))
        self.assertTrue(servicemanager.Debugging())
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            servicemanager.LogMsg(servicemanager.EVENTLOG_INFORMATION_TYPE, servicemanager.PYS_SERVICE_STOPPED,
                                  ("Svc", " after 3 requests"))
            servicemanager.LogInfoMsg("hello")
            servicemanager.LogErrorMsg("bad")
            servicemanager.LogWarningMsg("careful")
        self.assertEqual(out.getvalue(), "Info 0x40001004 - The Svc service has stopped after 3 requests.\r\n"
                                         "Info 0x400000FF - hello\r\nError 0xC00000FF - bad\r\n"
                                         "Warning 0x400000FF - careful\r\n")
        with self.assertRaises(TypeError):
            servicemanager.LogMsg(4, 1, "not a sequence")

    def test_hosting_rules(self):
        self.assertEqual((servicemanager.PYS_SERVICE_STARTING, servicemanager.PYS_SERVICE_STARTED,
                          servicemanager.PYS_SERVICE_STOPPING, servicemanager.PYS_SERVICE_STOPPED),
                         (0x40001000, 0x40001002, 0x40001003, 0x40001004))
        self.assertFalse(servicemanager.RunningAsService())
        servicemanager.PrepareToHostMultiple("a", object)
        with self.assertRaises(servicemanager.startup_error):
            servicemanager.PrepareToHostSingle(None)
        with self.assertRaises(servicemanager.startup_error):
            servicemanager.PrepareToHostMultiple("A", object)
        with self.assertRaises(ValueError):
            servicemanager.RegisterServiceCtrlHandler("b", lambda c: None)
        with self.assertRaises(TypeError):
            servicemanager.RegisterServiceCtrlHandler("a", None)
        self.assertEqual(servicemanager.RegisterServiceCtrlHandler("a", lambda c: None), 1)
        with self.assertRaises(pywintypes.error) as cm:
            servicemanager.StartServiceCtrlDispatcher()
        self.assertEqual((cm.exception.winerror, cm.exception.funcname), (1063, "StartServiceCtrlDispatcher"))


if __name__ == "__main__":
    unittest.main()
