#!/usr/bin/python
# -*- coding: utf-8 -*-

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: service
short_description: Manage and query scm services
description:
- Manage and query the services of scm, the Service Control Manager for Linux, as
  M(ansible.windows.win_service) manages Windows services, with the same options and return values.
- The module calls pywin32's C(win32service) functions, which scm's Python package provides over scmd's socket.
  Install it on the target with C(python3 python/install.py) from scm's source, or set C(SCM_PYTHON) to its
  C(python) directory.
- The environment variable C(SCM_SOCKET) selects the scmd to manage (default C(/run/scm/scm.sock)).
options:
  dependencies:
    description:
    - A list of service dependencies to set for this particular service.
    - This should be a list of service names and not the display name of the service.
    - This works by I(dependency_action) to either add/remove or set the services in this list.
    type: list
    elements: str
  dependency_action:
    description:
    - C(add) adds I(dependencies) to the existing ones, C(remove) removes them from the existing ones, C(set)
      makes the dependencies exactly I(dependencies).
    type: str
    choices: [ add, remove, set ]
    default: set
  desktop_interact:
    description:
    - Whether to allow the service to interact with the desktop (C(SERVICE_INTERACTIVE_PROCESS); scm gives it
      session 0's desktop).
    - This can only be set to C(true) when the I(username) is C(LocalSystem).
    type: bool
    default: false
  description:
    description:
    - The description to set for the service. An empty string removes it.
    type: str
  display_name:
    description:
    - The display name to set for the service.
    type: str
  error_control:
    description:
    - The severity of the error if the service fails to start. A new service defaults to C(normal).
    type: str
    choices: [ critical, ignore, normal, severe ]
  failure_actions:
    description:
    - A list of failure actions the service controller should take on each failure of a service.
    - The service manager will run the actions from first to last defined until the service starts. If
      I(failure_reset_period_sec) has been exceeded then the failure actions will restart from the beginning.
    - If all actions have been performed the service manager will repeat the last one.
    - The existing actions will be replaced with the list defined in the task if there is a mismatch with any of
      them.
    - Set to an empty list to delete all failure actions on a service, otherwise an omitted or null value
      preserves the existing actions on the service.
    type: list
    elements: dict
    suboptions:
      delay_ms:
        description:
        - The time to wait, in milliseconds, before performing the specified action.
        default: 0
        type: raw
        aliases: [ delay ]
      type:
        description:
        - The action to be performed.
        - C(none) will perform no action, C(reboot) will reboot the host, C(restart) will restart the service,
          C(run_command) will run the command specified by I(failure_command).
        required: true
        type: str
        choices: [ none, reboot, restart, run_command ]
  failure_actions_on_non_crash_failure:
    description:
    - Controls whether failure actions will be performed on non crash failures (the service stops with an error)
      or not.
    type: bool
  failure_command:
    description:
    - The command to run for a C(run_command) failure action. Set to an empty string to remove the command.
    type: str
  failure_reboot_msg:
    description:
    - The message to be broadcast to users logged on the host for a C(reboot) failure action.
      Set to an empty string to remove the message.
    type: str
  failure_reset_period_sec:
    description:
    - The time in seconds after which the failure action list begins from the start if there are no failures.
    - To set this value, I(failure_actions) must have at least 1 action present.
    - Specify C('0xFFFFFFFF') to set an infinite reset period.
    type: raw
    aliases: [ failure_reset_period ]
  force_dependent_services:
    description:
    - If C(true), stopping or restarting a service with dependent services will force the dependent services to
      stop or restart also.
    - If C(false), stopping or restarting a service with running dependent services fails.
    type: bool
    default: false
  load_order_group:
    description:
    - The name of the load ordering group of which this service is a member. An empty string removes it.
    type: str
  name:
    description:
    - Name of the service, or its display name.
    - If only the name parameter is specified, the module will report on whether the service exists or not
      without making any changes.
    required: true
    type: str
  path:
    description:
    - The command line of the service's executable (its binary path name).
    - Needed to create a service.
    type: str
  password:
    description:
    - The password to set the service to start as, with I(username).
    type: str
  pre_shutdown_timeout_ms:
    description:
    - The time in which the service manager waits after sending a preshutdown notification to the service until
      it proceeds to continue with the other shutdown actions.
    type: raw
    aliases: [ pre_shutdown_timeout ]
  required_privileges:
    description:
    - A list of privileges the service must have when starting up (scm maps them to capabilities).
    - Set to an empty list to remove all required privileges, otherwise an omitted or null value keeps the
      existing privileges.
    type: list
    elements: str
  service_type:
    description:
    - The type of service. The default type of a new service is C(win32_own_process).
    type: str
    choices: [ user_own_process, user_share_process, win32_own_process, win32_share_process ]
  sid_info:
    description:
    - The service SID type (C(SERVICE_CONFIG_SERVICE_SID_INFO)).
    type: str
    choices: [ none, restricted, unrestricted ]
  start_mode:
    description:
    - Set the startup type for the service. A newly created service will default to C(auto).
    type: str
    choices: [ auto, delayed, disabled, manual ]
  state:
    description:
    - The desired state of the service.
    - C(started)/C(stopped)/C(absent)/C(paused) are idempotent actions that will not run commands unless
      necessary. C(restarted) will always bounce the service.
    - Only services that accept pause and continue can be paused (see C(can_pause_and_continue)), and only when
      started.
    - A newly created service will default to C(stopped).
    - Starting, stopping, pausing and continuing wait until the service is in the new state. The wait fails when
      the service's checkpoint does not advance within its wait hint (at least 30 seconds).
    type: str
    choices: [ absent, paused, started, stopped, restarted ]
  update_password:
    description:
    - When set to C(always) and I(password) is set, the module will always report a change and set the password.
    - Set to C(on_create) (the default) to only set the password if the module creates the service or changes
      its I(username).
    type: str
    choices: [ always, on_create ]
  username:
    description:
    - The username to set the service to start as.
    - C(LocalSystem) or C(SYSTEM) (root), C(NT AUTHORITY\LocalService), C(NT AUTHORITY\NetworkService) or a
      Linux user name (C(.\name) or C(name)).
    - A newly created service will default to C(LocalSystem).
    type: str
notes:
- The target's Python must be able to import scm's Python package (see the description).
- I(path) is taken as it is; unlike on Windows no C(%VARIABLE%) is expanded.
seealso:
- module: openscm.scm.service_info
author:
- openscm
"""

EXAMPLES = r"""
- name: Create a service with a description, dependencies and failure actions, and start it
  openscm.scm.service:
    name: web
    path: /usr/local/bin/web --port 8080
    display_name: Web server
    description: Serves the site
    start_mode: auto
    dependencies: [ db ]
    failure_actions:
    - type: restart
      delay_ms: 1000
    - type: run_command
      delay_ms: 5000
    failure_command: /usr/local/bin/page-oncall web
    failure_reset_period_sec: 86400
    state: started
  environment:
    SCM_SOCKET: /run/scm/scm.sock

- name: Restart a service and the services that depend on it
  openscm.scm.service:
    name: db
    state: restarted
    force_dependent_services: true

- name: Run a service as a Linux user
  openscm.scm.service:
    name: web
    username: www-data

- name: Remove a service
  openscm.scm.service:
    name: web
    state: absent
"""

RETURN = r"""
exists:
  description: Whether the service exists or not.
  returned: success
  type: bool
  sample: true
name:
  description: The service name of the service.
  returned: success and service exists
  type: str
  sample: web
display_name:
  description: The display name of the service.
  returned: success and service exists
  type: str
  sample: Web server
state:
  description: The current running status of the service (C(running), C(stopped), C(paused), ...).
  returned: success and service exists
  type: str
  sample: running
start_mode:
  description: The startup type of the service.
  returned: success and service exists
  type: str
  sample: auto
path:
  description: The command line of the service's executable.
  returned: success and service exists
  type: str
  sample: /usr/local/bin/web --port 8080
can_pause_and_continue:
  description: Whether the service can be paused and unpaused (null when it does not exist yet in check mode).
  returned: success and service exists
  type: bool
  sample: true
description:
  description: The description of the service.
  returned: success and service exists
  type: str
  sample: Serves the site
username:
  description: The username that runs the service.
  returned: success and service exists
  type: str
  sample: LocalSystem
desktop_interact:
  description: Whether the service may interact with the desktop.
  returned: success and service exists
  type: bool
  sample: false
dependencies:
  description: A list of services that this service depends on.
  returned: success and service exists
  type: list
  sample: [ db ]
depended_by:
  description: A list of services that depend on this service.
  returned: success and service exists
  type: list
  sample: []
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.openscm.scm.plugins.module_utils.scm import ERROR_CONTROLS, START_MODES, Win32, is_system
from ansible_collections.openscm.scm.plugins.module_utils.scm_config import (
    DIFF_KEYS, apply, config_changed, diff_of, new_service, plan,
)
from ansible_collections.openscm.scm.plugins.module_utils.scm_query import (
    QUERY_RIGHTS, find_service, read_service,
)
from ansible_collections.openscm.scm.plugins.module_utils.scm_state import set_state, stop

DELETE = 0x10000

# Options whose presence makes the task manage a service that does not exist.
_MANAGING = (
    "description", "display_name", "dependencies", "error_control", "failure_actions",
    "failure_actions_on_non_crash_failure", "failure_command", "failure_reboot_msg", "failure_reset_period_sec",
    "load_order_group", "path", "pre_shutdown_timeout_ms", "required_privileges", "service_type", "sid_info",
    "start_mode", "state", "username", "password",
)


class ServiceModule(AnsibleModule):
    """path is the service's command line, not a file whose owner and mode
    the result should carry."""

    def add_path_info(self, kwargs):
        return kwargs


def argument_spec():
    uint = dict(type="raw")
    return dict(
        dependencies=dict(type="list", elements="str"),
        dependency_action=dict(type="str", default="set", choices=["add", "remove", "set"]),
        description=dict(type="str"),
        desktop_interact=dict(type="bool", default=False),
        display_name=dict(type="str"),
        error_control=dict(type="str", choices=["critical", "ignore", "normal", "severe"]),
        failure_actions=dict(type="list", elements="dict", options=dict(
            delay_ms=dict(uint, aliases=["delay"], default=0),
            type=dict(type="str", required=True, choices=["none", "reboot", "restart", "run_command"]),
        )),
        failure_actions_on_non_crash_failure=dict(type="bool"),
        failure_command=dict(type="str"),
        failure_reboot_msg=dict(type="str"),
        failure_reset_period_sec=dict(uint, aliases=["failure_reset_period"]),
        force_dependent_services=dict(type="bool", default=False),
        load_order_group=dict(type="str"),
        name=dict(type="str", required=True),
        password=dict(type="str", no_log=True),
        path=dict(type="str"),
        pre_shutdown_timeout_ms=dict(uint, aliases=["pre_shutdown_timeout"]),
        required_privileges=dict(type="list", elements="str"),
        service_type=dict(type="str", choices=[
            "user_own_process", "user_share_process", "win32_own_process", "win32_share_process"]),
        sid_info=dict(type="str", choices=["none", "restricted", "unrestricted"]),
        start_mode=dict(type="str", choices=["auto", "delayed", "disabled", "manual"]),
        state=dict(type="str", choices=["absent", "paused", "started", "stopped", "restarted"]),
        update_password=dict(type="str", choices=["always", "on_create"], no_log=False),
        username=dict(type="str"),
    )


def rights(w, p):
    """The access the task needs to the service, and no more."""
    ws = w.ws
    r = QUERY_RIGHTS
    if p["failure_actions"]:
        r |= ws.SERVICE_START  # a restart action needs it, as on Windows
    if p["state"] == "absent":
        return r | DELETE | ws.SERVICE_STOP
    r |= ws.SERVICE_CHANGE_CONFIG
    if p["state"] in ("started", "restarted", "stopped"):
        r |= ws.SERVICE_START | ws.SERVICE_STOP | ws.SERVICE_PAUSE_CONTINUE
    elif p["state"] == "paused":
        r |= ws.SERVICE_PAUSE_CONTINUE
    return r


def create(w, hscm_rights, p, want, access):
    ws = w.ws
    hscm = ws.OpenSCManager(None, None, hscm_rights | ws.SC_MANAGER_CREATE_SERVICE)
    start = START_MODES["auto" if want["start_mode"] == "delayed" else want["start_mode"]]
    error = ERROR_CONTROLS[want["error_control"]]
    return ws.CreateService(hscm, want["name"], want["display_name"], access, want["_type"], start, error,
                            want["path"], want["load_order_group"] or None, 0, want["dependencies"],
                            want["_account"], p["password"])


def result_of(w, hscm, h, want):
    """win_service's return values, from what the task made the service."""
    state = want["state"].replace("_", "")
    out = {
        "exists": True,
        "name": want["name"], "display_name": want["display_name"], "description": want["description"],
        "path": want["path"], "start_mode": want["start_mode"], "dependencies": want["dependencies"],
        "desktop_interact": want["desktop_interact"],
        "username": "LocalSystem" if is_system(want["_account"]) else want["username"],
        "state": "running" if state in ("started", "restarted") else state,
        "can_pause_and_continue": None, "depended_by": [],
    }
    if h is not None:
        ws = w.ws
        out["can_pause_and_continue"] = bool(
            ws.QueryServiceStatusEx(h)["ControlsAccepted"] & ws.SERVICE_ACCEPT_PAUSE_CONTINUE)
        out["depended_by"] = [d[0] for d in ws.EnumDependentServices(h, ws.SERVICE_STATE_ALL)]
    return out


def run(module, w, p):
    ws = w.ws
    check = module.check_mode
    scm_rights = ws.SC_MANAGER_CONNECT | ws.SC_MANAGER_ENUMERATE_SERVICE
    hscm = ws.OpenSCManager(None, None, scm_rights)
    name = find_service(w, hscm, p["name"])
    access = rights(w, p)
    h = ws.OpenService(hscm, name, access) if name else None
    cur = read_service(w, hscm, name, h) if name else None
    diff = {"before": diff_of(cur) if cur else ""}

    if p["state"] == "absent":
        if cur:
            if not check:
                if cur["state"] != "stopped":
                    stop(w, hscm, name, h, p["force_dependent_services"])
                ws.DeleteService(h)
        diff["after"] = ""
        return dict(changed=bool(cur), exists=False, diff=diff)

    if cur is None and not (p["desktop_interact"] or p["dependency_action"] != "set" or
                            any(p[k] is not None for k in _MANAGING)):
        diff["after"] = ""
        return dict(changed=False, exists=False, diff=diff)

    changed = False
    new_password = None  # a password to set on an existing service
    password_set = False
    if cur is None:
        if not p["path"]:
            module.fail_json(msg="Service '%s' is not installed, need to set 'path' to create a new service"
                             % p["name"])
        cur = new_service(p["name"], p["path"])
        want = plan(module, cur, p)
        changed = True
        password_set = bool(p["password"])
        if not check:
            h = create(w, scm_rights, p, want, access)
            w.changed = True
            name = want["name"]
            cur = read_service(w, hscm, name, h)
            want = plan(module, cur, p)  # against what scmd made of it
    else:
        want = plan(module, cur, p)
        account_changed = want["_account"].lower() != cur["_account"].lower()
        if p["password"] and (p["update_password"] == "always" or account_changed):
            new_password = p["password"]
            password_set = True
    if h is not None:
        changed |= config_changed(cur, want) or new_password is not None
        if not check:
            apply(w, h, cur, want, new_password)
    changed |= set_state(w, hscm, name, h, cur, p["state"], p["force_dependent_services"], check)

    after = {k: want[k] for k in DIFF_KEYS}
    after["password"] = "CHANGED REDACTED" if password_set else "REDACTED"
    diff["after"] = after
    out = result_of(w, hscm, h, want)
    out.update(changed=changed, diff=diff)
    return out


def main():
    module = ServiceModule(argument_spec=argument_spec(), required_by=dict(password=["username"]),
                           supports_check_mode=True)
    w = Win32(module)
    try:
        out = run(module, w, module.params)
    except w.pywintypes.error as e:
        w.fail("service '%s'" % module.params["name"], e)
    if not module._diff:
        out.pop("diff")
    module.exit_json(**out)


if __name__ == "__main__":
    main()
