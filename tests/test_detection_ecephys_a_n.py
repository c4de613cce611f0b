"""Detection overlaps of ecephys formats A to N beyond the real-folder table: streams sharing one file stay separate
sources, and a richer description of the same binary wins over a poorer one, which is offered as alternative."""

from __future__ import annotations

from .conftest import ECEPHYS
from .detecting import detected

NEUROSCOPE_XML = '<?xml version="1.0"?>\n<parameters version="1.0"><acquisitionSystem><nChannels>2</nChannels>'


def _summary(source) -> tuple[str, dict, list[tuple[str, dict]]]:
    return source.interface, source.source_data, [(a.interface, a.source_data) for a in source.alternatives]


def test_every_rate_of_a_bdf_file_is_a_recording_with_its_analog_reading_as_alternative(services):
    found = detected(ECEPHYS / "edf", services)
    bdf = [_summary(s) for s in found.sources if s.source_data["file_path"] == "test_generator.bdf"]
    rates = ("1000.0", "500.0", "800.0", "975.0", "999.0")
    expected = []
    for rate in rates:
        stream = {"file_path": "test_generator.bdf", "stream_name": f"stream (({rate},) Hz)"}
        series = {"es_key": f"ElectricalSeries{float(rate):g}Hz"}
        expected.append(("EDFRecordingInterface", stream | series, [("EDFAnalogInterface", stream)]))
    assert bdf == expected
    assert "test_generator.bdf" not in found.unrecognised


def test_a_cellexplorer_session_wins_its_binaries_over_neuroscope(services, tmp_path):
    """A CellExplorer session folder also holds NeuroScope's .xml: the session.mat describes the binaries more."""
    session = tmp_path / "rat1"
    session.mkdir()
    for suffix in (".dat", ".lfp", ".session.mat"):
        (session / f"rat1{suffix}").write_bytes(bytes(8))
    (session / "rat1.xml").write_text(NEUROSCOPE_XML)
    found = detected(session, services)
    assert [_summary(s) for s in found.sources] == [
        (
            "CellExplorerRecordingInterface",
            {"folder_path": "."},
            [("NeuroScopeRecordingInterface", {"file_path": "rat1.dat"})],
        ),
        ("CellExplorerLFPInterface", {"folder_path": "."}, [("NeuroScopeLFPInterface", {"file_path": "rat1.lfp"})]),
    ]
