"""The job store in PostgreSQL: for a cluster, where several coordinator replicas share one database.

Connections come from a pool (the gRPC handlers and workers of one replica run at once). A claim locks the row
it takes with FOR UPDATE SKIP LOCKED and runs under a transaction-level advisory lock, so the active jobs that
the limits count cannot change under it: two replicas never exceed the limits together. Migrations run under a
session-level advisory lock, so replicas that start together migrate once.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg_pool import ConnectionPool

from ...errors import ConversionError
from .migrations import Executor
from .sql import SQLJobStore

# Advisory lock keys, one database-wide number each ("nwbs" and a counter).
MIGRATION_LOCK = 0x6E776273_0001
CLAIM_LOCK = 0x6E776273_0002
CONNECT_TIMEOUT = 10  # seconds


class _Placeholders:
    """A connection in a transaction that takes the store's `?` parameters."""

    def __init__(self, connection: psycopg.Connection) -> None:
        self._connection = connection

    def execute(self, sql: str, params: Sequence[Any] = ()) -> psycopg.Cursor:
        return self._connection.execute(sql.replace("?", "%s"), params)


def redacted(url: str) -> str:
    """The URL without its password, to name the database in errors and logs."""
    return re.sub(r"(://[^:/@]*):[^@]*@", r"\1:***@", url)


class PostgresJobStore(SQLJobStore):
    dialect = "postgresql"
    lock_claimed_row = " FOR UPDATE SKIP LOCKED"

    def __init__(self, url: str, pool_size: int = 10) -> None:
        self.url = url
        self._pool = ConnectionPool(
            url,
            min_size=1,
            max_size=pool_size,
            kwargs={"autocommit": True, "connect_timeout": CONNECT_TIMEOUT},
            check=ConnectionPool.check_connection,
            open=True,
        )
        try:
            super().__init__(redacted(url))
        except BaseException:
            self._pool.close()
            raise

    @contextmanager
    def _migration_lock(self) -> Iterator[None]:
        try:
            connection = psycopg.connect(self.url, autocommit=True, connect_timeout=CONNECT_TIMEOUT)
        except psycopg.Error as error:
            raise ConversionError(f"{self.where}: cannot connect to the job store: {error}") from None
        with connection:
            connection.execute("SELECT pg_advisory_lock(%s)", (MIGRATION_LOCK,))
            try:
                yield
            finally:
                connection.execute("SELECT pg_advisory_unlock(%s)", (MIGRATION_LOCK,))

    @contextmanager
    def _transaction(self, write: bool = True) -> Iterator[Executor]:
        with self._pool.connection() as connection, connection.transaction():
            yield _Placeholders(connection)

    def _serialize_claims(self, tx: Executor) -> None:
        tx.execute("SELECT pg_advisory_xact_lock(?)", (CLAIM_LOCK,))

    def close(self) -> None:
        self._pool.close()
