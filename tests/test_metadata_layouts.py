"""User metadata in either of NeuroConv's layouts: the list layout (`Ecephys.Device`, `Ecephys.ElectrodeGroup`,
`Ecephys.<series>`) that `nwbstream metadata` prints, and NeuroConv 0.10's dict layout (`Devices`,
`DeviceModels`, `Ecephys.ElectrodeGroups`, `Ecephys.ElectricalSeries.<metadata key>`), as NeuroConv 0.10.2's
`get_metadata` returns it for this SpikeGLX session."""

from __future__ import annotations

import warnings

import pytest
from nwbstream.coordinator.converter import Converter
from nwbstream.coordinator.dict_layout import to_list_layout
from nwbstream.coordinator.errors import ConversionError
from nwbstream.coordinator.metadata import merge_metadata, validate_metadata
from pynwb import NWBHDF5IO

from .conftest import SUBJECT
from .nwbcheck import assert_valid_nwb
from .test_bad_input import assert_clean_failure, convert, output_folder, spikeglx_ap, write_spec

SERIES = "ElectricalSeriesAPImec0"
GROUP = "NeuropixelsImec0"
# The ecephys part of NeuroConv 0.10.2's get_metadata() for the AP stream, with a user's edits.
NEUROCONV_DICT_LAYOUT = {
    "DeviceModels": {
        "imec_PRB_1_4_0480_1_C": {
            "name": "PRB_1_4_0480_1_C",
            "model_number": "PRB_1_4_0480_1_C",
            "manufacturer": "imec",
        }
    },
    "Devices": {
        "neuropixels_20097916182": {
            "name": GROUP,
            "description": "probe 3 of the rig",
            "serial_number": "20097916182",
            "device_model_metadata_key": "imec_PRB_1_4_0480_1_C",
        }
    },
    "Ecephys": {
        "ElectricalSeries": {"spikeglx_imec0_ap": {"name": SERIES, "description": "AP band, left hemisphere"}},
        "ElectrodeGroups": {
            GROUP: {"name": GROUP, "location": "VISp", "device_metadata_key": "neuropixels_20097916182"}
        },
    },
}


def test_neuroconv_dict_layout_reaches_the_file(services, spikeglx_folder, tmp_path):
    interface, source = spikeglx_ap(spikeglx_folder)
    metadata = {"NWBFile": {"session_start_time": "2024-01-02T03:04:05"}, "Subject": SUBJECT, **NEUROCONV_DICT_LAYOUT}
    path = tmp_path / "dict.nwb"
    with Converter({"AP": (interface, source)}, services) as converter:
        converter.run_conversion(nwbfile_path=path, metadata=metadata, progress=False)
    assert_valid_nwb(path)
    with NWBHDF5IO(str(path), "r") as io:
        nwbfile = io.read()
        group = nwbfile.electrode_groups[GROUP]
        assert group.location == "VISp"
        device = group.device
        assert (device.name, device.description, device.serial_number) == (GROUP, "probe 3 of the rig", "20097916182")
        assert (device.model.name, device.model.manufacturer) == ("PRB_1_4_0480_1_C", "imec")
        assert device.model.model_number == "PRB_1_4_0480_1_C"
        assert nwbfile.acquisition[SERIES].description == "AP band, left hemisphere"


def test_list_layout_is_left_as_it_is():
    metadata = {
        "Ecephys": {
            "Device": [{"name": "D"}],
            "ElectrodeGroup": [{"name": "G", "device": "D", "location": "CA1", "description": "g"}],
            "ElectricalSeries": {"name": "ElectricalSeries", "description": "flat fields: one series"},
        }
    }
    assert to_list_layout(metadata) == metadata


@pytest.mark.parametrize(
    ("metadata", "named"),
    [
        ({"Devices": {"probe": {"description": "no name"}}}, "Devices/probe"),
        (
            {"Ecephys": {"ElectrodeGroups": {"G": {"location": "CA1", "device_metadata_key": "nowhere"}}}},
            "Ecephys/ElectrodeGroups/G",
        ),
        ({"Ecephys": {"ElectricalSeries": {"spikeglx_imec0_ap": {"description": "no name"}}}}, "spikeglx_imec0_ap"),
        (
            {"Devices": {"p": {"name": "P", "device_model_metadata_key": "m"}}},
            "device_model_metadata_key 'm' is not in DeviceModels",
        ),
        ({"DeviceModels": {"imec_NP1": {"manufacturer": "imec"}}}, "DeviceModels/imec_NP1"),
    ],
)
def test_dict_layout_that_cannot_be_placed_is_refused(metadata, named):
    with pytest.raises(ConversionError, match="metadata") as error:
        to_list_layout(metadata)
    assert named in str(error.value)


def test_unknown_ecephys_key_is_an_error_not_ignored(tmp_path, ecephys_address, spikeglx_folder):
    metadata = {
        "NWBFile": {"session_start_time": "2024-01-02T03:04:05"},
        "Subject": dict(SUBJECT),
        "Ecephys": {"ElectrodeGroupz": [{"name": GROUP, "location": "VISp"}]},
    }
    spec = write_spec(tmp_path, {"Recording": spikeglx_ap(spikeglx_folder)}, metadata=metadata)
    out = output_folder(tmp_path)
    assert_clean_failure(convert(spec, out, ecephys_address), out, "ElectrodeGroupz")


def test_each_device_goes_to_the_modality_that_refers_to_it():
    """A microscope the ophys entries point to is an Ophys device, a probe the electrode groups point to an Ecephys
    one; neither lands in the other's list."""
    metadata = {
        "Devices": {"probe": {"name": "Probe"}, "scope": {"name": "Microscope", "description": "two-photon"}},
        "Ecephys": {"ElectrodeGroups": {"G": {"location": "CA1", "device_metadata_key": "probe"}}},
        "Ophys": {"ImagingPlanes": {"plane": {"name": "ImagingPlane", "device_metadata_key": "scope"}}},
    }
    assert to_list_layout(metadata) == {
        "Ecephys": {
            "Device": [{"name": "Probe"}],
            "ElectrodeGroup": [{"name": "G", "location": "CA1", "device": "Probe"}],
        },
        "Ophys": {
            "ImagingPlanes": {"plane": {"name": "ImagingPlane", "device": "Microscope"}},
            "Device": [{"name": "Microscope", "description": "two-photon"}],
        },
    }


def test_a_device_referred_to_by_name_updates_the_listed_one():
    """The user's dict-layout device, merged over the list layout the services give, by the name they share."""
    service = {
        "Ecephys": {
            "Device": [{"name": GROUP, "description": "from the probe"}],
            "ElectrodeGroup": [{"name": GROUP, "device": GROUP, "location": "unknown", "description": "g"}],
        }
    }
    user = {"Devices": {"neuropixels": {"name": GROUP, "description": "probe 3 of the rig"}}}
    merged = merge_metadata([service], user)
    assert merged["Ecephys"]["Device"] == [{"name": GROUP, "description": "probe 3 of the rig"}]
    assert "Devices" not in merged


def test_a_device_nothing_refers_to_stays_top_level_and_is_refused_unless_consumed():
    service = {"Ecephys": {"Device": [{"name": GROUP}]}}
    merged = merge_metadata([service], {"Devices": {"camera": {"name": "Camera"}}})
    assert merged == {"Ecephys": {"Device": [{"name": GROUP}]}, "Devices": {"camera": {"name": "Camera"}}}
    with pytest.raises(ConversionError, match="metadata Devices/camera: nothing refers to device 'Camera'"):
        validate_metadata(merged, {"type": "object"}, {})
    validate_metadata(merged, {"type": "object", "properties": {"Devices": {"type": "object"}}}, {})


def test_a_start_time_without_zone_is_written_local_and_the_user_told():
    import datetime as dt

    from dateutil.tz import tzlocal
    from nwbstream.coordinator.writers import make_nwbfile

    with pytest.warns(UserWarning, match=r"NWBFile/session_start_time 2020-01-01T12:00:00 has no time zone"):
        nwbfile = make_nwbfile({"NWBFile": {"session_start_time": "2020-01-01T12:00:00"}})
    assert nwbfile.session_start_time == dt.datetime(2020, 1, 1, 12, tzinfo=tzlocal())
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a zone given: nothing to say
        nwbfile = make_nwbfile({"NWBFile": {"session_start_time": "2020-01-01T12:00:00-05:00"}})
    assert nwbfile.session_start_time.utcoffset() == dt.timedelta(hours=-5)
