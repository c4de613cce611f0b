"""Real ecephys folders of ../shared/testdata (formats A to N) and the sources detection keeps there (__init__.py)."""

EDF_BDF = "test_generator.bdf"

EXPECTED: dict = {
    # The trial's .set describes its tetrode file (.5), LFP (.eeg) and position (.pos): no claim takes it, so that
    # each is a source of its own; the .cut is Tint's clusters, which no interface reads.
    "ecephys/axona": [
        ("AxonaPositionDataInterface", {"file_path": "r1838_10-12-14/83812141.set"}),
        ("AxonaUnitRecordingInterface", {"file_path": "r1838_10-12-14/83812141.set"}),
        ("AxonaLFPDataInterface", {"file_path": "r1838_10-12-14/83812141.eeg"}),
    ],
    # truncated_brw.brw holds none of the 109783 frames its header counts: noted, not proposed.
    "ecephys/biocam": [],
    # Several sessions: every .nsX is a recording; example_1.nev has no .nsX of its name, so its header's rate.
    "ecephys/blackrock": [
        ("BlackrockRecordingInterface", {"file_path": "Test_anonymized.ns3"}),
        ("BlackrockSortingInterface", {"file_path": "example_1.nev", "sampling_frequency": 30000.0}),
        ("BlackrockRecordingInterface", {"file_path": "example_2.ns2"}),
        ("BlackrockRecordingInterface", {"file_path": "test_BRSMPGRP_raw.ns3"}),
        ("BlackrockRecordingInterface", {"file_path": "test_NEURALCD_raw.ns3"}),
        ("BlackrockRecordingInterface", {"file_path": "test_NEURALSG_raw.ns3"}),
    ],
    # Only cell_metrics.cellinfo.mat, which no interface reads (the sorting is {session}.spikes.cellinfo.mat).
    "ecephys/cellexplorer": [],
    # The BDF's channels have five rates: a stream each, its own series (EDFAnalogInterface offered as alternative).
    "ecephys/edf": [
        *[
            (
                "EDFRecordingInterface",
                {
                    "file_path": EDF_BDF,
                    "stream_name": f"stream (({rate},) Hz)",
                    "es_key": f"ElectricalSeries{rate:g}Hz",
                },
            )
            for rate in (1000.0, 500.0, 800.0, 975.0, 999.0)
        ],
        ("EDFRecordingInterface", {"file_path": "test_generator.edf"}),
    ],
    # One file per signal type (info.rhd + .dat files) and one header-attached .rhd, each stream its own source.
    "ecephys/intan": [
        (
            "IntanAnalogInterface",
            {"file_path": "one_file_per_signal_type/info.rhd", "stream_name": "RHD2000 auxiliary input channel"},
        ),
        ("IntanDigitalInterface", {"file_path": "one_file_per_signal_type/info.rhd"}),
        ("IntanRecordingInterface", {"file_path": "one_file_per_signal_type/info.rhd"}),
        ("IntanRecordingInterface", {"file_path": "sampledata.rhd"}),
        ("IntanAnalogInterface", {"file_path": "sampledata.rhd", "stream_name": "RHD2000 auxiliary input channel"}),
    ],
    "ecephys/neuralynx": [("NeuralynxRecordingInterface", {"folder_path": "."})],
}
