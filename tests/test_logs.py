"""The conversion service's logs: one JSON object per line on stderr, with the job id of the context that logged."""

from __future__ import annotations

import json
import logging
import threading
from datetime import datetime

import pytest
from nwbstream.coordinator.server.logs import configure_json_logging, job_context


@pytest.fixture
def json_lines(capsys):
    """Logging configured as the service does it (in the test, once stderr is captured); reads what it wrote. The
    root logger is put back as it was afterwards."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level

    def lines() -> list[dict]:
        return [json.loads(line) for line in capsys.readouterr().err.splitlines()]

    yield lines
    root.handlers[:] = handlers
    root.setLevel(level)


def test_each_record_is_one_json_object_with_the_job_id(json_lines):
    configure_json_logging("INFO")
    log = logging.getLogger("nwbstream.test")
    log.info("before")
    with job_context("job-1"):
        log.warning("converting %s\nacross lines", "s.nwb")
        with job_context("job-2"):
            log.error("inner")
        log.info("outer again")
    log.debug("below the level")
    records = json_lines()
    assert [(r["level"], r["message"], r.get("job_id")) for r in records] == [
        ("INFO", "before", None),
        ("WARNING", "converting s.nwb\nacross lines", "job-1"),
        ("ERROR", "inner", "job-2"),
        ("INFO", "outer again", "job-1"),
    ]
    assert {r["logger"] for r in records} == {"nwbstream.test"}
    assert "job_id" not in records[0]
    assert all(datetime.fromisoformat(r["time"]).utcoffset().total_seconds() == 0 for r in records)


def test_threads_keep_their_own_job(json_lines):
    configure_json_logging(logging.INFO)
    log = logging.getLogger("nwbstream.test")
    barrier = threading.Barrier(2)

    def run(job_id: str) -> None:
        with job_context(job_id):
            barrier.wait()  # both contexts set before either logs
            log.info("working")

    threads = [threading.Thread(target=run, args=(job,)) for job in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(r["job_id"] for r in json_lines()) == ["a", "b"]


def test_an_exception_keeps_its_traceback(json_lines):
    configure_json_logging()
    try:
        raise ValueError("bad input")
    except ValueError:
        with job_context("job-3"):
            logging.getLogger("nwbstream.test").exception("failed")
    (record,) = json_lines()
    assert record["message"] == "failed" and record["job_id"] == "job-3"
    assert record["exception"].startswith("Traceback") and record["exception"].endswith("ValueError: bad input")
