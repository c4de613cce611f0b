"""EDF (real pyedflib test files: EDF and BDF, several sampling rates) as an ElectricalSeries and as an analog
TimeSeries, and the ADC channel of the real Open Ephys binary recording as a TimeSeries."""

from __future__ import annotations

import shutil
from pathlib import Path

from ..analog_checks import time_series_check
from ..cases import Case
from ..conftest import ECEPHYS
from . import truncated_file, wrong_file

EDF = ECEPHYS / "edf" / "test_generator.edf"
BDF = ECEPHYS / "edf" / "test_generator.bdf"
OE = ECEPHYS / "openephys_binary" / "dEMG_Pilot-0012025-10-31_13-23-53_001" / "Record Node 106"
OE_ADC_STREAM = "Record Node 106#Acquisition_Board-100.Rhythm Data_ADC"
EDF_STREAM = "stream ((200.0,) Hz)"  # the 11 test signals sampled at 200 Hz
BDF_STREAM = "stream ((1000.0,) Hz)"
EDF_SOURCE = {"file_path": str(EDF), "stream_name": EDF_STREAM}
EDF_ANALOG = {"file_path": str(EDF), "stream_name": EDF_STREAM, "channels_to_include": ["squarewave", "ramp"]}
BDF_ANALOG = {"file_path": str(BDF), "stream_name": BDF_STREAM}
OE_SOURCE = {"folder_path": str(OE)}


def read_edf(path: Path, stream_name: str, channels: list[str] | None = None):
    def read():
        from spikeinterface.extractors import read_edf

        recording = read_edf(path, stream_name=stream_name, all_annotations=True, use_names_as_ids=True)
        return recording.select_channels(channels) if channels else recording

    return read


def read_bdf():
    """pyedflib's 24-bit samples (neo 0.14.6 wraps them into int16) with neo's names, rate and scaling."""
    import numpy as np
    import pyedflib
    from spikeinterface.core import NumpyRecording

    scaled_by = read_edf(BDF, BDF_STREAM)()
    edf = pyedflib.EdfReader(str(BDF))
    try:
        labels = edf.getSignalLabels()
        samples = [edf.readSignal(labels.index(str(c)), digital=True) for c in scaled_by.get_channel_ids()]
    finally:
        edf.close()
    recording = NumpyRecording(
        [np.stack(samples, axis=1).astype(np.int32)],
        sampling_frequency=scaled_by.get_sampling_frequency(),
        channel_ids=scaled_by.get_channel_ids(),
    )
    for key in ("physical_unit", "gain_to_physical_unit", "offset_to_physical_unit"):
        recording.set_property(key, scaled_by.get_property(key))
    return recording


def read_oe_adc():
    from spikeinterface.extractors.extractor_classes import OpenEphysBinaryRecordingExtractor

    return OpenEphysBinaryRecordingExtractor(folder_path=OE, stream_name=OE_ADC_STREAM)


def truncated_oe(tmp_path: Path):
    folder = tmp_path / OE.name
    shutil.copytree(OE, folder)
    (data,) = folder.rglob("continuous.dat")
    data.write_bytes(data.read_bytes()[:1_000_003])
    return {"folder_path": str(folder)}, folder


def wrong_oe(tmp_path: Path):
    folder = tmp_path / "notopenephys"
    folder.mkdir()
    (folder / "settings.xml").write_text("not Open Ephys settings")
    return {"folder_path": str(folder)}, folder


CASES = {
    "edf-recording": Case(
        interface="EDFRecordingInterface",
        source=EDF_SOURCE,
        read=read_edf(EDF, EDF_STREAM),
        fixture="real: pyedflib's test_generator.edf (SOURCES.md)",
        kind="recording",
        truncate=truncated_file(EDF_SOURCE),
        wrong_format=wrong_file(EDF_SOURCE, "EDF"),
        expect={
            "series": "ElectricalSeries",
            "device": "DeviceEcephys",
            "groups": {"ElectrodeGroup"},
            "session_start_time": "2011-04-04T12:57:02",
        },
    ),
    "edf-analog": Case(
        interface="EDFAnalogInterface",
        source=EDF_ANALOG,
        read=read_edf(EDF, EDF_STREAM, ["squarewave", "ramp"]),
        fixture="real: pyedflib's test_generator.edf (SOURCES.md), two of its channels",
        kind="analog",
        truncate=truncated_file(EDF_ANALOG),
        wrong_format=wrong_file(EDF_ANALOG, "EDF"),
        check=time_series_check("TimeSeriesAnalogEDF"),
        expect={"series": "TimeSeriesAnalogEDF"},
    ),
    "edf-analog-bdf": Case(
        interface="EDFAnalogInterface",
        source=BDF_ANALOG,
        read=read_bdf,
        reader_name="pyedflib EdfReader",
        fixture="real: pyedflib's test_generator.bdf (SOURCES.md), its 1000 Hz stream (24-bit samples)",
        kind="analog",
        truncate=truncated_file(BDF_ANALOG),
        wrong_format=wrong_file(BDF_ANALOG, "EDF"),
        check=time_series_check("TimeSeriesAnalogEDF"),
        expect={"series": "TimeSeriesAnalogEDF"},
    ),
    "openephys-binary-analog": Case(
        interface="OpenEphysBinaryAnalogInterface",
        source=OE_SOURCE,
        read=read_oe_adc,
        fixture="real: Open Ephys binary Record Node 106 (SOURCES.md), its ADC stream",
        kind="analog",
        truncate=truncated_oe,
        wrong_format=wrong_oe,
        check=time_series_check("TimeSeriesOpenEphysAnalog"),
        expect={"series": "TimeSeriesOpenEphysAnalog", "session_start_time": "2025-10-31T13:23:53"},
    ),
}
