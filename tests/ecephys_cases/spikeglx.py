"""SpikeGLX imec AP and LF streams: real .meta files (IBL fixtures) each paired with a generated .bin of its size."""

from __future__ import annotations

import shutil

import numpy as np
import spikeinterface.extractors as se

from ..cases import Case
from ..conftest import META_ONLY, write_spikeglx_from_meta
from . import GENERATED, generated_folder, junk_copy

FIXTURE = "real SpikeGLX .meta files (IBL fixtures, SOURCES.md) with a generated .bin of matching size"
# NP1.0 AP (a 2023 IBL recording) and LF (a 2019 3B recording) of one probe
STREAMS = {
    "imec0.ap": ("sample3B_version202304.ap.meta", 45_000, 1, "AP", "2023-08-14T17:42:44"),
    "imec0.lf": ("sample3B_g0_t0.imec1.lf.meta", 3_750, 2, "LF", "2019-08-15T17:37:20"),
}


def session(stream_id: str):
    meta, n_samples, seed, _, _ = STREAMS[stream_id]
    return generated_folder(
        f"spikeglx-{stream_id}",
        lambda folder: write_spikeglx_from_meta(folder, META_ONLY / meta, stream_id, n_samples, seed=seed),
    )


def check_probe(nwbfile, recording) -> None:
    """The probe's geometry, contact ids and make, as probeinterface reads them from the .meta."""
    electrodes = nwbfile.electrodes.to_dataframe()
    assert len(electrodes) == 384  # the SY0 sync channel is not an electrode
    np.testing.assert_array_equal(electrodes[["rel_x", "rel_y"]].to_numpy(), recording.get_channel_locations())
    probe = recording.get_probe()
    assert list(electrodes["electrode_name"]) == list(probe.contact_ids)
    device = nwbfile.devices["NeuropixelsImec0"]
    assert (device.model.manufacturer, device.model.model_number) == (probe.manufacturer, probe.model_name)
    assert device.serial_number == probe.serial_number


def truncated(stream_id: str):
    def make(tmp):
        folder = shutil.copytree(session(stream_id), tmp / "session")
        (bad,) = folder.glob("*.bin")
        bad.chmod(0o644)
        bad.write_bytes(bad.read_bytes()[:1_000_001])  # an interrupted copy stops at any byte
        return {"folder_path": str(folder), "stream_id": stream_id}, bad

    return make


def not_spikeglx(stream_id: str):
    """A .meta and .bin pair named as SpikeGLX names them, holding text."""

    def make(tmp):
        junk_copy(f"fixture_g0_t0.{stream_id}.bin", tmp)
        return {"folder_path": str(tmp), "stream_id": stream_id}, junk_copy(f"fixture_g0_t0.{stream_id}.meta", tmp)

    return make


def case(stream_id: str) -> Case:
    band, start = STREAMS[stream_id][3], STREAMS[stream_id][4]
    return Case(
        "SpikeGLXRecordingInterface",
        {"folder_path": str(GENERATED / f"spikeglx-{stream_id}"), "stream_id": stream_id},
        lambda: se.read_spikeglx(session(stream_id), stream_id=stream_id),
        FIXTURE,
        {
            "series": f"ElectricalSeries{band}Imec0",
            "groups": {"NeuropixelsImec0"},
            "device": "NeuropixelsImec0",
            "session_start_time": start,
        },
        kind="recording",
        make=lambda: session(stream_id),
        truncate=truncated(stream_id),
        wrong_format=not_spikeglx(stream_id),
        check=check_probe,
    )


CASES = {"spikeglx_ap": case("imec0.ap"), "spikeglx_lf": case("imec0.lf")}
