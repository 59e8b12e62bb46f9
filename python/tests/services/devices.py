"""A service that hears of devices, as pywin32's serviceEvents demo does:
it accepts power and session events, registers for network interfaces
with RegisterDeviceNotification, and writes what SvcOtherEx unpacks to the
file its OutFile custom option names."""

import servicemanager
import win32con
import win32event
import win32gui
import win32gui_struct
import win32service
import win32serviceutil

GUID_DEVINTERFACE_NET = "{CAC88484-7515-4C03-82E6-71A87ABAC361}"


class DeviceSvc(win32serviceutil.ServiceFramework):
    _svc_name_ = "PyDevices"
    _svc_display_name_ = "Python Device Events"

    def __init__(self, args):
        win32serviceutil.ServiceFramework.__init__(self, args)
        self.stop = win32event.CreateEvent(None, 0, 0, None)
        self.out = win32serviceutil.GetServiceCustomOption(self, "OutFile", "/dev/null")

    def GetAcceptedControls(self):
        rc = win32serviceutil.ServiceFramework.GetAcceptedControls(self)
        return rc | win32service.SERVICE_ACCEPT_POWEREVENT | win32service.SERVICE_ACCEPT_SESSIONCHANGE

    def SvcStop(self):
        self.ReportServiceStatus(win32service.SERVICE_STOP_PENDING)
        win32event.SetEvent(self.stop)

    def SvcOtherEx(self, control, event_type, data):
        if control == win32service.SERVICE_CONTROL_DEVICEEVENT:
            info = win32gui_struct.UnpackDEV_BROADCAST(data)
            what = {win32con.DBT_DEVICEARRIVAL: "arrival", win32con.DBT_DEVICEREMOVECOMPLETE: "removal"}.get(
                event_type, "event %#x" % event_type)
            line = "%s %s %s\n" % (what, info.classguid, info.name)
        else:
            line = "control %d %d %r\n" % (control, event_type, data)
        with open(self.out, "a") as f:
            f.write(line)

    def SvcDoRun(self):
        filter = win32gui_struct.PackDEV_BROADCAST_DEVICEINTERFACE(GUID_DEVINTERFACE_NET)
        self.hdn = win32gui.RegisterDeviceNotification(self.ssh, filter, win32con.DEVICE_NOTIFY_SERVICE_HANDLE)
        with open(self.out, "a") as f:
            f.write("registered\n")
        win32event.WaitForSingleObject(self.stop, win32event.INFINITE)


if __name__ == "__main__":
    win32serviceutil.HandleCommandLine(DeviceSvc)
