"""The job store in SQL, once for both databases: every query, and the conversion between rows and JobRecords.

A database subclass gives only what differs: how a transaction is opened (SQLite: `BEGIN IMMEDIATE` under a lock;
PostgreSQL: a pooled connection), how claims are serialized (PostgreSQL: a transaction-level advisory lock, so
the limits hold across replicas) and how the claimed row is locked (PostgreSQL: `FOR UPDATE SKIP LOCKED`).
Queries are written with `?` parameters; the PostgreSQL executor turns them into its own.
"""

from __future__ import annotations

import json
import time
import uuid
from abc import ABC, abstractmethod
from collections.abc import Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import fields
from typing import Any, ClassVar

from .base import ACTIVE_STATES, FINAL_STATES, JobRecord, JobState, NewJob
from .migrations import Executor, migrate

COLUMNS = tuple(field.name for field in fields(JobRecord))
_SELECT = f"SELECT {', '.join(COLUMNS)} FROM jobs"
_RETURNING = f" RETURNING {', '.join(COLUMNS)}"
_JSON = frozenset({"options", "report", "dandi"})
# What a replica may set on a job it holds; the rest belongs to the store (ids, claims, timestamps, version).
UPDATABLE = frozenset(
    {"state", "nwbfile_name", "spec_name", "options", "bytes_done", "bytes_total", "error", "output", "report", "dandi"}
)
_ACTIVE = "({})".format(", ".join(f"'{state.value}'" for state in sorted(ACTIVE_STATES)))
_HELD = f"id = ? AND claimed_by = ? AND state IN {_ACTIVE}"


def to_record(row: Sequence[Any]) -> JobRecord:
    values = dict(zip(COLUMNS, row, strict=True))
    for name in _JSON:
        values[name] = None if values[name] is None else json.loads(values[name])
    values["state"] = JobState(values["state"])
    values["cancel_requested"] = bool(values["cancel_requested"])
    return JobRecord(**values)


def to_column(name: str, value: Any) -> Any:
    if name in _JSON:
        return None if value is None else json.dumps(value)
    return value.value if isinstance(value, JobState) else value


def _assignments(changes: dict[str, Any]) -> tuple[str, list[Any]]:
    """`a = ?, b = ?, version = version + 1` and its parameters."""
    sql = ", ".join([*(f"{name} = ?" for name in changes), "version = version + 1"])
    return sql, [to_column(name, value) for name, value in changes.items()]


def _checked_fields(given: dict[str, Any]) -> dict[str, Any]:
    unknown = sorted(set(given) - UPDATABLE)
    if unknown:
        raise ValueError(f"job fields {unknown} cannot be set: settable are {sorted(UPDATABLE)}")
    return given


def _first(cursor: Any) -> Any:
    """The first row or None; reads every row, so no statement stays open at commit."""
    rows = cursor.fetchall()
    return rows[0] if rows else None


class SQLJobStore(ABC):
    """The JobStore protocol (base.py) over a SQL database; `where` names the database in errors."""

    dialect: ClassVar[str]
    lock_claimed_row: ClassVar[str] = ""  # appended to the claim's SELECT

    def __init__(self, where: str) -> None:
        self.where = where
        with self._migration_lock():
            migrate(self._transaction, self.dialect, where)

    @abstractmethod
    def _transaction(self, write: bool = True) -> AbstractContextManager[Executor]:
        """A transaction, committed when the block ends and rolled back on an error; `write`: it will write."""

    def _migration_lock(self) -> AbstractContextManager[object]:
        """Held while migrating: keeps stores that open the database at once from migrating it together."""
        return nullcontext()

    @abstractmethod
    def _serialize_claims(self, tx: Executor) -> None:
        """Called first in a claim's transaction: no other claim may run until it ends."""

    @abstractmethod
    def close(self) -> None: ...

    def __enter__(self) -> SQLJobStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def add(self, jobs: Sequence[NewJob]) -> list[JobRecord]:
        now = time.time()
        added = []
        with self._transaction() as tx:
            for job in jobs:
                row = {
                    "id": uuid.uuid4().hex,
                    "lab": job.lab,
                    "state": JobState.QUEUED,
                    "session": job.session,
                    "nwbfile_name": job.nwbfile_name,
                    "spec_yaml": job.spec_yaml,
                    "spec_name": job.spec_name,
                    "options": job.options,
                    "created_at": now,
                    "not_before": now,
                }
                sql = f"INSERT INTO jobs ({', '.join(row)}) VALUES ({', '.join('?' * len(row))}){_RETURNING}"
                added.append(to_record(_first(tx.execute(sql, [to_column(k, v) for k, v in row.items()]))))
        return added

    def get(self, job_id: str, lab: str | None = None) -> JobRecord | None:
        with self._transaction(write=False) as tx:
            if lab is None:
                row = _first(tx.execute(f"{_SELECT} WHERE id = ?", (job_id,)))
            else:
                row = _first(tx.execute(f"{_SELECT} WHERE id = ? AND lab = ?", (job_id, lab)))
        return None if row is None else to_record(row)

    def list(self, lab: str, limit: int = 100) -> list[JobRecord]:
        with self._transaction(write=False) as tx:
            rows = tx.execute(f"{_SELECT} WHERE lab = ? ORDER BY seq DESC LIMIT ?", (lab, limit)).fetchall()
        return [to_record(row) for row in rows]

    def claim(
        self, replica: str, lease: float, max_active: int, max_active_per_lab: int, max_attempts: int
    ) -> JobRecord | None:
        now = time.time()
        with self._transaction() as tx:
            self._serialize_claims(tx)
            tx.execute(
                "UPDATE jobs SET state = 'failed', error = 'its coordinator stopped ' || attempts || ' times while"
                " running it', finished_at = ?, claimed_by = NULL, claim_expires = NULL, version = version + 1"
                f" WHERE state IN {_ACTIVE} AND claim_expires <= ? AND attempts >= ?",
                (now, now, max_attempts),
            )
            active = f"SELECT COUNT(*) FROM jobs WHERE state IN {_ACTIVE} AND claim_expires > ?"
            if _first(tx.execute(active, (now,)))[0] >= max_active:
                return None
            candidate = _first(
                tx.execute(
                    "SELECT id FROM jobs WHERE ((state = 'queued' AND not_before <= ?)"
                    f" OR (state IN {_ACTIVE} AND claim_expires <= ?)) AND lab NOT IN (SELECT lab FROM jobs"
                    f" WHERE state IN {_ACTIVE} AND claim_expires > ? GROUP BY lab HAVING COUNT(*) >= ?)"
                    f" ORDER BY seq LIMIT 1{self.lock_claimed_row}",
                    (now, now, now, max_active_per_lab),
                )
            )
            if candidate is None:
                return None
            row = _first(
                tx.execute(
                    "UPDATE jobs SET state = 'running', attempts = attempts + 1, claimed_by = ?, claim_expires = ?,"
                    f" started_at = COALESCE(started_at, ?), version = version + 1 WHERE id = ?{_RETURNING}",
                    (replica, now + lease, now, candidate[0]),
                )
            )
        return to_record(row)

    def renew(self, job_id: str, replica: str, lease: float) -> bool:
        return self._change_held(job_id, replica, {"claim_expires": time.time() + lease})

    def update(self, job_id: str, replica: str, **fields: Any) -> bool:
        changes = _checked_fields(fields)
        if "state" in changes and JobState(changes["state"]) not in ACTIVE_STATES:
            raise ValueError(f"update sets an active state, not {changes['state']!r}: use finish or requeue")
        return self._change_held(job_id, replica, changes)

    def finish(self, job_id: str, replica: str, state: JobState, error: str = "", **fields: Any) -> bool:
        if JobState(state) not in FINAL_STATES:
            raise ValueError(f"finish ends a job as done, failed or cancelled, not {state!r}")
        ending = {"state": JobState(state), "error": error, "finished_at": time.time()}
        release = {"claimed_by": None, "claim_expires": None}
        return self._change_held(job_id, replica, _checked_fields(fields) | ending | release)

    def requeue(self, job_id: str, replica: str, error: str, not_before: float) -> bool:
        changes = {"state": JobState.QUEUED, "error": error, "not_before": not_before}
        return self._change_held(job_id, replica, changes | {"claimed_by": None, "claim_expires": None})

    def _change_held(self, job_id: str, replica: str, changes: dict[str, Any]) -> bool:
        assignments, params = _assignments(changes)
        with self._transaction() as tx:
            cursor = tx.execute(f"UPDATE jobs SET {assignments} WHERE {_HELD}", (*params, job_id, replica))
            return cursor.rowcount == 1

    def request_cancel(self, job_id: str, lab: str) -> JobRecord | None:
        with self._transaction() as tx:
            tx.execute(
                "UPDATE jobs SET state = 'cancelled', finished_at = ?, version = version + 1"
                " WHERE id = ? AND lab = ? AND state = 'queued'",
                (time.time(), job_id, lab),
            )
            tx.execute(
                "UPDATE jobs SET cancel_requested = TRUE, version = version + 1"
                f" WHERE id = ? AND lab = ? AND state IN {_ACTIVE} AND NOT cancel_requested",
                (job_id, lab),
            )
            row = _first(tx.execute(f"{_SELECT} WHERE id = ? AND lab = ?", (job_id, lab)))
        return None if row is None else to_record(row)

    def release(self, replica: str) -> int:
        now = time.time()
        with self._transaction() as tx:
            cursor = tx.execute(
                "UPDATE jobs SET claim_expires = ?, version = version + 1"
                f" WHERE claimed_by = ? AND state IN {_ACTIVE} AND claim_expires > ?",
                (now, replica, now),
            )
            return cursor.rowcount

    def counts(self) -> dict[JobState, int]:
        with self._transaction(write=False) as tx:
            rows = tx.execute("SELECT state, COUNT(*) FROM jobs GROUP BY state").fetchall()
        return {state: 0 for state in JobState} | {JobState(state): count for state, count in rows}
