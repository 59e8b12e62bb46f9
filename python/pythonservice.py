#!/usr/bin/env python3
"""The host program of Python services, as pythonservice.exe is on Windows.

scmd runs it as a service's binary; it finds the service's class by the
registry's PythonClass value and serves it. Run by hand:
pythonservice.py -debug <service> [args] runs a service in this console.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import pywintypes  # noqa: E402
import servicemanager  # noqa: E402


def main(argv):
    os.chdir(os.path.dirname(os.path.abspath(__file__)))  # as pythonservice.exe does
    if len(argv) > 1 and argv[1].lower() in ("-debug", "/debug"):
        if len(argv) < 3:
            sys.stdout.write("-debug requires a service name")
            return 1
        name = argv[2]
        print("Debugging service %s - press Ctrl+C to stop." % name)
        servicemanager.Debugging(True)
        servicemanager.PrepareToHostSingle(None)
        servicemanager._debug(name, argv[3:])
        return 0
    servicemanager.PrepareToHostSingle(None)
    try:
        servicemanager.StartServiceCtrlDispatcher()
    except pywintypes.error as e:
        if e.winerror == 1063:
            print("%s - Python Service Manager" % argv[0])
            print("Options:")
            print(" -debug servicename [parms] - debug the Python service.")
            print()
            print("NOTE: You do not start the service using this program - start the")
            print("service using Control Panel, or 'net start service_name'")
        else:
            print("Could not start the service - error %d" % e.winerror)
        return 2
    return 0


if __name__ == "__main__":
    code = main(sys.argv)
    # The host is done when its services are: threads they left running do
    # not keep it, as they do not keep pythonservice.exe.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
