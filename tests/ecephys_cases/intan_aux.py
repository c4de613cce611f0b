"""Intan channels that are not electrodes: auxiliary inputs of the real sampledata.rhd, the digital inputs of the
real one-file-per-signal-type session, and a generated .rhs for the stimulation, DC amplifier and RHS ADC streams."""

from __future__ import annotations

import shutil
from pathlib import Path

from ..analog_checks import edges_check, time_series_check
from ..cases import Case
from ..conftest import ECEPHYS
from ..fixtures.ecephys.intan_rhs import write_rhs
from . import GENERATED, generated_folder, truncated_file, wrong_file

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


def truncated_ofps(tmp_path: Path):
    folder = tmp_path / "ofps"
    shutil.copytree(OFPS.parent, folder)
    digital = folder / "digitalin.dat"
    digital.write_bytes(digital.read_bytes()[:1001])
    return {"file_path": str(folder / OFPS.name)}, folder / OFPS.name


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
        truncate=truncated_file(AUX),
        wrong_format=wrong_file(AUX, "Intan"),
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
        truncate=truncated_file(ADC),
        wrong_format=wrong_file(ADC, "Intan"),
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
        truncate=truncated_file(DC),
        wrong_format=wrong_file(DC, "Intan"),
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
        truncate=truncated_file({"file_path": str(RHS)}),
        wrong_format=wrong_file({"file_path": str(RHS)}, "Intan"),
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
        wrong_format=wrong_file({"file_path": str(OFPS)}, "Intan"),
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
        truncate=truncated_file({"file_path": str(RHS)}),
        wrong_format=wrong_file({"file_path": str(RHS)}, "Intan"),
        check=edges_check(
            read_stream(RHS, "USB board digital input channel"),
            {"DIGITAL-IN-01": ("DIGITAL-IN-01", None), "DIGITAL-IN-02": ("DIGITAL-IN-02", None)},
        ),
        expect={},
    ),
}
