#!/usr/bin/env python3
"""Make this directory's modules (win32service, win32serviceutil,
servicemanager, ...) importable by the interpreter that runs this script,
as installing pywin32 does on Windows: a .pth file in its site-packages.

    python3 install.py            # for every user (run as root)
    python3 install.py --user     # for you alone
    python3 install.py --remove   # undo either
"""

import os
import site
import sys
import sysconfig

NAME = "scm-pywin32.pth"
HERE = os.path.dirname(os.path.abspath(__file__))


def main(argv):
    user = "--user" in argv
    target = site.getusersitepackages() if user else sysconfig.get_paths()["purelib"]
    path = os.path.join(target, NAME)
    if "--remove" in argv:
        for p in (os.path.join(site.getusersitepackages(), NAME), os.path.join(sysconfig.get_paths()["purelib"], NAME)):
            if os.path.exists(p):
                os.remove(p)
                print("removed", p)
        return 0
    os.makedirs(target, exist_ok=True)
    with open(path, "w") as f:
        f.write(HERE + "\n")
    print("%s: %s is on %s's path" % (path, HERE, sys.executable))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
