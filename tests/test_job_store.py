"""The job store (server/store): every test runs on SQLite (a file in tmp_path) and on a real PostgreSQL (a fresh
database on the session's throwaway server). Several stores opened on one database stand for several replicas."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
import uuid
from collections import Counter
from contextlib import closing

import psycopg
import pytest
from nwbstream.coordinator.errors import ConversionError
from nwbstream.coordinator.server.store import JobState, NewJob, open_store
from nwbstream.coordinator.server.store.migrations import LATEST, MIGRATIONS

from .postgres import fresh_database

LEASE = 60.0
SHORT_LEASE = 0.2  # expired after a sleep of EXPIRED; long enough for the statements that follow a claim
EXPIRED = 0.3
NO_LIMIT = {"max_active": 1000, "max_active_per_lab": 1000, "max_attempts": 3}


def job(lab: str = "lab-a", n: int = 0, **options) -> NewJob:
    return NewJob(lab, f"exp/{n}", f"sub-{n}.nwb", f"spec: {n}\n", spec_name="spec.yml", options=options)


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/store/jobs.db"  # a folder not made yet: the store makes it
    else:
        with fresh_database(request.getfixturevalue("postgres_url")) as url:
            yield url


@pytest.fixture
def replicas(store_url):
    """Opens another store on the test's database (another replica); all are closed at the end."""
    opened = []

    def open_replica():
        opened.append(open_store(store_url))
        return opened[-1]

    yield open_replica
    for store in opened:
        store.close()


@pytest.fixture
def store(replicas):
    return replicas()


def query(url: str, sql: str) -> list[tuple]:
    """Reads or writes the database behind the store's back."""
    if url.startswith("sqlite:///"):
        with closing(sqlite3.connect(url.removeprefix("sqlite:///"))) as connection, connection:
            return connection.execute(sql).fetchall()
    with psycopg.connect(url, autocommit=True) as connection:
        cursor = connection.execute(sql)
        return cursor.fetchall() if cursor.description else []


def test_add_get_list(store):
    added = store.add([job(n=0, stub=True), job(n=1), job("lab-b", 2)])
    assert [record.session for record in added] == ["exp/0", "exp/1", "exp/2"]
    first = added[0]
    assert first.id == uuid.UUID(first.id).hex and uuid.UUID(first.id).version == 4
    assert len({record.id for record in added}) == 3
    assert (first.lab, first.state, first.nwbfile_name, first.spec_yaml, first.spec_name) == (
        "lab-a",
        JobState.QUEUED,
        "sub-0.nwb",
        "spec: 0\n",
        "spec.yml",
    )
    assert first.options == {"stub": True} and first.report is None and first.dandi is None
    assert (first.attempts, first.bytes_done, first.cancel_requested, first.claimed_by, first.version) == (
        0,
        0,
        False,
        None,
        1,
    )
    assert abs(first.created_at - time.time()) < 5 and first.started_at is None
    assert store.get(first.id) == first
    assert store.get(first.id, "lab-a") == first
    assert store.get(first.id, "lab-b") is None
    assert store.get("0" * 32) is None
    assert [record.id for record in store.list("lab-a")] == [added[1].id, added[0].id]  # newest first
    assert [record.id for record in store.list("lab-a", limit=1)] == [added[1].id]
    assert [record.id for record in store.list("lab-b")] == [added[2].id]
    assert store.list("lab-c") == []


def test_add_is_all_or_none(store):
    with pytest.raises(TypeError):
        store.add([job(n=0), job(n=1, unwritable=object())])
    assert store.list("lab-a") == []


def test_claim_takes_the_oldest_and_runs_it(store):
    ids = [record.id for record in store.add([job(n=n) for n in range(3)])]
    before = time.time()
    claimed = store.claim("replica-1", LEASE, **NO_LIMIT)
    assert claimed.id == ids[0]
    assert (claimed.state, claimed.attempts, claimed.claimed_by, claimed.version) == (
        JobState.RUNNING,
        1,
        "replica-1",
        2,
    )
    assert before <= claimed.started_at <= time.time()
    assert claimed.claim_expires == pytest.approx(claimed.started_at + LEASE)
    assert store.get(ids[0]) == claimed
    assert [store.claim("replica-1", LEASE, **NO_LIMIT).id for _ in range(2)] == ids[1:]
    assert store.claim("replica-1", LEASE, **NO_LIMIT) is None


def test_concurrent_replicas_never_claim_one_job_twice(store, replicas):
    ids = {record.id for record in store.add([job(f"lab-{n % 3}", n) for n in range(20)])}
    claimers = [replicas() for _ in range(3)]
    claimed: list[list[str]] = [[] for _ in claimers]
    start = threading.Barrier(len(claimers))

    def claim_all(index: int) -> None:
        start.wait()
        while (record := claimers[index].claim(f"replica-{index}", LEASE, **NO_LIMIT)) is not None:
            claimed[index].append(record.id)

    threads = [threading.Thread(target=claim_all, args=(index,)) for index in range(len(claimers))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    everything = [job_id for ids_of_one in claimed for job_id in ids_of_one]
    assert len(everything) == len(set(everything)) == 20
    assert set(everything) == ids
    for index, ids_of_one in enumerate(claimed):
        assert all(store.get(job_id).claimed_by == f"replica-{index}" for job_id in ids_of_one)


def test_two_processes_on_one_sqlite_file_never_claim_one_job_twice(tmp_path):
    path = tmp_path / "jobs.db"
    with closing(open_store(f"sqlite:///{path}")) as store:
        ids = {record.id for record in store.add([job(n=n) for n in range(40)])}
    # Each process waits for the other at a barrier of files, then claims as a worker does (a pause per job).
    script = textwrap.dedent(
        f"""
        import pathlib, sys, time
        from nwbstream.coordinator.server.store import open_store
        store = open_store("sqlite:///{path}")
        (pathlib.Path("{tmp_path}") / ("ready-" + sys.argv[1])).touch()
        deadline = time.time() + 30
        while len(list(pathlib.Path("{tmp_path}").glob("ready-*"))) < 2 and time.time() < deadline:
            time.sleep(0.01)
        while (record := store.claim(sys.argv[1], 60, 1000, 1000, 3)) is not None:
            print(record.id, flush=True)
            time.sleep(0.005)
        """
    )
    processes = [
        subprocess.Popen([sys.executable, "-c", script, f"process-{n}"], stdout=subprocess.PIPE, text=True)
        for n in range(2)
    ]
    outputs = [process.communicate(timeout=60)[0].split() for process in processes]
    assert [process.returncode for process in processes] == [0, 0]
    everything = outputs[0] + outputs[1]
    assert len(everything) == len(set(everything)) == 40
    assert set(everything) == ids
    assert all(outputs), "one process claimed everything: the claims did not overlap"


def test_per_lab_and_global_limits(store):
    a0, a1, b0, c0 = store.add([job("lab-a", 0), job("lab-a", 1), job("lab-b", 2), job("lab-c", 3)])
    limits = {"max_active": 2, "max_active_per_lab": 1, "max_attempts": 3}
    assert store.claim("r", LEASE, **limits).id == a0.id
    assert store.claim("r", LEASE, **limits).id == b0.id  # lab-a is at its limit: its next job waits
    assert store.claim("r", LEASE, **limits) is None  # two active overall
    assert store.finish(a0.id, "r", JobState.DONE)
    assert store.claim("r", LEASE, **limits).id == a1.id
    assert store.claim("r", LEASE, **limits) is None
    assert store.get(c0.id).state == JobState.QUEUED


def test_limits_hold_across_concurrent_replicas(store, replicas):
    store.add([job(f"lab-{n % 2}", n) for n in range(10)])
    claimers = [replicas() for _ in range(4)]
    limits = {"max_active": 3, "max_active_per_lab": 2, "max_attempts": 3}
    start = threading.Barrier(len(claimers))
    claimed = []

    def claim_some(index: int) -> None:
        start.wait()
        for _ in range(3):
            record = claimers[index].claim(f"replica-{index}", LEASE, **limits)
            if record is not None:
                claimed.append(record)

    threads = [threading.Thread(target=claim_some, args=(index,)) for index in range(len(claimers))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(claimed) == 3
    assert max(Counter(record.lab for record in claimed).values()) == 2
    assert store.counts()[JobState.RUNNING] == 3


def test_expired_claim_is_taken_over_and_the_old_replica_refused(store, replicas):
    (added,) = store.add([job()])
    other = replicas()
    old = store.claim("old", SHORT_LEASE, **NO_LIMIT)
    assert old.id == added.id
    assert other.claim("new", LEASE, **NO_LIMIT) is None  # still held
    time.sleep(EXPIRED)
    taken = other.claim("new", LEASE, **NO_LIMIT)
    assert (taken.id, taken.state, taken.attempts, taken.claimed_by) == (added.id, JobState.RUNNING, 2, "new")
    assert taken.started_at == old.started_at  # the job's first start
    assert not store.renew(added.id, "old", LEASE)
    assert not store.update(added.id, "old", bytes_done=5)
    assert not store.requeue(added.id, "old", "late", time.time())
    assert not store.finish(added.id, "old", JobState.DONE)
    assert store.get(added.id) == taken
    assert other.renew(added.id, "new", LEASE)


def test_validating_job_whose_claim_expired_runs_again(store):
    (added,) = store.add([job()])
    store.claim("old", SHORT_LEASE, **NO_LIMIT)
    assert store.update(added.id, "old", state=JobState.VALIDATING)
    time.sleep(EXPIRED)
    taken = store.claim("new", LEASE, **NO_LIMIT)
    assert (taken.id, taken.state, taken.attempts) == (added.id, JobState.RUNNING, 2)


def test_takeover_past_max_attempts_fails_the_job(store):
    first, second = store.add([job(n=0), job(n=1)])
    store.claim("old", SHORT_LEASE, **NO_LIMIT)
    time.sleep(EXPIRED)
    assert store.claim("new", LEASE, max_active=10, max_active_per_lab=10, max_attempts=1).id == second.id
    failed = store.get(first.id)
    assert (failed.state, failed.error, failed.claimed_by, failed.claim_expires, failed.attempts) == (
        JobState.FAILED,
        "its coordinator stopped 1 times while running it",
        None,
        None,
        1,
    )
    assert failed.finished_at is not None
    assert store.claim("new", LEASE, **NO_LIMIT) is None


def test_expired_claims_do_not_count_against_the_limits(store):
    first, second = store.add([job(n=0), job(n=1)])
    store.claim("dead", SHORT_LEASE, **NO_LIMIT)
    time.sleep(EXPIRED)
    limits = {"max_active": 1, "max_active_per_lab": 1, "max_attempts": 3}
    assert store.claim("alive", LEASE, **limits).id == first.id  # taken over, not blocked by its own old claim
    assert store.claim("alive", LEASE, **limits) is None


def test_renew_extends_the_claim(store):
    (added,) = store.add([job()])
    claimed = store.claim("r", SHORT_LEASE, **NO_LIMIT)
    assert store.renew(added.id, "r", LEASE)
    renewed = store.get(added.id)
    assert renewed.claim_expires > time.time() + LEASE - 5
    assert renewed.version == claimed.version + 1
    time.sleep(EXPIRED)
    assert store.claim("other", LEASE, **NO_LIMIT) is None
    assert not store.renew(added.id, "other", LEASE)


def test_update_and_finish(store):
    (added,) = store.add([job()])
    claimed = store.claim("r", LEASE, **NO_LIMIT)
    assert store.update(added.id, "r", bytes_done=10, bytes_total=100, report={"checks": [1, 2]})
    assert store.update(added.id, "r", state=JobState.VALIDATING, output="out/sub-0.nwb")
    updated = store.get(added.id)
    assert (updated.bytes_done, updated.bytes_total, updated.report, updated.state, updated.output) == (
        10,
        100,
        {"checks": [1, 2]},
        JobState.VALIDATING,
        "out/sub-0.nwb",
    )
    assert updated.version == claimed.version + 2
    with pytest.raises(ValueError, match="claimed_by"):
        store.update(added.id, "r", claimed_by="someone")
    with pytest.raises(ValueError, match="finish or requeue"):
        store.update(added.id, "r", state=JobState.DONE)
    with pytest.raises(ValueError, match="running"):
        store.finish(added.id, "r", JobState.RUNNING)
    assert not store.finish(added.id, "other", JobState.DONE)
    assert store.finish(added.id, "r", JobState.DONE, dandi={"path": "sub-0/sub-0.nwb"})
    done = store.get(added.id)
    assert (done.state, done.error, done.claimed_by, done.claim_expires, done.dandi) == (
        JobState.DONE,
        "",
        None,
        None,
        {"path": "sub-0/sub-0.nwb"},
    )
    assert done.finished_at >= done.started_at
    assert done.version == updated.version + 1
    assert not store.update(added.id, "r", bytes_done=11)
    assert not store.renew(added.id, "r", LEASE)
    assert store.claim("r", LEASE, **NO_LIMIT) is None


def test_finish_failed_keeps_the_error(store):
    (added,) = store.add([job()])
    store.claim("r", LEASE, **NO_LIMIT)
    assert store.finish(added.id, "r", JobState.FAILED, "spec.yml: ecephys/file_path: no such file")
    failed = store.get(added.id)
    assert (failed.state, failed.error) == (JobState.FAILED, "spec.yml: ecephys/file_path: no such file")


def test_requeue_waits_until_not_before(store):
    (added,) = store.add([job()])
    store.claim("r", LEASE, **NO_LIMIT)
    not_before = time.time() + 0.3
    assert not store.requeue(added.id, "other", "service down", not_before)
    assert store.requeue(added.id, "r", "ecephys service unreachable", not_before)
    queued = store.get(added.id)
    assert (queued.state, queued.error, queued.claimed_by, queued.claim_expires, queued.not_before) == (
        JobState.QUEUED,
        "ecephys service unreachable",
        None,
        None,
        not_before,
    )
    assert store.claim("r", LEASE, **NO_LIMIT) is None
    time.sleep(max(0.0, not_before - time.time()) + 0.02)
    again = store.claim("r", LEASE, **NO_LIMIT)
    assert (again.id, again.attempts, again.error) == (added.id, 2, "ecephys service unreachable")


def test_request_cancel(store):
    running, done, theirs = store.add([job(n=0), job(n=1), job("lab-b", 2)])
    assert store.claim("r", LEASE, **NO_LIMIT).id == running.id
    assert store.claim("r", LEASE, **NO_LIMIT).id == done.id
    assert store.finish(done.id, "r", JobState.DONE)
    done_before = store.get(done.id)
    (queued,) = store.add([job(n=3)])

    cancelled = store.request_cancel(queued.id, "lab-a")
    assert (cancelled.state, cancelled.finished_at is not None, cancelled.version) == (JobState.CANCELLED, True, 2)
    flagged = store.request_cancel(running.id, "lab-a")
    assert (flagged.state, flagged.cancel_requested) == (JobState.RUNNING, True)
    assert store.request_cancel(running.id, "lab-a").version == flagged.version  # asked twice: one change
    assert store.request_cancel(done.id, "lab-a") == done_before
    assert store.request_cancel(theirs.id, "lab-a") is None
    assert store.request_cancel("0" * 32, "lab-a") is None
    assert store.get(theirs.id).state == JobState.QUEUED
    assert store.claim("r", LEASE, **NO_LIMIT).id == theirs.id  # the cancelled job is never claimed


def test_release_hands_the_jobs_to_the_next_claim(store, replicas):
    first, second, third = store.add([job(n=0), job(n=1), job(n=2)])
    assert store.claim("replica-1", LEASE, **NO_LIMIT).id == first.id
    assert store.claim("replica-1", LEASE, **NO_LIMIT).id == second.id
    assert store.claim("replica-2", LEASE, **NO_LIMIT).id == third.id
    assert store.release("replica-1") == 2
    assert store.release("replica-1") == 0
    restarted = replicas()
    resumed = [restarted.claim("replica-1", LEASE, **NO_LIMIT) for _ in range(2)]
    assert [(record.id, record.attempts) for record in resumed] == [(first.id, 2), (second.id, 2)]
    assert store.get(third.id).claimed_by == "replica-2"


def test_counts(store):
    records = store.add([job(n=n) for n in range(5)])
    store.claim("r", LEASE, **NO_LIMIT)
    store.claim("r", LEASE, **NO_LIMIT)
    store.finish(records[1].id, "r", JobState.FAILED, "bad input")
    store.request_cancel(records[4].id, "lab-a")
    assert store.counts() == {
        JobState.QUEUED: 2,
        JobState.RUNNING: 1,
        JobState.VALIDATING: 0,
        JobState.DONE: 0,
        JobState.FAILED: 1,
        JobState.CANCELLED: 1,
    }


def test_migrations_apply_once_and_reopening_changes_nothing(store_url, store, replicas):
    (added,) = store.add([job()])
    expected = [(migration.version, migration.name) for migration in MIGRATIONS]
    assert query(store_url, "SELECT version, name FROM schema_version ORDER BY version") == expected
    reopened = replicas()
    assert reopened.get(added.id) == added
    assert query(store_url, "SELECT version, name FROM schema_version ORDER BY version") == expected


def test_replicas_starting_together_migrate_once(store_url):
    opened, errors = [], []
    start = threading.Barrier(4)

    def open_one() -> None:
        start.wait()
        try:
            opened.append(open_store(store_url))
        except Exception as error:  # reported by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=open_one) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    for store in opened:
        store.close()
    assert errors == []
    assert len(opened) == 4
    assert query(store_url, "SELECT version FROM schema_version ORDER BY version") == [
        (migration.version,) for migration in MIGRATIONS
    ]


def test_a_newer_schema_is_refused(store_url, store):
    store.close()
    query(store_url, f"INSERT INTO schema_version (version, name, applied_at) VALUES ({LATEST + 1}, 'future', 0)")
    with pytest.raises(ConversionError, match=f"schema is version {LATEST + 1}, newer than this nwbstream") as error:
        open_store(store_url)
    if store_url.startswith("postgresql://"):
        password = store_url.split("@")[0].rsplit(":", 1)[1]
        assert password not in str(error.value) and ":***@127.0.0.1" in str(error.value)
