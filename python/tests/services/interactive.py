"""An interactive service (installed with --interactive): it writes its
window station, whether it is visible, and its DISPLAY to the file its
OutFile custom option names, then waits to be stopped."""

import os

import win32event
import win32service
import win32serviceutil


class InteractiveSvc(win32serviceutil.ServiceFramework):
    _svc_name_ = "PyInteractive"
    _svc_display_name_ = "Python Interactive Service"

    def __init__(self, args):
        win32serviceutil.ServiceFramework.__init__(self, args)
        self.stop = win32event.CreateEvent(None, 0, 0, None)

    def SvcStop(self):
        self.ReportServiceStatus(win32service.SERVICE_STOP_PENDING)
        win32event.SetEvent(self.stop)

    def SvcDoRun(self):
        out = win32serviceutil.GetServiceCustomOption(self, "OutFile", "/dev/null")
        st = win32service.GetProcessWindowStation()
        with open(out + ".tmp", "w") as f:
            f.write("%s %d %s\n" % (win32service.GetUserObjectInformation(st, win32service.UOI_NAME),
                                    win32service.GetUserObjectInformation(st, win32service.UOI_FLAGS)["Flags"],
                                    os.environ.get("DISPLAY", "-")))
        os.rename(out + ".tmp", out)
        win32event.WaitForSingleObject(self.stop, win32event.INFINITE)


if __name__ == "__main__":
    win32serviceutil.HandleCommandLine(InteractiveSvc)
