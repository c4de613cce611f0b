"""Whether an output can be written where it is asked for, found out before any source is read."""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

from .errors import ConversionError


def check_writable(folder: Path) -> None:
    """Writes and removes a probe in `folder`, or (when it does not exist yet) in its nearest existing parent, where
    it will be created: a read-only mount or a folder without write permission is refused here, naming it."""
    target = folder
    while not target.exists() and target != target.parent:
        target = target.parent
    if not target.is_dir():
        raise ConversionError(f"{folder}: cannot be the output folder: {target} is not a folder")
    try:
        descriptor, probe = tempfile.mkstemp(prefix=".nwbstream-probe-", dir=target)
    except OSError as error:
        raise ConversionError(f"{folder}: cannot write there: {error.strerror or error}") from None
    os.close(descriptor)
    os.unlink(probe)


def write_failure(path: Path, error: OSError) -> ConversionError:
    """A failed write (a full disk, a mount gone read-only) in words, naming the file: HDF5 buries the system's
    reason in a long message ("..., error message = 'No space left on device', ...")."""
    found = re.search(r"error message = '([^']+)'", str(error))
    reason = found.group(1) if found else error.strerror or str(error)
    return ConversionError(f"{path}: cannot write the file: {reason}; nothing was left there")
