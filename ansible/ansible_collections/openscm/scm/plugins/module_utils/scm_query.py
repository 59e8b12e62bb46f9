# -*- coding: utf-8 -*-
"""Reading services as win_service_info reports them."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import fnmatch

from ansible_collections.openscm.scm.plugins.module_utils.scm import (
    CONTROLS, ERROR_CONTROLS, INFINITE, SERVICE_INTERACTIVE_PROCESS, SERVICE_TYPES,
    SERVICE_USER_SERVICE_INSTANCE, SID_INFOS, START_MODES, STATES, ACTION_TYPES, name_of, shown_account,
)

# Every type of service: drivers, Win32 and user services.
ALL_TYPES = 0x3F | 0x50 | 0x60

QUERY_RIGHTS = 0x1 | 0x4 | 0x8  # SERVICE_QUERY_CONFIG, _QUERY_STATUS, _ENUMERATE_DEPENDENTS

_TRIGGER_TYPES = {
    1: "device_interface_arrival", 2: "ip_address_availability", 3: "domain_join",
    4: "firewall_port_event", 5: "group_policy", 6: "network_endpoint", 7: "custom_system_state_change",
    20: "custom", 30: "aggregate",
}
_TRIGGER_SUBTYPES = {
    "1f81d131-3fac-4537-9e0c-7e7b0c2f4b55": "named_pipe_event",
    "bc90d167-9470-4139-a9ba-be0bbbf5b74d": "rpc_interface_event",
    "1ce20aba-9851-4421-9430-1ddeb766e809": "domain_join",
    "ddaf516e-58c2-4866-9574-c3b615d42ea1": "domain_leave",
    "b7569e07-8421-4ee0-ad10-86915afdad09": "firewall_port_open",
    "a144ed38-8e12-4de4-9d96-e64740b1a524": "firewall_port_close",
    "659fcae6-5bdb-4da9-b1ff-ca2a178d46e0": "machine_policy_present",
    "54fb46c8-f089-464c-b1fd-59d1b62c3b50": "user_policy_present",
    "4f27f2de-14e2-430b-a549-7cd48cbc8245": "network_first_ip_arrival",
    "cc4ba62a-162e-4648-847a-b6bdf993e335": "network_last_ip_removal",
}
_DATA_TYPES = {1: "binary", 2: "string", 3: "level", 4: "keyword_any", 5: "keyword_all"}


def enum_services(w, hscm):
    """(name, display name) of every service."""
    return [(e["ServiceName"], e["DisplayName"]) for e in w.ws.EnumServicesStatusEx(hscm, ALL_TYPES)]


def find_service(w, hscm, name):
    """The name of the service called name, or displayed as name (either
    without regard to case, as Windows); None if there is none."""
    services = enum_services(w, hscm)
    for key in (0, 1):
        for s in services:
            if s[key].lower() == name.lower():
                return s[0]
    return None


def match_services(w, hscm, name):
    """win_service_info's choice: every service, the one of that name, those
    whose name matches name as a wildcard, or the one displayed as name."""
    services = enum_services(w, hscm)
    if name is None:
        return [s[0] for s in services]
    low = name.lower()
    exact = [s[0] for s in services if s[0].lower() == low]
    if exact:
        return exact
    if any(c in name for c in "*?["):
        return [s[0] for s in services if fnmatch.fnmatchcase(s[0].lower(), low)]
    return [s[0] for s in services if s[1].lower() == low]


def _triggers(w, handle):
    """SERVICE_CONFIG_TRIGGER_INFO: pywin32's QueryServiceConfig2 has no such
    level, so this asks scmd directly, through the package's connection."""
    import _scm

    try:
        reply = _scm.call("QueryServiceConfig2", {"handle": int(handle), "infoLevel": 8})
    except _scm.CallFailed as e:
        w.pywintypes.raise_error(e.code, "QueryServiceConfig2")
    out = []
    for t in reply.get("triggers") or []:
        subtype = (t.get("subtype") or "").lower()
        out.append({
            "action": {1: "start_service", 2: "stop_service"}.get(t.get("action", 0), str(t.get("action", 0))),
            "type": _TRIGGER_TYPES.get(t.get("type", 0), str(t.get("type", 0))),
            "sub_type": _TRIGGER_SUBTYPES.get(subtype, "custom"),
            "sub_type_guid": subtype,
            "data_items": [_data_item(d) for d in t.get("data") or []],
        })
    return out


def _data_item(d):
    kind = d.get("type", 0)
    raw = base64.b64decode(d.get("data") or "")
    if kind == 2:
        items = raw.decode("utf-8", "replace").split("\0")
        while items and items[-1] == "":
            items.pop()
        data = items[0] if len(items) == 1 else items
    elif kind in (3, 4, 5):
        data = int.from_bytes(raw, "little")
    else:
        data = base64.b64encode(raw).decode()
    return {"type": _DATA_TYPES.get(kind, str(kind)), "data": data}


def read_service(w, hscm, name, handle=None):
    """Everything win_service_info returns for one service, and, under
    keys starting with '_', the raw numbers the service module compares."""
    ws = w.ws
    h = handle or ws.OpenService(hscm, name, QUERY_RIGHTS)
    stype, start, errctl, path, group, _tag, deps, acct, display = ws.QueryServiceConfig(h)
    st = ws.QueryServiceStatusEx(h)
    fa = ws.QueryServiceConfig2(h, ws.SERVICE_CONFIG_FAILURE_ACTIONS)
    delayed = ws.QueryServiceConfig2(h, ws.SERVICE_CONFIG_DELAYED_AUTO_START_INFO)
    base = stype & ~(SERVICE_INTERACTIVE_PROCESS | SERVICE_USER_SERVICE_INSTANCE)
    mode = "delayed" if start == START_MODES["auto"] and delayed else name_of(START_MODES, start, str(start))
    info = {
        "checkpoint": st["CheckPoint"],
        "controls_accepted": [n for bit, n in CONTROLS if st["ControlsAccepted"] & bit],
        "dependencies": list(deps),
        "dependency_of": [d[0] for d in ws.EnumDependentServices(h, ws.SERVICE_STATE_ALL)],
        "description": ws.QueryServiceConfig2(h, ws.SERVICE_CONFIG_DESCRIPTION),
        "desktop_interact": bool(stype & SERVICE_INTERACTIVE_PROCESS),
        "display_name": display,
        "error_control": name_of(ERROR_CONTROLS, errctl, str(errctl)),
        "failure_actions": [{"type": name_of(ACTION_TYPES, t, str(t)), "delay_ms": d} for t, d in fa["Actions"]],
        "failure_actions_on_non_crash_failure": ws.QueryServiceConfig2(h, ws.SERVICE_CONFIG_FAILURE_ACTIONS_FLAG),
        "failure_command": fa["Command"],
        "failure_reboot_msg": fa["RebootMsg"],
        "failure_reset_period_sec": fa["ResetPeriod"] & INFINITE,
        "launch_protection": "none",  # scm has no protected services
        "load_order_group": group,
        "name": name,
        "path": path,
        "pre_shutdown_timeout_ms": ws.QueryServiceConfig2(h, ws.SERVICE_CONFIG_PRESHUTDOWN_INFO),
        "preferred_node": None,  # no NUMA node preference
        "process_id": st["ProcessId"],
        "required_privileges": ws.QueryServiceConfig2(h, ws.SERVICE_CONFIG_REQUIRED_PRIVILEGES_INFO),
        "service_exit_code": st["ServiceSpecificExitCode"],
        "service_flags": ["runs_in_system_process"] if st["ServiceFlags"] & 1 else [],
        "service_type": name_of(SERVICE_TYPES, base, str(base)),
        "sid_info": name_of(SID_INFOS, ws.QueryServiceConfig2(h, ws.SERVICE_CONFIG_SERVICE_SID_INFO), "none"),
        "start_mode": mode,
        "state": STATES.get(st["CurrentState"], str(st["CurrentState"])),
        "triggers": _triggers(w, h),
        "username": shown_account(acct),
        "wait_hint_ms": st["WaitHint"],
        "win32_exit_code": st["Win32ExitCode"],
        "_type": stype,
        "_delayed": bool(delayed),
        "_account": acct,
        "_controls": st["ControlsAccepted"],
    }
    return info


def public(info):
    return {k: v for k, v in info.items() if not k.startswith("_")}
