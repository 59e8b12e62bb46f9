"""Python services end to end: pywin32 service scripts, unmodified, under a
real scmd, driven as their users drive them."""

import os
import signal
import subprocess
import sys
import tempfile
import time
import unittest

import support
import win32service as ws
import win32serviceutil


def debug_until(test, script, line_marker):
    """Run script's debug verb until it prints line_marker, then press
    Ctrl+C, as a user at the console does; all it printed."""
    env = dict(os.environ, PYTHONPATH=os.path.dirname(support.HERE), PYTHONUNBUFFERED="1")
    p = subprocess.Popen([sys.executable, os.path.join(support.SERVICES, script), "debug"],
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
                         start_new_session=True)
    lines = []
    for line in p.stdout:
        lines.append(line)
        if line_marker in line:
            os.killpg(p.pid, signal.SIGINT)  # Ctrl+C, to the console's process group
            break
    out = "".join(lines) + p.communicate(timeout=60)[0]
    test.assertEqual(p.returncode, 0, out)
    return out


def pid_of(name):
    return support.wait_state(name, ws.SERVICE_RUNNING)["ProcessId"]


class ClassicServiceTest(support.SCMTestCase):
    """The AppServerSvc template: CreateEvent, WaitForSingleObject, LogMsg."""

    def tearDown(self):
        support.remove("PyClassic")

    def test_install_start_stop_remove(self):
        self.assertEqual(support.script("classic.py", "install"), "Installing service PyClassic\nService installed\n")
        self.assertEqual(support.script("classic.py", "start"), "Starting service PyClassic\n")
        pid = pid_of("PyClassic")
        out = support.run(support.tool("sc"), "queryex", "PyClassic")
        self.assertIn("RUNNING", out)
        self.assertIn("PID                : %d" % pid, out)
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            cmdline = f.read().split(b"\0")
        self.assertTrue(cmdline[1].endswith(b"pythonservice.py"), cmdline)
        self.assertEqual(support.script("classic.py", "stop"), "Stopping service PyClassic\n")
        support.wait_state("PyClassic", ws.SERVICE_STOPPED)
        events = support.run(support.tool("wevtutil"), "qe", "Application", "/q:*[System[Provider[@Name='PyClassic']]]",
                             "/f:text", "/rd:true")
        self.assertIn("The PyClassic service has started.", events)
        out = support.script("classic.py", "stop", check=False)
        self.assertEqual(out, "Stopping service PyClassic\nError stopping service: The service has not been started. (1062)\n")
        self.assertEqual(support.script("classic.py", "remove"), "Removing service PyClassic\nService removed\n")
        out = support.script("classic.py", "remove", check=False)
        self.assertEqual(out, "Removing service PyClassic\nError removing service: The specified service does not "
                              "exist as an installed service. (1060)\n")

    def test_startup_options_and_update(self):
        support.script("classic.py", "--startup", "delayed", "install")
        out = support.run(support.tool("sc"), "qc", "PyClassic")
        self.assertIn("AUTO_START  (DELAYED)", out)
        self.assertIn("pythonservice.py", out)
        out = support.script("classic.py", "--startup", "disabled", "install")
        self.assertEqual(out, "Installing service PyClassic\nChanging service configuration\nService updated\n")
        self.assertIn("DISABLED", support.run(support.tool("sc"), "qc", "PyClassic"))
        out = support.script("classic.py", "start", check=False)
        self.assertEqual(out, "Starting service PyClassic\nError starting service: The service cannot be started, "
                              "either because it is disabled or because it has no enabled devices associated with it.\n")
        out = support.script("classic.py", "--startup", "sometimes", "update")
        self.assertTrue(out.startswith("'sometimes' is not a valid startup option\n"), out)
        scm = ws.OpenSCManager(None, None, ws.SC_MANAGER_CONNECT)
        h = ws.OpenService(scm, "PyClassic", ws.SERVICE_QUERY_CONFIG)
        self.assertEqual(ws.QueryServiceConfig2(h, ws.SERVICE_CONFIG_DESCRIPTION), "A classic pywin32 service")

    def test_usage_and_unknown_verbs(self):
        out = support.script("classic.py", check=False)
        self.assertTrue(out.startswith("Usage: 'classic.py [options] install|update|remove|start [...]|stop|restart "
                                       "[...]|debug [...]'\n"), out)
        out = support.script("classic.py", "frobnicate", check=False)
        self.assertTrue(out.startswith("Unknown command - 'frobnicate'\nUsage:"), out)

    def test_debug(self):
        out = support.script("classic.py", "debug", check=False)
        self.assertEqual(out, "The service does not appear to be installed.\nPlease install the service before "
                              "debugging it.\n")
        support.script("classic.py", "install")
        out = debug_until(self, "classic.py", "has started")
        self.assertIn("Debugging service PyClassic - press Ctrl+C to stop.\n", out)
        self.assertIn("Info 0x40001002 - The PyClassic service has started.\n", out)
        self.assertIn("Stopping debug service.\n", out)


class FrozenServiceTest(support.SCMTestCase):
    """The PyInstaller form: the script is the service's binary."""

    def tearDown(self):
        support.remove("PyFrozen")

    def test_frozen(self):
        support.script("frozen.py", "install")
        cfg = support.run(support.tool("sc"), "qc", "PyFrozen")
        self.assertIn('"%s"' % os.path.join(support.SERVICES, "frozen.py"), cfg)
        support.give_path("PyFrozen")
        support.script("frozen.py", "start")
        pid_of("PyFrozen")
        win32serviceutil.StopService("PyFrozen")
        support.wait_state("PyFrozen", ws.SERVICE_STOPPED)
        events = support.run(support.tool("wevtutil"), "qe", "Application", "/q:*[System[Provider[@Name='PyFrozen']]]",
                             "/f:text")
        self.assertIn("frozen service running with []", events)

    def test_frozen_debug(self):
        """debug runs a script that is its own host in this process, as
        pywin32 does for a frozen program."""
        support.script("frozen.py", "install")
        out = debug_until(self, "frozen.py", "frozen service running")
        self.assertIn("Debugging service PyFrozen - press Ctrl+C to stop.\n", out)
        self.assertIn("Info 0x400000FF - frozen service running with ['debug']\n", out)
        self.assertIn("Stopping debug service.\n", out)


class SharedProcessTest(support.SCMTestCase):
    """Two services in one process, hosted with PrepareToHostMultiple."""

    names = ("PyShareA", "PyShareB")

    def tearDown(self):
        for n in self.names:
            support.remove(n)

    def test_two_services_one_process(self):
        out = tempfile.mkdtemp()
        script = os.path.join(support.SERVICES, "shared.py")
        scm = ws.OpenSCManager(None, None, ws.SC_MANAGER_ALL_ACCESS)
        handles = []
        for n in self.names:
            h = ws.CreateService(scm, n, n, ws.SERVICE_ALL_ACCESS, ws.SERVICE_WIN32_SHARE_PROCESS,
                                 ws.SERVICE_DEMAND_START, ws.SERVICE_ERROR_NORMAL,
                                 '"%s" "%s"' % (sys.executable, script), None, 0, None, None, None)
            win32serviceutil.SetServiceCustomOption(n, "OutDir", out)
            support.give_path(n)
            handles.append(h)
        for h in handles:
            ws.StartService(h, None)
        pids = [pid_of(n) for n in self.names]
        self.assertEqual(pids[0], pids[1])
        for n in self.names:
            deadline = time.monotonic() + 30
            while not os.path.exists(os.path.join(out, n)) and time.monotonic() < deadline:
                time.sleep(0.05)
            with open(os.path.join(out, n)) as f:
                # Its process, and LocalSystem's non-interactive window station.
                self.assertEqual(f.read(), "%d\nService-0x0-3e7$ 0\n" % pids[0])
        # Pause and continue one; a user-defined control goes to SvcOther.
        self.assertEqual(ws.ControlService(handles[0], ws.SERVICE_CONTROL_PAUSE)[1] in (ws.SERVICE_PAUSE_PENDING, ws.SERVICE_PAUSED), True)
        support.wait_state("PyShareA", ws.SERVICE_PAUSED)
        ws.ControlService(handles[0], ws.SERVICE_CONTROL_CONTINUE)
        support.wait_state("PyShareA", ws.SERVICE_RUNNING)
        ws.ControlService(handles[1], 200)
        with open(os.path.join(out, "PyShareB.control")) as f:
            self.assertEqual(f.read(), "200\n")
        # One stops (saying STOPPED itself), the host stays for the other.
        ws.ControlService(handles[0], ws.SERVICE_CONTROL_STOP)
        support.wait_state("PyShareA", ws.SERVICE_STOPPED)
        self.assertEqual(pid_of("PyShareB"), pids[0])
        # The other stops itself from a thread of its own, while its handler
        # makes SCM calls too; the last stop ends the host.
        ws.ControlService(handles[1], 201)
        support.wait_state("PyShareB", ws.SERVICE_STOPPED, timeout=10)
        deadline = time.monotonic() + 30
        while os.path.exists("/proc/%d" % pids[0]) and time.monotonic() < deadline:
            time.sleep(0.05)
        self.assertFalse(os.path.exists("/proc/%d/cmdline" % pids[0]) and
                         open("/proc/%d/cmdline" % pids[0], "rb").read(), "the host outlived its services")



class DeviceEventsTest(support.SCMTestCase):
    """A real tap device's arrival and removal reach SvcOtherEx, unpacked."""

    def tearDown(self):
        support.remove("PyDevices")
        subprocess.run(["ip", "tuntap", "del", "dev", self.tap, "mode", "tap"], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)

    def wait_line(self, path, prefix, about=""):
        """The first line of the file that starts with prefix and names
        about: other tests' devices come and go on this machine too."""
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if os.path.exists(path):
                with open(path) as f:
                    for line in f:
                        if line.startswith(prefix) and about in line:
                            return line
            time.sleep(0.05)
        self.fail("no %r line in %s" % (prefix, open(path).read() if os.path.exists(path) else "(nothing)"))

    def test_tap_arrival(self):
        self.tap = "pyscm%d" % (os.getpid() % 10000)
        if os.geteuid() != 0:
            self.skipTest("tap devices take root")
        out = os.path.join(tempfile.mkdtemp(), "events")
        support.script("devices.py", "install")
        support.give_path("PyDevices")
        win32serviceutil.SetServiceCustomOption("PyDevices", "OutFile", out)
        support.script("devices.py", "start")
        support.wait_state("PyDevices", ws.SERVICE_RUNNING)
        self.wait_line(out, "registered")
        accepted = win32serviceutil.QueryServiceStatus("PyDevices")[2]
        self.assertEqual(accepted, ws.SERVICE_ACCEPT_STOP | ws.SERVICE_ACCEPT_POWEREVENT | ws.SERVICE_ACCEPT_SESSIONCHANGE)
        support.run("ip", "tuntap", "add", "dev", self.tap, "mode", "tap")
        line = self.wait_line(out, "arrival", self.tap)
        self.assertTrue(line.startswith("arrival {CAC88484-7515-4C03-82E6-71A87ABAC361} "), line)
        self.assertTrue(line.rstrip().endswith("/" + self.tap), line)
        support.run("ip", "tuntap", "del", "dev", self.tap, "mode", "tap")
        self.wait_line(out, "removal {CAC88484-7515-4C03-82E6-71A87ABAC361} ", self.tap)


if __name__ == "__main__":
    unittest.main()
