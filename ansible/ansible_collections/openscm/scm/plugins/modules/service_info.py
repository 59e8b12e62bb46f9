#!/usr/bin/python
# -*- coding: utf-8 -*-

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: service_info
short_description: Gather information about scm services
description:
- Gather information about all or a specific service of scm, the Service Control Manager for Linux,
  as M(ansible.windows.win_service_info) does on Windows.
- The target needs scm's Python package (pywin32's modules over scmd); see M(openscm.scm.service).
options:
  name:
    description:
    - If specified, this is used to match the C(name) or C(display_name) of the service to get the info for.
    - Can be a wildcard to match multiple services but the wildcard will only be matched on the C(name) of the
      service and not C(display_name).
    - If omitted then all services will returned.
    type: str
notes:
- The environment variable C(SCM_SOCKET) selects the scmd to ask (default C(/run/scm/scm.sock)).
- C(launch_protection) is always C(none) and C(preferred_node) always null.
seealso:
- module: openscm.scm.service
author:
- openscm
"""

EXAMPLES = r"""
- name: Get info for all installed services
  openscm.scm.service_info:
  register: service_info

- name: Get info for a single service
  openscm.scm.service_info:
    name: web
  register: service_info

- name: Find all services that start with 'web'
  openscm.scm.service_info:
    name: web*
"""

RETURN = r"""
exists:
  description: Whether any services were found based on the criteria specified.
  returned: always
  type: bool
  sample: true
services:
  description:
  - The services found, with the fields of M(ansible.windows.win_service_info).
  - C(checkpoint), C(controls_accepted), C(dependencies), C(dependency_of), C(description),
    C(desktop_interact), C(display_name), C(error_control), C(failure_actions),
    C(failure_actions_on_non_crash_failure), C(failure_command), C(failure_reboot_msg),
    C(failure_reset_period_sec), C(launch_protection), C(load_order_group), C(name), C(path),
    C(pre_shutdown_timeout_ms), C(preferred_node), C(process_id), C(required_privileges), C(service_exit_code),
    C(service_flags), C(service_type), C(sid_info), C(start_mode), C(state), C(triggers), C(username),
    C(wait_hint_ms), C(win32_exit_code).
  returned: always
  type: list
  elements: dict
  sample:
  - name: web
    display_name: Web server
    state: started
    start_mode: auto
    path: /usr/local/bin/web
    username: NT AUTHORITY\SYSTEM
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.openscm.scm.plugins.module_utils.scm import Win32
from ansible_collections.openscm.scm.plugins.module_utils.scm_query import match_services, public, read_service

ERROR_ACCESS_DENIED = 5
ERROR_SERVICE_DOES_NOT_EXIST = 1060


def main():
    module = AnsibleModule(argument_spec=dict(name=dict(type="str")), supports_check_mode=True)
    w = Win32(module)
    ws = w.ws
    try:
        hscm = ws.OpenSCManager(None, None, ws.SC_MANAGER_CONNECT | ws.SC_MANAGER_ENUMERATE_SERVICE)
        names = match_services(w, hscm, module.params["name"])
    except w.pywintypes.error as e:
        w.fail("listing the services", e)
    services = []
    for name in names:
        try:
            services.append(public(read_service(w, hscm, name)))
        except w.pywintypes.error as e:
            if e.winerror == ERROR_SERVICE_DOES_NOT_EXIST:
                continue  # deleted since it was listed
            if e.winerror == ERROR_ACCESS_DENIED:
                module.warn("Failed to access service '%s' to get more info, ignoring: %s" % (name, e.strerror))
                continue
            w.fail("reading service '%s'" % name, e)
    module.exit_json(changed=False, exists=bool(services), services=services)


if __name__ == "__main__":
    main()
