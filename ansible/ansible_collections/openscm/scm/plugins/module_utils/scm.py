# -*- coding: utf-8 -*-
"""What the openscm.scm modules share: finding the scm Python package
(pywin32's modules over scmd), reporting a failed Win32 call, the names
win_service gives to the SCM's numbers, and waiting out a pending state."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import importlib
import os
import sys
import time

# ChangeServiceConfig's SERVICE_NO_CHANGE.
NO_CHANGE = 0xFFFFFFFF
INFINITE = 0xFFFFFFFF

SERVICE_TYPES = {
    "kernel_driver": 0x1,
    "file_system_driver": 0x2,
    "adapter": 0x4,
    "recognizer_driver": 0x8,
    "win32_own_process": 0x10,
    "win32_share_process": 0x20,
    "user_own_process": 0x50,
    "user_share_process": 0x60,
    "pkg_service": 0x200,
}
SERVICE_INTERACTIVE_PROCESS = 0x100
SERVICE_USER_SERVICE_INSTANCE = 0x80

START_MODES = {"boot": 0, "system": 1, "auto": 2, "manual": 3, "disabled": 4}
ERROR_CONTROLS = {"ignore": 0, "normal": 1, "severe": 2, "critical": 3}
SID_INFOS = {"none": 0, "unrestricted": 1, "restricted": 3}
ACTION_TYPES = {"none": 0, "restart": 1, "reboot": 2, "run_command": 3}
STATES = {
    1: "stopped", 2: "start_pending", 3: "stop_pending", 4: "started",
    5: "continue_pending", 6: "pause_pending", 7: "paused",
}
PENDING = (2, 3, 5, 6)
CONTROLS = [
    (0x1, "stop"), (0x2, "pause_continue"), (0x4, "shutdown"), (0x8, "param_change"),
    (0x10, "netbind_change"), (0x20, "hardware_profile_change"), (0x40, "power_event"),
    (0x80, "session_change"), (0x100, "pre_shutdown"),
]

# A pending state may last its wait hint, but no less than the SCM's own
# start timeout, with no progress of its checkpoint.
MIN_PENDING_WAIT = 30.0


def name_of(table, value, default=None):
    for k, v in table.items():
        if v == value:
            return k
    return default


def load_pywin32(module):
    """The scm package's win32service, pywintypes and winerror. When they are
    not importable (python/install.py not run for this interpreter), the
    directory SCM_PYTHON names is tried."""
    names = ("win32service", "pywintypes", "winerror")
    try:
        return [importlib.import_module(n) for n in names]
    except ImportError as e:
        first = e
    extra = os.environ.get("SCM_PYTHON")
    if extra:
        sys.path.insert(0, extra)
        try:
            return [importlib.import_module(n) for n in names]
        except ImportError as e:
            first = e
    module.fail_json(
        msg="cannot import the scm Python package (%s) with %s: run 'python3 python/install.py' "
            "from scm's source on the target, or set SCM_PYTHON to its python directory" % (first, sys.executable))


class Win32:
    """The modules a task uses, and its module for reporting failures."""

    def __init__(self, module):
        self.module = module
        self.ws, self.pywintypes, self.winerror = load_pywin32(module)
        # Whether the task has changed something: a failure after a change
        # still reports it.
        self.changed = False

    def fail_msg(self, msg, **kw):
        self.module.fail_json(msg=msg, changed=self.changed, **kw)

    def fail(self, what, err):
        """Fail the task on a pywintypes.error, with its code and text."""
        msg = "%s: %s failed with error %s: %s" % (what, err.funcname, err.winerror, err.strerror)
        if err.winerror == 1722:  # RPC_S_SERVER_UNAVAILABLE: no scmd answers
            msg += " (is scmd listening on %s? SCM_SOCKET selects it)" % (
                os.environ.get("SCM_SOCKET") or "/run/scm/scm.sock")
        self.fail_msg(msg, winerror=err.winerror, funcname=err.funcname, strerror=err.strerror)

    def text(self, code):
        return self.pywintypes.message(code)

    def wait_settled(self, handle, left=None):
        """Wait while the service is in a pending state, or still in the
        state left (a control's effect may lag its reply); its status after.
        Fails if the checkpoint stops advancing for longer than allowed."""
        ws = self.ws
        st = ws.QueryServiceStatusEx(handle)
        checkpoint, since = st["CheckPoint"], time.monotonic()
        while st["CurrentState"] in PENDING or st["CurrentState"] == left:
            hint = st["WaitHint"] / 1000.0
            if time.monotonic() - since > max(hint, MIN_PENDING_WAIT):
                self.fail_msg("the service stays %s: its checkpoint has not advanced for %.0f s"
                                      % (STATES[st["CurrentState"]], time.monotonic() - since))
            # A tenth of the wait hint, as Windows' own callers poll.
            time.sleep(min(max(hint / 10.0, 0.05), 1.0))
            st = ws.QueryServiceStatusEx(handle)
            if st["CheckPoint"] != checkpoint:
                checkpoint, since = st["CheckPoint"], time.monotonic()
        return st


def to_uint32(module, name, value):
    """An option win_service takes as raw: an int, or a string in any base
    ('0xFFFFFFFF')."""
    if value is None:
        return None
    try:
        n = int(value, 0) if isinstance(value, str) else int(value)
    except (TypeError, ValueError):
        module.fail_json(msg="%s must be an integer, not %r" % (name, value))
    if not 0 <= n <= 0xFFFFFFFF:
        module.fail_json(msg="%s must be between 0 and 0xFFFFFFFF, not %d" % (name, n))
    return n


_SYSTEM = ("", "localsystem", ".\\localsystem", "system", ".\\system", "nt authority\\system")
_LOCAL_SERVICE = ("localservice", "nt authority\\localservice", "nt authority\\local service")
_NETWORK_SERVICE = ("networkservice", "nt authority\\networkservice", "nt authority\\network service")


def account(name):
    """The account name scmd keeps for what a task names: LocalSystem for
    SYSTEM and its aliases, .\\user for a bare user name."""
    low = (name or "").lower()
    if low in _SYSTEM:
        return "LocalSystem"
    if low in _LOCAL_SERVICE:
        return "NT AUTHORITY\\LocalService"
    if low in _NETWORK_SERVICE:
        return "NT AUTHORITY\\NetworkService"
    if "\\" not in name:
        return ".\\" + name
    return name


def is_system(name):
    return (name or "").lower() in _SYSTEM


def shown_account(name):
    """An account as Windows' NTAccount shows it: SYSTEM's full name."""
    return "NT AUTHORITY\\SYSTEM" if is_system(name) else name
