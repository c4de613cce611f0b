"""Intan channels that are not electrodes: auxiliary inputs of the real sampledata.rhd, the digital inputs of the
real one-file-per-signal-type session, and a generated .rhs for the stimulation, DC amplifier and RHS ADC streams."""

from __future__ import annotations

import shutil
from pathlib import Path

from ..analog_checks import edges_check, time_series_check
from ..cases import Case
from ..conftest import ECEPHYS
from ..fixtures.ecephys.intan_rhs import write_rhs
from . import GENERATED, generated_folder

RHD = ECEPHYS / "intan" / "sampledata.rhd"
OFPS = ECEPHYS / "intan" / "one_file_per_signal_type" / "info.rhd"
RHS = GENERATED / "intan_rhs" / "fixture.rhs"
RHS_FIXTURE = (
    "generated: a .rhs per Intan's RHS format (tests/fixtures/ecephys/intan_rhs.py), checked by reading it back "
    "with neo IntanRawIO"
)


def make_rhs() -> None:
    generated_folder("intan_rhs", lambda folder: write_rhs(folder / RHS.name))


def read_stream(path: Path, stream_name: str):
    def read():
        from spikeinterface.extractors import read_intan

        return read_intan(path, stream_name=stream_name, all_annotations=True)

    return read


def truncated(source: dict):
    def cut(tmp_path: Path):
        path = Path(source["file_path"])
        bad = tmp_path / path.name
        data = path.read_bytes()
        bad.write_bytes(data[: len(data) // 2 + 7])  # mid-block: not a whole number of data blocks
        return {**source, "file_path": str(bad)}, bad

    return cut


def truncated_ofps(tmp_path: Path):
    folder = tmp_path / "ofps"
    shutil.copytree(OFPS.parent, folder)
    digital = folder / "digitalin.dat"
    digital.write_bytes(digital.read_bytes()[:1001])
    return {"file_path": str(folder / OFPS.name)}, folder / OFPS.name


def wrong_format(source: dict):
    def write(tmp_path: Path):
        bad = tmp_path / f"notintan{Path(source['file_path']).suffix}"
        bad.write_bytes(b"not an Intan file\n" * 64)
        return {**source, "file_path": str(bad)}, bad

    return write


AUX = {"file_path": str(RHD), "stream_name": "RHD2000 auxiliary input channel"}
ADC = {"file_path": str(RHS), "stream_name": "USB board ADC input channel"}
DC = {"file_path": str(RHS), "stream_name": "DC Amplifier channel"}

CASES = {
    "intan-analog-aux": Case(
        interface="IntanAnalogInterface",
        source=AUX,
        read=read_stream(RHD, "RHD2000 auxiliary input channel"),
        fixture="real: sampledata.rhd (SOURCES.md), its auxiliary input stream",
        kind="analog",
        truncate=truncated(AUX),
        wrong_format=wrong_format(AUX),
        check=time_series_check("TimeSeriesIntanAuxiliary"),
        expect={"series": "TimeSeriesIntanAuxiliary"},
    ),
    "intan-analog-rhs-adc": Case(
        interface="IntanAnalogInterface",
        source=ADC,
        read=read_stream(RHS, "USB board ADC input channel"),
        fixture=RHS_FIXTURE,
        kind="analog",
        make=make_rhs,
        truncate=truncated(ADC),
        wrong_format=wrong_format(ADC),
        check=time_series_check("TimeSeriesIntanADCInput"),
        expect={"series": "TimeSeriesIntanADCInput"},
    ),
    "intan-analog-rhs-dc": Case(
        interface="IntanAnalogInterface",
        source=DC,
        read=read_stream(RHS, "DC Amplifier channel"),
        fixture=RHS_FIXTURE,
        kind="analog",
        make=make_rhs,
        truncate=truncated(DC),
        wrong_format=wrong_format(DC),
        check=time_series_check("TimeSeriesIntanDC"),
        expect={"series": "TimeSeriesIntanDC"},
    ),
    "intan-stim": Case(
        interface="IntanStimInterface",
        source={"file_path": str(RHS)},
        read=read_stream(RHS, "Stim channel"),
        fixture=RHS_FIXTURE,
        kind="analog",
        make=make_rhs,
        truncate=truncated({"file_path": str(RHS)}),
        wrong_format=wrong_format({"file_path": str(RHS)}),
        check=time_series_check("TimeSeriesIntanStim", container="stimulus"),
        expect={"series": "TimeSeriesIntanStim", "parent": "stimulus"},
    ),
    "intan-digital-ofps": Case(
        interface="IntanDigitalInterface",
        source={"file_path": str(OFPS)},
        read=read_stream(OFPS, "USB board digital input channel"),
        fixture="real: one_file_per_signal_type (SOURCES.md), its digitalin.dat lines",
        kind="digital",
        truncate=truncated_ofps,
        wrong_format=wrong_format({"file_path": str(OFPS)}),
        check=edges_check(
            read_stream(OFPS, "USB board digital input channel"),
            {f"DIGITAL-IN-{n}": (f"DIGITAL-IN-{n}", None) for n in (12, 13, 14, 15)},
        ),
        expect={},
    ),
    "intan-digital-rhs": Case(
        interface="IntanDigitalInterface",
        source={"file_path": str(RHS)},
        read=read_stream(RHS, "USB board digital input channel"),
        fixture=RHS_FIXTURE,
        kind="digital",
        make=make_rhs,
        truncate=truncated({"file_path": str(RHS)}),
        wrong_format=wrong_format({"file_path": str(RHS)}),
        check=edges_check(
            read_stream(RHS, "USB board digital input channel"),
            {"DIGITAL-IN-01": ("DIGITAL-IN-01", None), "DIGITAL-IN-02": ("DIGITAL-IN-02", None)},
        ),
        expect={},
    ),
}
