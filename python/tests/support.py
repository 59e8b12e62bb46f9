"""What the tests share: the scmd under test, its tools, and clean-up.

The tests run against a real scmd: SCM_SOCKET names its socket and
SCM_TEST_BIN the directory of its tools (sc, wevtutil). internal/e2e's
TestPython starts one and runs them.
"""

import gc
import os
import subprocess
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
SERVICES = os.path.join(HERE, "services")
sys.path.insert(0, os.path.dirname(HERE))

import win32service  # noqa: E402


def tool(name):
    return os.path.join(os.environ.get("SCM_TEST_BIN", ""), name)


def run(*args, check=True):
    """Run a command; its standard output and error together, as text."""
    p = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=120)
    if check and p.returncode != 0:
        raise AssertionError("%s exited %d:\n%s" % (args, p.returncode, p.stdout))
    return p.stdout


def script(name, *args, check=True):
    env = dict(os.environ, PYTHONPATH=os.path.dirname(HERE))
    p = subprocess.run([sys.executable, os.path.join(SERVICES, name)] + list(args), stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True, timeout=120, env=env)
    if check and p.returncode != 0:
        raise AssertionError("%s %s exited %d:\n%s" % (name, args, p.returncode, p.stdout))
    return p.stdout


def give_path(name):
    """Let a service's own Python find the modules, through the service's
    Environment value, as an installed package would be found: the tests
    install nothing on the machine."""
    import win32api
    import win32con

    key = win32api.RegOpenKey(win32con.HKEY_LOCAL_MACHINE, "SYSTEM\\CurrentControlSet\\Services\\" + name)
    win32api.RegSetValueEx(key, "Environment", 0, win32con.REG_MULTI_SZ, ["PYTHONPATH=" + os.path.dirname(HERE)])


def wait_state(name, state, timeout=30):
    """Wait until the service is in state; its status then."""
    deadline = time.monotonic() + timeout
    scm = win32service.OpenSCManager(None, None, win32service.SC_MANAGER_CONNECT)
    with win32service.OpenService(scm, name, win32service.SERVICE_QUERY_STATUS) as h:
        while True:
            st = win32service.QueryServiceStatusEx(h)
            if st["CurrentState"] == state:
                return st
            if time.monotonic() > deadline:
                raise AssertionError("%s: state %d, waiting for %d" % (name, st["CurrentState"], state))
            time.sleep(0.05)


def remove(name):
    """Stop and delete a service if it is there. Handles a test left in
    reference cycles (an assertRaises context holds its frame) are collected
    first: the service goes only when its last handle closes."""
    gc.collect()
    try:
        scm = win32service.OpenSCManager(None, None, win32service.SC_MANAGER_ALL_ACCESS)
        h = win32service.OpenService(scm, name, win32service.SERVICE_ALL_ACCESS)
    except win32service.error:
        return
    try:
        win32service.ControlService(h, win32service.SERVICE_CONTROL_STOP)
        wait_state(name, win32service.SERVICE_STOPPED)
    except win32service.error:
        pass
    win32service.DeleteService(h)
    h.Close()


class SCMTestCase(unittest.TestCase):
    def setUp(self):
        if not os.environ.get("SCM_SOCKET"):
            self.skipTest("SCM_SOCKET names no scmd")
