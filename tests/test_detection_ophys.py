"""Ophys detection beyond one source per folder: every plane and channel its own source, a microscope's layout
outranking the plain TIFF claim on its pages, and the several sources one file holds all kept."""

from __future__ import annotations

from .detecting import detected
from .fixtures.ophys import generate


def _kept(folder, services) -> list[tuple[str, dict, list[str]]]:
    """(interface, source_data, the interfaces of its alternatives) of every kept source."""
    return [
        (s.interface, s.source_data, sorted({a.interface for a in s.alternatives}))
        for s in detected(folder, services).sources
    ]


def test_every_suite2p_plane_and_channel_is_a_source(services, tmp_path):
    generate.write_suite2p(tmp_path, num_planes=2, num_channels=2)
    streams = [(plane, channel) for plane in ("plane0", "plane1") for channel in ("chan1", "chan2")]
    assert sorted(_kept(tmp_path, services), key=lambda k: (k[1]["plane_name"], k[1]["channel_name"])) == [
        (
            "Suite2pSegmentationInterface",
            {"folder_path": "suite2p", "channel_name": channel, "plane_name": plane},
            [],
        )
        for plane, channel in streams
    ]
    keys = sorted(s.key for s in detected(tmp_path, services).sources)
    assert keys == sorted(f"suite2p_{plane}_{channel}" for plane, channel in streams)


def test_bruker_series_goes_to_the_unified_interface(services, tmp_path):
    """The per-stream interface and the plain TIFF and image claims on its pages are offered as alternatives."""
    generate.write_bruker_multi_plane(tmp_path)
    assert _kept(tmp_path, services) == [
        (
            "BrukerTiffImagingInterface",
            {"folder_path": "TSeries-01022024-1011-001"},
            ["BrukerTiffMultiPlaneImagingInterface", "ImageInterface", "TiffImagingInterface"],
        )
    ]


def test_scanimage_channels_are_sources_and_outrank_the_tiff_claim(services, tmp_path):
    generate.write_scanimage(tmp_path, num_channels=2)
    kept = _kept(tmp_path, services)  # channel 2 claims its part of the file the first channel claims
    assert kept == [
        (
            "ScanImageImagingInterface",
            {"file_path": "scanimage_00001.tif", "channel_name": "Channel 1"},
            ["TiffImagingInterface"],
        ),
        ("ScanImageImagingInterface", {"file_path": "scanimage_00001.tif", "channel_name": "Channel 2"}, []),
    ]


def test_npm_outranks_the_generic_csv_claim_one_source_per_led(services, tmp_path):
    generate.write_npm_photometry(tmp_path)
    regions = ["Region0G", "Region1G"]
    assert _kept(tmp_path, services) == [
        (
            "NPMFiberPhotometryInterface",
            {"file_path": "npm_photometry.csv", "excitation_wavelength_in_nm": 415, "regions": regions},
            ["CSVFiberPhotometryInterface"],
        ),
        (
            "NPMFiberPhotometryInterface",
            {"file_path": "npm_photometry.csv", "excitation_wavelength_in_nm": 470, "regions": regions},
            [],
        ),
    ]


def test_every_source_of_one_file_is_kept(services, tmp_path):
    """A .doric file's two streams and digital lines, a .ppd's two signals and digital inputs: six sources."""
    generate.write_doric_photometry(tmp_path)
    generate.write_pyphotometry(tmp_path)
    stream = "FPConsole_Signals_Series0001_AIN01xAOUT0{}-LockIn_Values"
    assert sorted(((i, s) for i, s, _ in _kept(tmp_path, services)), key=str) == [
        ("DoricEventsInterface", {"file_path": "recording.doric"}),
        ("DoricFiberPhotometryInterface", {"file_path": "recording.doric", "stream_names": [stream.format(1)]}),
        ("DoricFiberPhotometryInterface", {"file_path": "recording.doric", "stream_names": [stream.format(2)]}),
        ("PyPhotometryEventsInterface", {"file_path": "recording.ppd"}),
        (
            "PyPhotometryFiberPhotometryInterface",
            {"file_path": "recording.ppd", "stream_name": "detector_1_excitation_1"},
        ),
        (
            "PyPhotometryFiberPhotometryInterface",
            {"file_path": "recording.ppd", "stream_name": "detector_2_excitation_2"},
        ),
    ]


def test_tdt_block_with_wavelength_stores_is_photometry(services, tmp_path):
    """A .tsq index naming stream stores 465A and 405A (beside a .tev): one source per store and the epocs; the
    LFP store is left to ecephys. tdt keys a store whose code starts with a digit with a leading `_`."""
    import struct

    record = struct.Struct("<ii4sHHdqif")  # TDT's tsq record: size, type, code, channel, sort code, time, ...
    stream = 0x8101
    index = b"".join(
        record.pack(40, kind, code, 1, 0, 0.0, 0, 0, 1017.0)
        for kind, code in [(0x8801, b"\x01\x00\x00\x00"), (stream, b"465A"), (stream, b"405A"), (stream, b"LFP1")]
    )
    (tmp_path / "block.tsq").write_bytes(index)
    (tmp_path / "block.tev").write_bytes(b"\x00" * 64)
    assert sorted(((i, s) for i, s, _ in _kept(tmp_path, services)), key=str) == [
        ("TDTEventsInterface", {"folder_path": "."}),
        ("TDTFiberPhotometryInterface", {"folder_path": ".", "stream_names": ["_405A"]}),
        ("TDTFiberPhotometryInterface", {"folder_path": ".", "stream_names": ["_465A"]}),
    ]


def test_numbered_tiffs_are_one_movie(services, tmp_path):
    """frame_0001.tif, frame_0002.tif, ... one movie in name order (acquisition software zero-pads the numbers);
    a differently named TIFF its own movie."""
    import numpy as np
    import tifffile

    for name in ("frame_0001.tif", "frame_0002.tif", "frame_0010.tif", "reference.tif"):
        tifffile.imwrite(tmp_path / name, np.zeros((4, 6), dtype="uint16"))
    found = detected(tmp_path, services).sources
    assert [(s.interface, s.source_data, sorted(s.todo)) for s in found] == [
        (
            "TiffImagingInterface",
            {"file_paths": ["frame_0001.tif", "frame_0002.tif", "frame_0010.tif"]},
            ["sampling_frequency"],
        ),
        ("TiffImagingInterface", {"file_path": "reference.tif"}, ["sampling_frequency"]),
    ]
