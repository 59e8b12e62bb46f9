#!/usr/bin/env python3
"""The frozen form: the script is its own host, and dispatches when run
with no arguments, as a PyInstaller service does."""

import os
import sys

import servicemanager
import win32event
import win32service
import win32serviceutil


class FrozenSvc(win32serviceutil.ServiceFramework):
    _svc_name_ = "PyFrozen"
    _svc_display_name_ = "Python Frozen Service"
    _exe_name_ = os.path.abspath(__file__)

    def __init__(self, args):
        win32serviceutil.ServiceFramework.__init__(self, args)
        self.stop = win32event.CreateEvent(None, 0, 0, None)

    def SvcStop(self):
        self.ReportServiceStatus(win32service.SERVICE_STOP_PENDING)
        win32event.SetEvent(self.stop)

    def SvcDoRun(self):
        servicemanager.LogInfoMsg("frozen service running with %r" % (sys.argv[1:],))
        win32event.WaitForSingleObject(self.stop, win32event.INFINITE)


if __name__ == "__main__":
    if len(sys.argv) == 1:
        servicemanager.Initialize()
        servicemanager.PrepareToHostSingle(FrozenSvc)
        servicemanager.StartServiceCtrlDispatcher()
    else:
        win32serviceutil.HandleCommandLine(FrozenSvc)
