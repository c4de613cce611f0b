"""The rig's commands of `nwbstream` (submit, jobs, watch, cancel, fetch, upload): a conversion service reached with
`--server HOST:PORT` (or NWBSTREAM_SERVER) and the lab's token from NWBSTREAM_TOKEN or `--token-file`."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import TextIO

from nwbstream.v1 import conversion_pb2 as pb

from .errors import ConversionError
from .server.client import ConversionClient

DEFAULT_SERVER = "127.0.0.1:50051"
ENDED = {pb.JOB_STATE_DONE, pb.JOB_STATE_FAILED, pb.JOB_STATE_CANCELLED}


def add_rig_commands(commands: argparse._SubParsersAction) -> None:
    submit = commands.add_parser("submit", help="submit a spec to a conversion service; prints one job id per session")
    submit.add_argument("spec", type=Path, help="NeuroConv YAML specification (paths relative to the lab's data root)")
    submit.add_argument("--wait", action="store_true", help="follow the jobs to their end (progress on stderr)")
    submit.add_argument("--stub", action="store_true", help="convert only the first seconds of every stream")
    submit.add_argument("--backend", choices=["hdf5", "zarr"], help="overrides the spec's `backend`")
    submit.set_defaults(run=_submit)

    jobs = commands.add_parser("jobs", help="list the lab's jobs, newest first, one per line starting with its id")
    jobs.add_argument("--limit", type=int, default=0, help="at most this many (default: the server's)")
    jobs.set_defaults(run=_jobs)

    watch = commands.add_parser("watch", help="follow one job to its end (exit status 1 unless it is done)")
    watch.add_argument("job")
    watch.set_defaults(run=_watch)

    cancel = commands.add_parser("cancel", help="cancel a job (a running one stops at its next chunk)")
    cancel.add_argument("job")
    cancel.set_defaults(run=_cancel)

    fetch = commands.add_parser("fetch", help="copy a done job's NWB output to this machine")
    fetch.add_argument("job")
    fetch.add_argument("--output-folder", type=Path, default=Path("."), help="created if missing (default: .)")
    fetch.set_defaults(run=_fetch)

    upload = commands.add_parser(
        "upload", help="copy a session folder into the lab's data root (resumable); prints the name for specs"
    )
    upload.add_argument("folder", type=Path)
    upload.add_argument("--as", dest="name", help="the folder's name on the server (default: its own name)")
    upload.set_defaults(run=_upload)

    for parser in (submit, jobs, watch, cancel, fetch, upload):
        _connection_options(parser)


def _connection_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--server",
        default=os.environ.get("NWBSTREAM_SERVER", DEFAULT_SERVER),
        metavar="HOST:PORT",
        help=f"the conversion service (default: NWBSTREAM_SERVER or {DEFAULT_SERVER})",
    )
    parser.add_argument("--token-file", type=Path, help="file holding the lab's token (default: NWBSTREAM_TOKEN)")
    parser.add_argument("--tls-ca", type=Path, help="CA certificate that signed the server's (TLS); none: plaintext")


def client_from_args(args: argparse.Namespace) -> ConversionClient:
    return ConversionClient(args.server, token(args.token_file), args.tls_ca)


def token(token_file: Path | None) -> str:
    """The lab's token: the file's content when given, else NWBSTREAM_TOKEN."""
    if token_file is None:
        value = os.environ.get("NWBSTREAM_TOKEN", "").strip()
        if not value:
            raise ConversionError("no token: set NWBSTREAM_TOKEN or pass --token-file FILE")
        return value
    try:
        value = token_file.read_text().strip()
    except OSError as error:
        raise ConversionError(f"{token_file}: cannot read the token: {error.strerror}") from None
    if not value:
        raise ConversionError(f"{token_file}: empty; it should hold the lab's token")
    return value


def job_line(job: pb.Job) -> str:
    """id, state, session, nwbfile_name, progress and error, tab-separated on one line."""
    progress = f"{100 * job.bytes_done / job.bytes_total:.0f}%" if job.bytes_total else "-"
    return "\t".join(
        [job.id, state_name(job), job.session, job.nwbfile_name, progress, " ".join(job.error.split())]
    ).rstrip()


def state_name(job: pb.Job) -> str:
    return pb.JobState.Name(job.state).removeprefix("JOB_STATE_").lower()


def _submit(args: argparse.Namespace) -> int:
    try:
        spec_yaml = args.spec.read_text()
    except OSError as error:
        raise ConversionError(f"{args.spec}: cannot read the spec: {error.strerror}") from None
    with client_from_args(args) as client:
        jobs = client.submit(spec_yaml, args.spec.name, args.stub, args.backend or "")
        for job in jobs:
            print(job.id, flush=True)
        if not args.wait:
            return 0
        ended = [_follow(client, job.id, sys.stderr) for job in jobs]
    return _report(ended)


def _jobs(args: argparse.Namespace) -> int:
    with client_from_args(args) as client:
        for job in client.list(args.limit):
            print(job_line(job))
    return 0


def _watch(args: argparse.Namespace) -> int:
    with client_from_args(args) as client:
        return _report([_follow(client, args.job, sys.stdout)])


def _cancel(args: argparse.Namespace) -> int:
    with client_from_args(args) as client:
        print(job_line(client.cancel(args.job)))
    return 0


def _fetch(args: argparse.Namespace) -> int:
    with client_from_args(args) as client:
        for path in client.fetch(args.job, args.output_folder):
            print(path)
    return 0


def _upload(args: argparse.Namespace) -> int:
    with client_from_args(args) as client:
        print(client.upload(args.folder, args.name))
    return 0


def _follow(client: ConversionClient, job_id: str, out: TextIO) -> pb.Job:
    """Prints the job's line to `out` at each change of state or whole percent; returns it as it ended."""
    last = None
    shown = None
    for job in client.watch(job_id):
        line = job_line(job)
        if line != shown:
            print(line, file=out, flush=True)
            shown = line
        last = job
    if last is None or last.state not in ENDED:
        raise ConversionError(f"job {job_id}: the server stopped reporting before the job ended")
    return last


def _report(ended: list[pb.Job]) -> int:
    """0 when every job is done; else each other job's end on stderr, and 1. The warnings of a job's report (what
    its conversion found doubtful but converted) go to stderr too."""
    for job in ended:
        for warning in json.loads(job.report_json or "{}").get("warnings", []):
            print(f"nwbstream: job {job.id} ({job.session}): WARNING {warning}", file=sys.stderr)
    failed = [job for job in ended if job.state != pb.JOB_STATE_DONE]
    for job in failed:
        print(
            f"nwbstream: job {job.id} ({job.session}) {state_name(job)}: {job.error or 'no reason given'}",
            file=sys.stderr,
        )
    return 1 if failed else 0
