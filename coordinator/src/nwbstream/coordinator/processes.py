"""Whether a process of this host still runs: what a killed coordinator left (a partial output, the embedded
services' folder) is named after its process, and removed once that process is gone."""

from __future__ import annotations

import os


def running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True
