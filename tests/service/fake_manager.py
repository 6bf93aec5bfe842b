"""A stand-in for ``systemctl`` and ``launchctl``, installed under those names
early on PATH: it records each call as a JSON line in ``$FAKE_MANAGER_LOG``.

``FAKE_MANAGER_FAIL=WORD`` makes calls containing WORD fail as the real tool
would (saying ``FAKE_MANAGER_ERROR`` if set); ``FAKE_MANAGER_ACTIVE``
is what ``is-active`` answers (default active).
"""

import json
import os
import sys
from pathlib import Path

argv = sys.argv[1:]
with open(os.environ["FAKE_MANAGER_LOG"], "a") as log:
    log.write(json.dumps([Path(sys.argv[0]).name, *argv]) + "\n")
fail = os.environ.get("FAKE_MANAGER_FAIL")
if fail and fail in argv:
    message = f"Failed to {fail} idmd.service: Unit idmd.service failed."
    print(os.environ.get("FAKE_MANAGER_ERROR", message), file=sys.stderr)
    sys.exit(1)
if "is-active" in argv:
    state = os.environ.get("FAKE_MANAGER_ACTIVE", "active")
    print(state)
    sys.exit(0 if state == "active" else 3)
if "is-enabled" in argv:
    print("enabled")
if "print" in argv:
    print("gui/501/io.idm.idmd = {\n\tstate = running\n}")
