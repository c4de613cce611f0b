"""The job store's schema as an ordered list of migrations, and the one routine that brings a database up to date.

A database records the migrations it has had in `schema_version`. Each pending migration runs in a transaction of
its own, together with its `schema_version` row, and re-reads the version inside that transaction, so a migration
runs once even when several stores open the database at once (SQLite serializes the transactions; PostgreSQL
replicas also hold an advisory lock around the whole routine). A database newer than this code is refused: the
code would misread it.

Statements are SQL that SQLite and PostgreSQL both accept; `{name}` fields are the few types that differ.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Protocol

from ...errors import ConversionError


class Executor(Protocol):
    """A connection in a transaction; `?` marks a parameter whatever the database."""

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any: ...


DIALECT_TYPES = {
    "sqlite": {"serial": "INTEGER PRIMARY KEY AUTOINCREMENT"},
    "postgresql": {"serial": "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY"},
}


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    statements: tuple[str, ...]

    def sql(self, dialect: str) -> list[str]:
        return [statement.format(**DIALECT_TYPES[dialect]) for statement in self.statements]


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "jobs",
        (
            # seq orders jobs by submission (ids are random); JSON columns hold options, report and dandi.
            """CREATE TABLE jobs (
                seq {serial},
                id TEXT NOT NULL UNIQUE,
                lab TEXT NOT NULL,
                state TEXT NOT NULL,
                session TEXT NOT NULL,
                nwbfile_name TEXT NOT NULL,
                spec_yaml TEXT NOT NULL,
                spec_name TEXT NOT NULL,
                options TEXT NOT NULL,
                created_at DOUBLE PRECISION NOT NULL,
                started_at DOUBLE PRECISION,
                finished_at DOUBLE PRECISION,
                bytes_done BIGINT NOT NULL DEFAULT 0,
                bytes_total BIGINT NOT NULL DEFAULT 0,
                attempts INTEGER NOT NULL DEFAULT 0,
                error TEXT NOT NULL DEFAULT '',
                output TEXT NOT NULL DEFAULT '',
                report TEXT,
                dandi TEXT,
                cancel_requested BOOLEAN NOT NULL DEFAULT FALSE,
                claimed_by TEXT,
                claim_expires DOUBLE PRECISION,
                not_before DOUBLE PRECISION NOT NULL,
                version BIGINT NOT NULL DEFAULT 1
            )""",
            "CREATE INDEX jobs_by_lab ON jobs (lab, seq)",
            "CREATE INDEX jobs_by_state ON jobs (state, claim_expires)",
        ),
    ),
)
LATEST = MIGRATIONS[-1].version

_SCHEMA_VERSION = """CREATE TABLE IF NOT EXISTS schema_version (
    version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at DOUBLE PRECISION NOT NULL)"""


def migrate(transaction: Callable[[], AbstractContextManager[Executor]], dialect: str, where: str) -> list[int]:
    """Applies the pending migrations, each in its own `transaction()`; returns the versions it applied (none when
    the database is up to date). `where` names the database in errors."""
    with transaction() as tx:
        tx.execute(_SCHEMA_VERSION)
        _check_not_newer(_version(tx), where)
    applied = []
    for migration in MIGRATIONS:
        with transaction() as tx:
            current = _version(tx)
            _check_not_newer(current, where)
            if migration.version <= current:
                continue
            for statement in migration.sql(dialect):
                tx.execute(statement)
            tx.execute(
                "INSERT INTO schema_version (version, name, applied_at) VALUES (?, ?, ?)",
                (migration.version, migration.name, time.time()),
            )
            applied.append(migration.version)
    return applied


def _version(tx: Executor) -> int:
    return tx.execute("SELECT COALESCE(MAX(version), 0) FROM schema_version").fetchall()[0][0]


def _check_not_newer(version: int, where: str) -> None:
    if version > LATEST:
        raise ConversionError(
            f"{where}: the job store's schema is version {version}, newer than this nwbstream knows (up to"
            f" {LATEST}); run a newer nwbstream on it"
        )
