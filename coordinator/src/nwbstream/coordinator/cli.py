"""`nwbstream`: convert, metadata, interfaces, serve; and the rig's commands to a conversion service (rig.py)."""

from __future__ import annotations

import argparse
import importlib
import math
import os
import signal
import sys
import threading
from collections.abc import Sequence
from pathlib import Path

import yaml

from .alignment.maps import ClockMap
from .alignment.record import describe
from .client import DEFAULT_PATIENCE, Patience
from .converter import Converter
from .dandi import dandi_name, dandiset_id, organize_for_dandiset
from .draft_spec import draft_session
from .errors import ConversionError
from .metadata import merge_metadata
from .output_folder import check_writable
from .pipeline import DEFAULT_WINDOW
from .provenance import provenance_in_background
from .rig import add_rig_commands
from .services import ServiceSet, installed_services
from .spec import Spec, checked_yaml, load_spec

DESCRIPTION = """\
Convert neurophysiology data to NWB with NeuroConv's YAML specifications.

Embedded mode is the default: every installed modality service starts as a local process on a unix
socket and stops at the end. `--service MODALITY=HOST:PORT` uses a running service instead, and
`--service MODALITY=HOST:PORT,HOST:PORT` its replicas: each dataset's chunks are spread over them.

nwbstream names and places NWB objects as NeuroConv does (ElectricalSeriesAP/LF, ElectricalSeries,
units), and adds: electrode positions (rel_x, rel_y) from the probe, chunks compressed in the services
and stored untouched (ISA-L deflate by default, readable as gzip), an output written under a temporary
name and renamed only when complete, and the top-level spec keys `backend` and `backend_configuration`.
"""
METADATA_HELP = "with a folder: metadata (YAML, NeuroConv's layout) on top of what the files carry"
DATA_FOLDER_HELP = "joined with relative file_path/folder_path/file_paths (default: the spec's folder)"
SERVE_TLS_OPTIONS = {  # passed as they are to the service, which checks them (plaintext on loopback only)
    "--tls-cert": "serve TLS with this certificate chain (required off loopback)",
    "--tls-key": "the private key of --tls-cert",
    "--tls-client-ca": "require callers' certificates signed by this CA (mutual TLS)",
}


class Terminated(BaseException):
    """SIGTERM (what Kubernetes and service managers send): unwinds like Ctrl-C, so the partial output and the
    embedded services' folder are removed on the way out."""


def _terminate(signum: int, frame: object) -> None:
    raise Terminated()


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, _terminate)
    try:
        return args.run(args)
    except ConversionError as error:
        print(f"nwbstream: error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("nwbstream: interrupted; nothing was left at the output path", file=sys.stderr)
        return 130
    except Terminated:
        print("nwbstream: terminated (SIGTERM); nothing was left at the output path", file=sys.stderr)
        return 143


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="nwbstream", description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    convert = commands.add_parser(
        "convert", help="convert every session of a YAML specification, or a session folder (detected)"
    )
    convert.add_argument(
        "spec", type=Path, help="NeuroConv YAML conversion specification, or a session folder to detect and convert"
    )
    convert.add_argument("--output-folder", type=Path, help="created if missing (default: the spec's folder)")
    convert.add_argument("--data-folder", type=Path, help=DATA_FOLDER_HELP)
    convert.add_argument("--overwrite", action="store_true", help="replace existing output files")
    convert.add_argument("--stub", action="store_true", help="convert only the first seconds of every stream")
    convert.add_argument("--backend", choices=["hdf5", "zarr"], help="overrides the spec's `backend`")
    convert.add_argument("--window", type=int, default=DEFAULT_WINDOW, help="chunks in flight (bounds memory)")
    convert.add_argument("--no-progress", action="store_true", help="no progress bars")
    convert.add_argument(
        "--keepalive",
        type=_seconds,
        default=DEFAULT_PATIENCE.keepalive,
        metavar="SECONDS",
        help="ping a silent service after this long, and take it as hung when that long passes without an answer "
        "(to the ping, or to a connection attempt)",
    )
    convert.add_argument(
        "--retry-budget",
        type=_seconds,
        default=DEFAULT_PATIENCE.retry_budget,
        metavar="SECONDS",
        help="how long a broken chunk stream is retried before the conversion fails",
    )
    convert.add_argument(
        "--chunk-timeout",
        type=_seconds,
        default=DEFAULT_PATIENCE.chunk_timeout,
        metavar="SECONDS",
        help="cancel (and retry) a chunk stream that delivers nothing for this long: a service stuck in a reader",
    )
    convert.add_argument("--metadata", type=Path, help=METADATA_HELP)
    _service_option(convert)
    convert.set_defaults(run=_convert)

    detect = commands.add_parser(
        "detect", help="say which interfaces read which files of a session folder; draft a NeuroConv spec"
    )
    detect.add_argument("folder", type=Path, help="the session folder")
    detect.add_argument("--write", type=Path, metavar="SPEC.yml", help="write the drafted spec there")
    detect.add_argument("--metadata", type=Path, help=METADATA_HELP)
    _service_option(detect)
    detect.set_defaults(run=_detect)

    metadata = commands.add_parser(
        "metadata", help="print each session's merged metadata (YAML) to edit, and its alignment (as comments)"
    )
    metadata.add_argument("spec", type=Path)
    metadata.add_argument("--data-folder", type=Path, help=DATA_FOLDER_HELP)
    _service_option(metadata)
    metadata.set_defaults(run=_metadata)

    interfaces = commands.add_parser("interfaces", help="list every interface with its source arguments")
    _service_option(interfaces)
    interfaces.set_defaults(run=_interfaces)

    serve = commands.add_parser("serve", help="run one modality service, or the conversion service (coordinator)")
    serve.add_argument("modality", help="ecephys, ..., or coordinator (with --config)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=50051)
    for option, text in SERVE_TLS_OPTIONS.items():
        serve.add_argument(option, metavar="PEM", help=text)
    serve.add_argument("--metrics", metavar="HOST:PORT", help="serve Prometheus metrics there")
    serve.add_argument("--config", type=Path, help="serve coordinator: the conversion service's configuration (YAML)")
    serve.set_defaults(run=_serve)

    run_job = commands.add_parser("run-job", help="(the pod of a Kubernetes Job) run one claimed conversion job")
    run_job.add_argument("--config", type=Path, required=True, help="the conversion service's configuration (YAML)")
    run_job.add_argument("job_id", help="the job, claimed by $NWBSTREAM_REPLICA for attempt $NWBSTREAM_ATTEMPT")
    run_job.set_defaults(run=_run_job)

    add_rig_commands(commands)
    return parser


def _seconds(text: str) -> float:
    """A duration option: a number of seconds above zero."""
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not 0 < value < math.inf:
        raise argparse.ArgumentTypeError(f"{text!r}: expected a number of seconds above 0")
    return value


def _service_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--service",
        action="append",
        default=[],
        metavar="MODALITY=ADDRESS[,ADDRESS...]",
        help="use a running service (e.g. ecephys=localhost:50051), or its replicas "
        "(ecephys=host-a:50051,host-b:50051: chunks spread over them); repeatable",
    )


def _addresses(values: Sequence[str]) -> dict[str, list[str]]:
    """modality -> its replicas' addresses, from `--service MODALITY=ADDRESS[,ADDRESS...]` options."""
    addresses = {}
    for value in values:
        modality, sep, given = value.partition("=")
        replicas = given.split(",")
        if not sep or not modality or not all(replicas):
            raise ConversionError(f"--service {value!r}: expected MODALITY=HOST:PORT (or MODALITY=HOST:PORT,HOST:PORT)")
        addresses[modality] = replicas
    return addresses


def _convert(args: argparse.Namespace) -> int:
    if args.spec.is_dir():
        return _convert_folder(args)
    spec: Spec = load_spec(args.spec, args.data_folder)
    output_folder: Path = args.spec.parent if args.output_folder is None else args.output_folder
    check_writable(output_folder)
    preload = _preload_writer()
    with ServiceSet(_addresses(args.service), needs=spec.interface_names, patience=_patience(args)) as services:
        _convert_spec(args, spec, args.spec, output_folder, services, preload)
    return 0


def _convert_folder(args: argparse.Namespace) -> int:
    """`convert FOLDER`: detect, draft the spec beside the output, and convert it when nothing required is
    missing; otherwise stop (exit 3) and say what to fill."""
    if args.output_folder is None:
        raise ConversionError(f"convert {args.spec}: a folder needs --output-folder DIR")
    if args.data_folder is not None:
        raise ConversionError(f"convert {args.spec}: --data-folder is for a spec; the folder is the data")
    check_writable(args.output_folder)
    preload = _preload_writer()
    with ServiceSet(_addresses(args.service), patience=_patience(args)) as services:
        draft = draft_session(args.spec, services, _given_metadata(args.metadata))
        spec_path = args.output_folder / f"{draft.name}.yml"
        _make_output_folder(args.output_folder)
        spec_path.write_text(draft.spec_text())
        print(draft.report(), end="")
        if draft.missing:
            print(
                f"nwbstream: {spec_path}: drafted; fill its TODOs ({', '.join(draft.missing)}), then run\n"
                f"  nwbstream convert {spec_path} --data-folder {args.spec} --output-folder {args.output_folder}",
                file=sys.stderr,
            )
            return 3
        spec = load_spec(spec_path, args.spec)
        _convert_spec(args, spec, spec_path, args.output_folder, services, preload)
    return 0


def _convert_spec(
    args: argparse.Namespace,
    spec: Spec,
    spec_path: Path,
    output_folder: Path,
    services: ServiceSet,
    preload: threading.Thread,
) -> None:
    sources = {job.name: job.interfaces for job in spec.sessions}
    provenance = provenance_in_background(spec_path.read_text(), spec_path.name, sources)
    clock_maps = _check_sessions(spec, output_folder, args.overwrite, services, args.backend or spec.backend)
    preload.join()
    _make_output_folder(output_folder)
    for job in spec.sessions:
        with Converter(job.interfaces, services, alignment=job.alignment, clock_maps=clock_maps[job.name]) as converter:
            path = converter.run_conversion(
                nwbfile_path=output_folder / job.nwbfile_name,
                metadata=job.metadata,
                overwrite=args.overwrite,
                stub_test=args.stub or job.stub,
                backend=args.backend or spec.backend,
                backend_configuration=spec.backend_configuration,
                conversion_options=job.conversion_options,
                window=args.window,
                progress=not args.no_progress,
                provenance=provenance[job.name].result(),
            )
            for warning in converter.warnings():
                print(f"WARNING {warning}", file=sys.stderr)
            if spec.upload_to_dandiset:
                path = _to_dandi(path, merge_metadata([converter.get_metadata()], job.metadata), spec, output_folder)
        print(f"{job.name}: wrote {path}")


def _preload_writer() -> threading.Thread:
    """pynwb takes ~3 s to import: the writer loads while the services start and the sessions are checked; the
    caller waits for it before converting, so that two threads never import its modules at once."""
    preload = threading.Thread(target=importlib.import_module, args=(f"{__package__}.writing",), daemon=True)
    preload.start()
    return preload


def _patience(args: argparse.Namespace) -> Patience:
    """Silent for --keepalive after a ping, or after a connection attempt (at least 1 s: a TLS handshake), is hung."""
    return Patience(args.keepalive, args.keepalive, args.retry_budget, max(1.0, args.keepalive), args.chunk_timeout)


def _make_output_folder(output_folder: Path) -> None:
    try:
        output_folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ConversionError(f"{output_folder}: cannot create the output folder: {error.strerror}") from None


def _given_metadata(path: Path | None) -> dict:
    """--metadata FILE: metadata (NeuroConv's layout, YAML) a person supplies on top of what the files carry."""
    if path is None:
        return {}
    try:
        given = checked_yaml(path.read_text(), str(path), {"type": "object"})
    except OSError as error:
        raise ConversionError(f"{path}: cannot read the metadata file: {error.strerror}") from None
    return given or {}


def _detect(args: argparse.Namespace) -> int:
    with ServiceSet(_addresses(args.service)) as services:
        draft = draft_session(args.folder, services, _given_metadata(args.metadata))
    print(draft.report(), end="")
    if args.write is not None:
        args.write.parent.mkdir(parents=True, exist_ok=True)
        args.write.write_text(draft.spec_text())
        print(f"wrote {args.write}" + (f" (fill its TODOs: {', '.join(draft.missing)})" if draft.missing else ""))
    return 0


def _to_dandi(path: Path, metadata: dict, spec: Spec, output_folder: Path) -> Path:
    """NeuroConv's `upload_to_dandiset`: the file moved to its DANDI name in `<output folder>/<dandiset id>/`,
    validated by dandi, and uploaded when DANDI_API_KEY holds a key (dandi's main instance)."""
    api_key = os.environ.get("DANDI_API_KEY", "")
    organized, outcome = organize_for_dandiset(path, metadata, spec.upload_to_dandiset, output_folder, "dandi", api_key)
    if not outcome["uploaded"]:
        print(f"nwbstream: {organized}: not uploaded to DANDI: set DANDI_API_KEY to upload", file=sys.stderr)
    return organized


def _check_sessions(
    spec: Spec, output_folder: Path, overwrite: bool, services: ServiceSet, backend: str
) -> dict[str, dict[str, ClockMap]]:
    """Every session's output path, metadata, options, layouts and alignment, before any session is written; one
    error lists every session's problems. Each session's sources are opened, checked and closed in turn (one session
    at a time). Returns each session's clock maps, so that converting does not read the sync pulses again."""
    problems = []
    clock_maps = {}
    for job in spec.sessions:
        where = f"session {job.name} ({job.nwbfile_name})"
        path = output_folder / job.nwbfile_name
        if path.exists() and not overwrite:
            problems.append(f"{where}: {path} exists; pass --overwrite to replace it")
        try:
            with Converter(job.interfaces, services, alignment=job.alignment) as converter:
                converter.check(job.metadata, spec.backend_configuration, job.conversion_options, backend)
                clock_maps[job.name] = converter.clock_maps()
                if spec.upload_to_dandiset:  # named as DANDI wants before anything is written
                    dandiset_id(spec.upload_to_dandiset)
                    dandi_name(merge_metadata([converter.get_metadata()], job.metadata))
        except ConversionError as error:
            problems.append(f"{where}: {error}")
    if problems:
        raise ConversionError("\n".join(problems))
    return clock_maps


def _metadata(args: argparse.Namespace) -> int:
    spec = load_spec(args.spec, args.data_folder)
    with ServiceSet(_addresses(args.service), needs=spec.interface_names) as services:
        for job in spec.sessions:
            with Converter(job.interfaces, services, alignment=job.alignment) as converter:
                merged = converter.get_metadata()
                alignment = describe(converter.applied_alignment())
            print(f"# session {job.name} -> {job.nwbfile_name}")
            print("".join(f"# {line}\n" for line in alignment), end="")
            print(yaml.safe_dump(merge_metadata([merged], job.metadata), sort_keys=False), end="")
            print("---")
    return 0


def _interfaces(args: argparse.Namespace) -> int:
    with ServiceSet(_addresses(args.service)) as services:
        for name, entry in sorted(services.interfaces.items(), key=lambda item: (item[1].modality, item[0])):
            print(f"{name}  [{entry.modality}]  {entry.description}")
            schema = entry.source_schema
            for argument, prop in schema.get("properties", {}).items():
                required = "required" if argument in schema.get("required", []) else f"default {prop.get('default')!r}"
                kind = prop.get("type")
                print(
                    f"    {argument} ({'|'.join(kind) if isinstance(kind, list) else kind}, {required})"
                    f"  {prop.get('description', '')}"
                )
    return 0


def _run_job(args: argparse.Namespace) -> int:
    from .server.run_job import run_job  # the conversion service's dependencies load only when it runs

    return run_job(args.config, args.job_id)


def _serve(args: argparse.Namespace) -> int:
    passed = {option: getattr(args, option[2:].replace("-", "_")) for option in [*SERVE_TLS_OPTIONS, "--metrics"]}
    if args.modality == "coordinator":
        if args.config is None:
            raise ConversionError("serve coordinator: give --config FILE (the conversion service's configuration)")
        given = [option for option, value in passed.items() if value is not None]
        if given:
            raise ConversionError(f"serve coordinator: {', '.join(given)}: set in the --config file (tls, metrics)")
        from .server.app import serve  # the conversion service's dependencies load only when it runs

        return serve(args.config)
    if args.config is not None:
        raise ConversionError(f"serve {args.modality}: --config is for `serve coordinator` only")
    service = installed_services().get(args.modality)
    if service is None:
        raise ConversionError(
            f"no {args.modality!r} service installed (installed: {', '.join(installed_services()) or 'none'})"
        )
    extra = [part for option, value in passed.items() if value is not None for part in (option, value)]
    command = service.command("--host", args.host, "--port", str(args.port), *extra)
    os.execv(command[0], command)
    return 0  # not reached: execv replaces this process


if __name__ == "__main__":
    sys.exit(main())
