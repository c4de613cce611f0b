"""Real ecephys folders of ../shared/testdata (formats O to Z) and the sources detection keeps there (__init__.py)."""

OPEN_EPHYS_NODE = "dEMG_Pilot-0012025-10-31_13-23-53_001/Record Node 106"
RHYTHM = "Record Node 106#Acquisition_Board-100.Rhythm Data"
TANK = "Vicon_Runway_Neural-220822-111845"

EXPECTED: dict = {
    # The dispatching interface keeps the neural channels (OpenEphysBinaryRecordingInterface is its alternative);
    # the stream's ADC channels, split off by neo, are the analog interface's part of the same continuous.dat.
    "ecephys/openephys_binary": [
        ("OpenEphysRecordingInterface", {"folder_path": OPEN_EPHYS_NODE, "stream_name": RHYTHM}),
        ("OpenEphysBinaryAnalogInterface", {"folder_path": OPEN_EPHYS_NODE, "stream_name": f"{RHYTHM}_ADC"}),
    ],
    "ecephys/openephys_legacy": [
        ("OpenEphysRecordingInterface", {"folder_path": "Record Node 101", "stream_name": "Signals CH"}),
    ],
    "ecephys/phy/template": [("PhySortingInterface", {"folder_path": "."})],
    # Both files hold sorted spikes only: their slow channels have no samples (and lie past the header read).
    "ecephys/plexon": [
        ("PlexonSortingInterface", {"file_path": "explore1.plx"}),
        ("PlexonSortingInterface", {"file_path": "postfwd5.plx"}),
    ],
    "ecephys/spike2": [("Spike2RecordingInterface", {"file_path": "DemoData.smr"})],
    # .meta files without their .bin: nothing to convert.
    "ecephys/spikeglx/meta_only": [],
    # One block in its tank, two stream stores, each series named after its store; the gain is left to the user
    # (a TODO of the draft).
    "ecephys/tdt": [
        ("TdtRecordingInterface", {"folder_path": TANK, "stream_name": "LFP1", "es_key": "ElectricalSeriesLFP1"}),
        ("TdtRecordingInterface", {"folder_path": TANK, "stream_name": "Wav1", "es_key": "ElectricalSeriesWav1"}),
    ],
}
