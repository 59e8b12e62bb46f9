#!/usr/bin/env python3
"""Two services in one process (SERVICE_WIN32_SHARE_PROCESS), hosted with
PrepareToHostMultiple. Each writes its pid to a file named after it in
the directory its OutDir custom option names, and the user-defined
controls it gets to another."""

import os
import threading

import servicemanager
import win32event
import win32service
import win32serviceutil


class Base(win32serviceutil.ServiceFramework):
    def __init__(self, args):
        win32serviceutil.ServiceFramework.__init__(self, args)
        self.stop = win32event.CreateEvent(None, 0, 0, None)

    def SvcStop(self):
        # An SCM call from the handler, while another thread of the
        # process may be in one (control 201 below).
        servicemanager.LogInfoMsg("%s stopping" % self._svc_name_)
        self.ReportServiceStatus(win32service.SERVICE_STOP_PENDING)
        win32event.SetEvent(self.stop)

    def SvcPause(self):
        self.ReportServiceStatus(win32service.SERVICE_PAUSED)

    def SvcContinue(self):
        self.ReportServiceStatus(win32service.SERVICE_RUNNING)

    def SvcOther(self, control):
        with open(os.path.join(self.out, self._svc_name_ + ".control"), "a") as f:
            f.write("%d\n" % control)
        if control == 201:  # stop yourself, from a thread of your own
            threading.Thread(target=win32serviceutil.StopService, args=(self._svc_name_,)).start()

    def SvcDoRun(self):
        self.out = win32serviceutil.GetServiceCustomOption(self, "OutDir", "/tmp")
        path = os.path.join(self.out, self._svc_name_)
        station = win32service.GetProcessWindowStation()
        with open(path + ".tmp", "w") as f:
            f.write("%d\n" % os.getpid())
            f.write("%s %d\n" % (win32service.GetUserObjectInformation(station, win32service.UOI_NAME),
                                  win32service.GetUserObjectInformation(station, win32service.UOI_FLAGS)["Flags"]))
        os.rename(path + ".tmp", path)  # whole, for whoever waits on it
        win32event.WaitForSingleObject(self.stop, win32event.INFINITE)


class ShareA(Base):
    _svc_name_ = "PyShareA"
    _svc_display_name_ = "Python Shared A"

    def SvcStop(self):
        # Says STOPPED itself: what the framework reports after it (the
        # STOP_PENDING at the end of SvcRun) must not cost the host.
        win32event.SetEvent(self.stop)
        self.ReportServiceStatus(win32service.SERVICE_STOPPED)


class ShareB(Base):
    _svc_name_ = "PyShareB"
    _svc_display_name_ = "Python Shared B"


if __name__ == "__main__":
    servicemanager.PrepareToHostMultiple(ShareA._svc_name_, ShareA)
    servicemanager.PrepareToHostMultiple(ShareB._svc_name_, ShareB)
    servicemanager.StartServiceCtrlDispatcher()
