"""SpikeGLX channels that are not electrodes: the NIDQ board's analog channel and digital word, and an imec stream's
sync word, each from a real .meta paired with a generated .bin of known values (fixtures/ecephys/spikeglx_aux.py)."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np

from ..analog_checks import edges_check, time_series_check
from ..cases import Case
from ..conftest import META_ONLY
from ..fixtures.ecephys.spikeglx_aux import imec_columns, nidq_columns, write_from_meta
from . import GENERATED, generated_folder

FOLDER = GENERATED / "spikeglx_aux"
FIXTURE = (
    "generated: real .meta files (SOURCES.md) with a generated .bin of known analog values and digital edges, "
    "checked by reading it back with spikeinterface SpikeGLXRecordingExtractor"
)
NIDQ = {"folder_path": str(FOLDER)}
SYNC = {"folder_path": str(FOLDER), "stream_id": "imec0.ap-SYNC"}
NIDQ_START = "2019-08-15T17:37:20"  # the NIDQ .meta's fileCreateTime
IMEC_START = "2023-08-14T17:42:44"


def write(folder: Path) -> None:
    write_from_meta(folder, META_ONLY / "sample3B_g0_t0.nidq.meta", "nidq", nidq_columns())
    write_from_meta(folder, META_ONLY / "sample3B_version202304.ap.meta", "imec0.ap", imec_columns(385))


def make() -> None:
    generated_folder("spikeglx_aux", write)


def read(stream_id: str, handles: tuple[str, ...] = ()):
    def read_stream():
        from spikeinterface.extractors.extractor_classes import SpikeGLXRecordingExtractor

        recording = SpikeGLXRecordingExtractor(folder_path=FOLDER, stream_id=stream_id, all_annotations=True)
        return recording.select_channels([f"{stream_id}#{h}" for h in handles]) if handles else recording

    return read_stream


def truncated(source: dict, stream: str):
    def cut(tmp_path: Path):
        folder = tmp_path / "spikeglx"
        shutil.copytree(FOLDER, folder)
        bin_file = folder / f"fixture_g0_t0.{stream}.bin"
        bin_file.write_bytes(bin_file.read_bytes()[:100_000])
        return {**source, "folder_path": str(folder)}, bin_file

    return cut


def wrong_format(source: dict, stream: str):
    def write_bad(tmp_path: Path):
        folder = tmp_path / "notspikeglx"
        folder.mkdir()
        (folder / f"fixture_g0_t0.{stream}.meta").write_text("not a SpikeGLX meta file\n")
        (folder / f"fixture_g0_t0.{stream}.bin").write_bytes(b"\0" * 1000)
        return {**source, "folder_path": str(folder)}, folder

    return write_bad


WORD = "nidq#XD0"
nidq_series = time_series_check("TimeSeriesNIDQ")


def nidq_analog_check(nwbfile, recording) -> None:
    nidq_series(nwbfile, recording)
    assert nwbfile.devices["NIDQBoard"].description == "A NIDQ board used in conjunction with SpikeGLX."


LEGACY = {
    "folder_path": str(FOLDER),
    "digital_channel_groups": {"camera": {"channels": {"nidq#XD0": {"labels_map": {0: "exposure_end", 1: "frame"}}}}},
}


def legacy_check(nwbfile, recording) -> None:
    """NeuroConv's deprecated digital_channel_groups: line 0's rising edges ('frame') and falling edges
    ('exposure_end') as rows of one table, 'Camera', in time order."""
    recording = read("nidq")() if recording is None else recording
    line = (recording.get_traces(channel_ids=[WORD])[:, 0].astype(np.int64)) & 1
    steps = np.diff(line)
    times = recording.get_times()
    edges = sorted(
        [(times[f], "frame") for f in np.flatnonzero(steps > 0) + 1]
        + [(times[f], "exposure_end") for f in np.flatnonzero(steps < 0) + 1]
    )
    table = nwbfile.events["Camera"]
    np.testing.assert_allclose(table["timestamp"][:], [t for t, _ in edges])
    assert list(table["event_type"][:]) == [label for _, label in edges]


CASES = {
    "spikeglx-nidq-analog": Case(
        interface="SpikeGLXNIDQInterface",
        source=NIDQ,
        read=read("nidq", ("XA0",)),
        fixture=FIXTURE,
        kind="analog",
        make=make,
        truncate=truncated(NIDQ, "nidq"),
        wrong_format=wrong_format(NIDQ, "nidq"),
        check=nidq_analog_check,
        expect={"series": "TimeSeriesNIDQ", "session_start_time": NIDQ_START},
    ),
    "spikeglx-nidq-digital": Case(
        interface="SpikeGLXNIDQInterface",
        source=NIDQ,
        read=read("nidq"),
        fixture=FIXTURE,
        kind="digital",
        make=make,
        truncate=truncated(NIDQ, "nidq"),
        wrong_format=wrong_format(NIDQ, "nidq"),
        check=edges_check(read("nidq"), {f"XD0Bit{bit}HighPeriod": (WORD, bit) for bit in range(8)}),
        expect={"session_start_time": NIDQ_START},
    ),
    "spikeglx-nidq-digital-groups": Case(
        interface="SpikeGLXNIDQInterface",
        source=LEGACY,
        read=read("nidq"),
        fixture=FIXTURE,
        kind="digital",
        make=make,
        check=legacy_check,
        expect={"session_start_time": NIDQ_START},
    ),
    "spikeglx-sync": Case(
        interface="SpikeGLXSyncChannelInterface",
        source=SYNC,
        read=read("imec0.ap-SYNC"),
        fixture=FIXTURE,
        kind="analog",
        make=make,
        truncate=truncated(SYNC, "imec0.ap"),
        wrong_format=wrong_format(SYNC, "imec0.ap"),
        check=time_series_check("TimeSeriesImec0Sync"),
        expect={"series": "TimeSeriesImec0Sync", "session_start_time": IMEC_START},
    ),
}
