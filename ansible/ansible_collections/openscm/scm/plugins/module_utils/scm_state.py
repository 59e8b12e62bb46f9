# -*- coding: utf-8 -*-
"""Starting, stopping, pausing and continuing a service, waiting for each
to finish as Start-Service and Stop-Service do."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.openscm.scm.plugins.module_utils.scm import STATES

SERVICE_STOPPED = 1
SERVICE_RUNNING = 4
SERVICE_PAUSED = 7
ERROR_SERVICE_ALREADY_RUNNING = 1056
ERROR_SERVICE_NOT_ACTIVE = 1062
ERROR_SERVICE_SPECIFIC_ERROR = 1066


def _exit_text(w, st):
    code = st["Win32ExitCode"]
    text = "Win32 exit code %d: %s" % (code, w.text(code))
    if code == ERROR_SERVICE_SPECIFIC_ERROR:
        text += " (service-specific code %d)" % st["ServiceSpecificExitCode"]
    return text


def _expect(w, name, h, doing, state, left=None):
    st = w.wait_settled(h, left)
    if st["CurrentState"] != state:
        w.fail_msg("failed to %s service '%s': it is %s, %s" % (
            doing, name, STATES.get(st["CurrentState"], st["CurrentState"]), _exit_text(w, st)))


def start(w, name, h):
    try:
        w.ws.StartService(h, None)
        w.changed = True
    except w.pywintypes.error as e:
        if e.winerror != ERROR_SERVICE_ALREADY_RUNNING:
            raise
    _expect(w, name, h, "start", SERVICE_RUNNING)


def _stop_one(w, name, h):
    left = w.ws.QueryServiceStatus(h)[1]
    try:
        w.ws.ControlService(h, w.ws.SERVICE_CONTROL_STOP)
        w.changed = True
    except w.pywintypes.error as e:
        if e.winerror != ERROR_SERVICE_NOT_ACTIVE:
            raise
    _expect(w, name, h, "stop", SERVICE_STOPPED, None if left == SERVICE_STOPPED else left)


def stop(w, hscm, name, h, force):
    """Stop the service; with force, the running services that depend on it
    first (in the order the SCM lists them, dependents' dependents first).
    The dependents stopped, each with its handle, in that order."""
    ws = w.ws
    stopped = []
    if force:
        for dep, _display, _status in ws.EnumDependentServices(h, ws.SERVICE_ACTIVE):
            hd = ws.OpenService(hscm, dep, ws.SERVICE_STOP | ws.SERVICE_START | ws.SERVICE_QUERY_STATUS)
            _stop_one(w, dep, hd)
            stopped.append((dep, hd))
    _stop_one(w, name, h)
    return stopped


def restart(w, hscm, name, h, force):
    """Stop (if not stopped) and start the service, and start again the
    dependents the stop stopped, as Restart-Service does."""
    stopped = []
    if w.wait_settled(h)["CurrentState"] != SERVICE_STOPPED:
        stopped = stop(w, hscm, name, h, force)
    start(w, name, h)
    for dep, hd in reversed(stopped):
        start(w, dep, hd)


def resume(w, name, h):
    w.ws.ControlService(h, w.ws.SERVICE_CONTROL_CONTINUE)
    w.changed = True
    _expect(w, name, h, "continue", SERVICE_RUNNING, SERVICE_PAUSED)


def pause(w, name, h):
    w.ws.ControlService(h, w.ws.SERVICE_CONTROL_PAUSE)
    w.changed = True
    _expect(w, name, h, "pause", SERVICE_PAUSED, SERVICE_RUNNING)


def set_state(w, hscm, name, h, cur, want, force, check):
    """Bring the service (cur: its info, h: None while only planned) to the
    state want; whether that is a change. Pause is refused, as by
    win_service, unless the service accepts it."""
    if want is None:
        return False
    state = cur["state"]
    if h is not None and not check and state in ("start_pending", "stop_pending", "continue_pending",
                                                 "pause_pending"):
        state = STATES[w.wait_settled(h)["CurrentState"]]
    if want == "started" and state != "started":
        if h is not None and not check:
            if state == "paused":
                resume(w, name, h)
            else:
                start(w, name, h)
        return True
    if want == "stopped" and state != "stopped":
        if h is not None and not check:
            stop(w, hscm, name, h, force)
        return True
    if want == "restarted":
        if h is not None and not check:
            restart(w, hscm, name, h, force)
        return True
    if want == "paused" and state != "paused":
        if h is not None and not cur["_controls"] & w.ws.SERVICE_ACCEPT_PAUSE_CONTINUE:
            why = "the service is not started" if state == "stopped" else "The service does not support pausing"
            w.fail_msg("failed to pause service %s: %s" % (name, why))
        if h is not None and not check:
            pause(w, name, h)
        return True
    return False
