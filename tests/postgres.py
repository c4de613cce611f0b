"""A throwaway PostgreSQL server for the tests, from the machine's PostgreSQL binaries (Debian's postgresql
package; .ci/run installs it): a new cluster in a temporary folder, on a free loopback port, with a random
password, stopped and removed at the end. As root, the server runs as the `postgres` system user (PostgreSQL
refuses to run as root). No server, no test: a machine without PostgreSQL fails here, naming what to install.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import re
import secrets
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg

SERVER_USER = "postgres"  # the system user a root test run starts the server as


def binaries() -> Path:
    """The folder of initdb and pg_ctl: on PATH, else the newest of Debian's /usr/lib/postgresql/<major>/bin."""
    on_path = shutil.which("initdb")
    if on_path:
        return Path(on_path).parent
    found = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"),
        key=lambda path: int(re.sub(r"\D", "", path.parent.parent.name) or 0),
    )
    if not found:
        raise RuntimeError(
            "PostgreSQL not found (no initdb on PATH nor in /usr/lib/postgresql/*/bin): the job store's tests need"
            " it; install it with `apt-get install -y postgresql` (as .ci/run does)"
        )
    return found[-1].parent


def _run(command: list[str], what: str) -> None:
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"{what} failed ({' '.join(command)}):\n{result.stdout}{result.stderr}")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _as_server_user(*owned: Path) -> list[str]:
    """The prefix that runs a command as the server's user: as root, `postgres` (given `owned`); else oneself."""
    if os.geteuid() != 0:
        return []
    try:
        user = pwd.getpwnam(SERVER_USER)
    except KeyError:
        raise RuntimeError(
            f"no system user {SERVER_USER!r} to run PostgreSQL as (the postgresql package makes it)"
        ) from None
    for path in owned:
        os.chown(path, user.pw_uid, user.pw_gid)
    return ["runuser", "-u", SERVER_USER, "--"]


@contextlib.contextmanager
def postgres_server() -> Iterator[str]:
    """A running server for the block; yields the URL of its `postgres` database as its `postgres` superuser."""
    bin_folder = binaries()
    folder = Path(tempfile.mkdtemp(prefix="nwbstream-pg-"))  # in /tmp: the server user can reach it
    try:
        password = secrets.token_hex(16)
        password_file = folder / "password"
        password_file.write_text(password)
        as_server_user = _as_server_user(folder, password_file)
        data, log, port = folder / "data", folder / "server.log", _free_port()
        initdb = [str(bin_folder / "initdb"), "-D", str(data), "-U", "postgres", f"--pwfile={password_file}"]
        _run([*as_server_user, *initdb, "-A", "scram-sha-256", "-E", "UTF8", "--locale=C", "--no-sync"], "initdb")
        pg_ctl = [*as_server_user, str(bin_folder / "pg_ctl"), "-D", str(data)]
        options = f"-p {port} -c listen_addresses=127.0.0.1 -k {folder} -c fsync=off -c full_page_writes=off"
        try:
            _run([*pg_ctl, "-l", str(log), "-o", options, "-w", "-t", "60", "start"], "pg_ctl start")
        except RuntimeError as error:
            raise RuntimeError(f"{error}\n{log}:\n{log.read_text() if log.exists() else '(no log)'}") from None
        try:
            yield f"postgresql://postgres:{password}@127.0.0.1:{port}/postgres"
        finally:
            _run([*pg_ctl, "-m", "fast", "-w", "stop"], "pg_ctl stop")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@contextlib.contextmanager
def fresh_database(server_url: str) -> Iterator[str]:
    """A new, empty database on the server of `server_url` for the block (dropped after); yields its URL."""
    name = f"test_{uuid.uuid4().hex}"
    with psycopg.connect(server_url, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{server_url.rsplit('/', 1)[0]}/{name}"
    finally:
        with psycopg.connect(server_url, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
