# -*- coding: utf-8 -*-
"""The service module's configuration: what a task wants, given what the
service has, and the calls that make it so."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.openscm.scm.plugins.module_utils.scm import (
    ACTION_TYPES, ERROR_CONTROLS, INFINITE, NO_CHANGE, SERVICE_INTERACTIVE_PROCESS, SERVICE_TYPES, SID_INFOS,
    START_MODES, account, is_system, shown_account, to_uint32,
)

# The keys of win_service's diff, in its order.
DIFF_KEYS = (
    "dependencies", "description", "desktop_interact", "display_name", "error_control", "failure_actions",
    "failure_actions_on_non_crash_failure", "failure_command", "failure_reboot_msg", "failure_reset_period_sec",
    "load_order_group", "name", "path", "pre_shutdown_timeout_ms", "required_privileges", "service_type",
    "sid_info", "start_mode", "state", "username",
)


def new_service(name, path):
    """What a service created with only a name and a path has: New-Service's
    defaults (scmd's for pre_shutdown_timeout_ms)."""
    return {
        "dependencies": [], "description": None, "desktop_interact": False, "display_name": name,
        "error_control": "normal", "failure_actions": [], "failure_actions_on_non_crash_failure": False,
        "failure_command": None, "failure_reboot_msg": None, "failure_reset_period_sec": 0,
        "load_order_group": "", "name": name, "path": path, "pre_shutdown_timeout_ms": 180000,
        "required_privileges": [], "service_type": "win32_own_process", "sid_info": "none", "start_mode": "auto",
        "state": "stopped", "username": shown_account("LocalSystem"),
        "_type": SERVICE_TYPES["win32_own_process"], "_delayed": False, "_account": "LocalSystem", "_controls": 0,
    }


def diff_of(info):
    d = {k: info[k] for k in DIFF_KEYS}
    d["password"] = "REDACTED"
    return d


def _lower(names):
    return [n.lower() for n in names]


def _dependencies(current, wanted, action):
    if wanted is None:
        return list(current)
    have = _lower(current)
    if action == "remove":
        drop = set(_lower(wanted))
        return [d for d in current if d.lower() not in drop]
    if action == "set":
        keep = set(_lower(wanted))
        current = [d for d in current if d.lower() in keep]
        have = _lower(current)
    out = list(current)
    for d in wanted:
        if d.lower() not in have:
            out.append(d)
            have.append(d.lower())
    return out


def _cleared(value, current):
    """win_service's rule for strings: None keeps, '' removes."""
    if value is None:
        return current
    return value or None


def plan(module, cur, p):
    """The service as the task wants it: cur with what p sets."""
    want = dict(cur)
    want["dependencies"] = _dependencies(cur["dependencies"], p["dependencies"], p["dependency_action"])
    want["description"] = _cleared(p["description"], cur["description"])
    want["display_name"] = p["display_name"] or cur["display_name"]
    want["path"] = p["path"] or cur["path"]
    for key in ("error_control", "failure_actions_on_non_crash_failure", "load_order_group", "sid_info",
                "start_mode", "service_type"):
        if p[key] is not None:
            want[key] = p[key]
    if p["failure_actions"] is not None:
        want["failure_actions"] = [
            {"type": a["type"], "delay_ms": to_uint32(module, "failure_actions.delay_ms", a["delay_ms"])}
            for a in p["failure_actions"]]
    want["failure_command"] = _cleared(p["failure_command"], cur["failure_command"])
    want["failure_reboot_msg"] = _cleared(p["failure_reboot_msg"], cur["failure_reboot_msg"])
    reset = to_uint32(module, "failure_reset_period_sec", p["failure_reset_period_sec"])
    if not want["failure_actions"]:
        # The SCM keeps no reset period without actions.
        if reset:
            module.fail_json(msg="failure_reset_period_sec needs at least one action in failure_actions")
        reset = 0
    if reset is not None:
        want["failure_reset_period_sec"] = reset
    shutdown = to_uint32(module, "pre_shutdown_timeout_ms", p["pre_shutdown_timeout_ms"])
    if shutdown is not None:
        want["pre_shutdown_timeout_ms"] = shutdown
    if p["required_privileges"] is not None and set(_lower(p["required_privileges"])) != set(
            _lower(cur["required_privileges"])):
        want["required_privileges"] = list(p["required_privileges"])
    want["_account"] = cur["_account"]
    if p["username"] is not None and account(p["username"]).lower() != account(cur["_account"]).lower():
        want["_account"] = account(p["username"])
    want["username"] = shown_account(want["_account"])
    want["desktop_interact"] = p["desktop_interact"]
    if p["desktop_interact"] and not is_system(want["_account"]):
        module.fail_json(msg="Can only set 'desktop_interact' to true when 'username' equals 'SYSTEM'")
    base = SERVICE_TYPES.get(want["service_type"], cur["_type"]) & ~SERVICE_INTERACTIVE_PROCESS
    want["_type"] = base | (SERVICE_INTERACTIVE_PROCESS if p["desktop_interact"] else 0)
    want["state"] = p["state"] or cur["state"]
    return want


def config_changed(cur, want):
    """Whether want differs from cur in anything but the state."""
    for k in DIFF_KEYS + ("_type",):
        if k in ("state", "username", "desktop_interact", "service_type"):
            continue
        if k == "dependencies":
            if _lower(cur[k]) != _lower(want[k]):
                return True
        elif cur[k] != want[k]:
            return True
    return cur["_account"].lower() != want["_account"].lower()


class _Recorded:
    """w.ws whose Change calls mark the task changed as each succeeds."""

    def __init__(self, w):
        self._w = w

    def __getattr__(self, name):
        fn = getattr(self._w.ws, name)
        if not name.startswith("Change"):
            return fn

        def call(*args):
            fn(*args)
            self._w.changed = True
        return call


def apply(w, h, cur, want, password):
    """Make the service's configuration want's: ChangeServiceConfig for what
    it holds, ChangeServiceConfig2 for each other level that differs."""
    ws = _Recorded(w)
    main = {}
    if want["_type"] != cur["_type"]:
        main["type"] = want["_type"]
    mode_changed = want["start_mode"] != cur["start_mode"]
    if mode_changed:
        main["start"] = START_MODES["auto"] if want["start_mode"] == "delayed" else START_MODES[want["start_mode"]]
    if want["error_control"] != cur["error_control"]:
        main["error"] = ERROR_CONTROLS[want["error_control"]]
    for key in ("path", "load_order_group", "display_name"):
        if want[key] != cur[key]:
            main[key] = want[key]
    if _lower(want["dependencies"]) != _lower(cur["dependencies"]):
        main["dependencies"] = want["dependencies"]
    if want["_account"].lower() != cur["_account"].lower():
        main["account"] = want["_account"]
    if main or password is not None:
        ws.ChangeServiceConfig(
            h, main.get("type", NO_CHANGE), main.get("start", NO_CHANGE), main.get("error", NO_CHANGE),
            main.get("path"), main.get("load_order_group"), 0, main.get("dependencies"), main.get("account"),
            password, main.get("display_name"))
    if mode_changed and (want["start_mode"] == "delayed") != cur["_delayed"]:
        ws.ChangeServiceConfig2(h, ws.SERVICE_CONFIG_DELAYED_AUTO_START_INFO, want["start_mode"] == "delayed")
    if want["description"] != cur["description"]:
        ws.ChangeServiceConfig2(h, ws.SERVICE_CONFIG_DESCRIPTION, want["description"] or "")
    if any(want[k] != cur[k] for k in ("failure_actions", "failure_command", "failure_reboot_msg",
                                       "failure_reset_period_sec")):
        ws.ChangeServiceConfig2(h, ws.SERVICE_CONFIG_FAILURE_ACTIONS, {
            "ResetPeriod": want["failure_reset_period_sec"] & INFINITE,
            "RebootMsg": want["failure_reboot_msg"] or "",
            "Command": want["failure_command"] or "",
            "Actions": tuple((ACTION_TYPES[a["type"]], a["delay_ms"]) for a in want["failure_actions"]),
        })
    levels = (
        ("failure_actions_on_non_crash_failure", ws.SERVICE_CONFIG_FAILURE_ACTIONS_FLAG, bool),
        ("sid_info", ws.SERVICE_CONFIG_SERVICE_SID_INFO, SID_INFOS.get),
        ("required_privileges", ws.SERVICE_CONFIG_REQUIRED_PRIVILEGES_INFO, list),
        ("pre_shutdown_timeout_ms", ws.SERVICE_CONFIG_PRESHUTDOWN_INFO, int),
    )
    for key, level, value in levels:
        if want[key] != cur[key]:
            ws.ChangeServiceConfig2(h, level, value(want[key]))
