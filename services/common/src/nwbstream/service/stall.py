"""A fault for tests: a reader stuck mid-stream, as one on a dead network mount is, while the server still answers.

With NWBSTREAM_TEST_STALL_FILE=PATH in a service's environment (read at start), every chunk read waits for as long
as PATH exists: a test creates the file to hang the service's streams and removes it to let them go. Unset, as in
any real deployment, a read does not look.
"""

from __future__ import annotations

import os
import time

STALL_FILE_ENV = "NWBSTREAM_TEST_STALL_FILE"
_STALL_FILE = os.environ.get(STALL_FILE_ENV)


def wait_while_stalled() -> None:
    while _STALL_FILE and os.path.exists(_STALL_FILE):
        time.sleep(0.05)
