"""The job store in one SQLite file: the embedded default, for one machine.

One connection per store, used under a lock by the store's threads. Write transactions begin IMMEDIATE, taking
the file's write lock at once, so a claim is atomic across processes too (other writers wait up to BUSY_TIMEOUT).
WAL journaling lets readers go on while a writer works.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ...errors import ConversionError
from .migrations import Executor
from .sql import SQLJobStore

BUSY_TIMEOUT = 30.0  # seconds a write waits for another process's transaction


class SQLiteJobStore(SQLJobStore):
    dialect = "sqlite"

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._connection = sqlite3.connect(
                self.path, timeout=BUSY_TIMEOUT, isolation_level=None, check_same_thread=False
            )
            self._connection.execute("PRAGMA journal_mode = WAL")
        except (OSError, sqlite3.Error) as error:
            raise ConversionError(f"{self.path}: cannot open the job store: {error}") from None
        self._lock = threading.RLock()
        super().__init__(str(self.path))

    @contextmanager
    def _transaction(self, write: bool = True) -> Iterator[Executor]:
        with self._lock:
            self._connection.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            try:
                yield self._connection
            except BaseException:
                self._connection.execute("ROLLBACK")
                raise
            self._connection.execute("COMMIT")

    def _serialize_claims(self, tx: Executor) -> None:
        """Nothing to add: BEGIN IMMEDIATE already lets one write transaction run at a time."""

    def close(self) -> None:
        with self._lock:
            self._connection.close()
