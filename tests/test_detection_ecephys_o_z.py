"""Detection where formats overlap or a file holds several streams (issue 13): Open Ephys goes to the dispatching
interface with the format's own as the alternative, every SpikeGLX stream of two probes is its own source, the
streams and units of one .plx are all kept, and a folder's ABF files go to one AbfInterface with each file (whole,
or one electrode) offered."""

from __future__ import annotations

import numpy as np

from .conftest import META_ONLY, TESTDATA
from .detecting import detected, kept
from .ecephys_cases.plexon import plx_file
from .fixtures.ecephys.spikeglx_aux import write_from_meta


def test_open_ephys_folders_go_to_the_dispatcher_with_the_format_as_alternative(services):
    for folder, specific in (
        ("ecephys/openephys_binary", "OpenEphysBinaryRecordingInterface"),
        ("ecephys/openephys_legacy", "OpenEphysLegacyRecordingInterface"),
    ):
        (kept,) = [s for s in detected(TESTDATA / folder, services).sources if "Analog" not in s.interface]
        assert kept.interface == "OpenEphysRecordingInterface"
        assert [(a.interface, a.source_data) for a in kept.alternatives] == [(specific, kept.source_data)]


def test_every_spikeglx_stream_of_two_probes_is_a_source(services, tmp_path):
    """AP and LF of imec0 and imec1 and the NIDQ board, each its own source, plus the sync word of each probe's AP
    stream (the LF file repeats it)."""
    ap, lf = META_ONLY / "sample3B_version202304.ap.meta", META_ONLY / "sample3B_g0_t0.imec1.lf.meta"
    for probe in ("imec0", "imec1"):
        write_from_meta(tmp_path, ap, f"{probe}.ap", np.zeros((4, 385), dtype=np.int16))
        write_from_meta(tmp_path, lf, f"{probe}.lf", np.zeros((4, 385), dtype=np.int16))
    write_from_meta(tmp_path, META_ONLY / "sample3B_g0_t0.nidq.meta", "nidq", np.zeros((4, 2), dtype=np.int16))
    streams = [f"imec{p}.{band}" for p in (0, 1) for band in ("ap", "lf")]
    expected = {
        ("SpikeGLXNIDQInterface", (("folder_path", "."),)),
        *(("SpikeGLXRecordingInterface", (("folder_path", "."), ("stream_id", s))) for s in streams),
        *(("SpikeGLXSyncChannelInterface", (("folder_path", "."), ("stream_id", f"imec{p}.ap-SYNC"))) for p in (0, 1)),
    }
    found = kept(tmp_path, services)
    assert len(found) == len(expected)
    assert {(interface, tuple(sorted(source.items()))) for interface, source in found} == expected


def test_the_streams_and_units_of_one_plx_are_all_kept(services):
    path = plx_file()
    assert kept(path.parent, services) == [
        ("PlexonSortingInterface", {"file_path": path.name}),
        ("PlexonLFPInterface", {"file_path": path.name}),
        ("PlexonRecordingInterface", {"file_path": path.name}),
    ]


def test_a_folder_of_abf_files_goes_to_one_abf_with_each_file_offered(services, tmp_path):
    names = ["05210017_vc_abf1.abf", "17o05027_ic_ramp.abf"]
    for name in names:
        (tmp_path / name).symlink_to(TESTDATA / "icephys/abf" / name)
    (kept,) = detected(tmp_path, services).sources
    assert (kept.interface, kept.source_data) == ("AbfInterface", {"file_paths": names})
    offered = sorted((a.interface, str(a.source_data), sorted(a.todo)) for a in kept.alternatives)
    assert offered == sorted(
        [
            *(("AbfInterface", str({"file_paths": [name]}), []) for name in names),
            *(
                ("AxonIntracellularInterface", str({"file_path": name}), ["mode", "response_channel_name"])
                for name in names
            ),
            *(("AxonRecordingInterface", str({"file_path": name}), []) for name in names),  # extracellular reading
        ]
    )
