"""Arbitrary input to the parsers and to the gRPC handlers of a modality service and of the conversion service
(hypothesis): a parser raises nothing but ConversionError, a handler rejects with a status other than UNKNOWN or
INTERNAL that carries a message, and the servers still answer afterwards. Examples are bounded to keep this quick."""

from __future__ import annotations

import hashlib
import json
import string
import tempfile
from pathlib import Path
from typing import Any

import grpc
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from nwbstream.coordinator.errors import ConversionError
from nwbstream.coordinator.metadata import merge_metadata, validate_metadata
from nwbstream.coordinator.server.app import running
from nwbstream.coordinator.server.config import load_config
from nwbstream.coordinator.spec import parse_spec
from nwbstream.v1 import conversion_pb2 as cpb
from nwbstream.v1 import conversion_pb2_grpc as cpb_grpc
from nwbstream.v1 import modality_pb2 as pb

from .conftest import ECEPHYS, START
from .conversion_server import TOKENS, write_config

FUZZ = settings(
    max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
REJECTED_CLEARLY = {code for code in grpc.StatusCode if code not in (grpc.StatusCode.UNKNOWN, grpc.StatusCode.INTERNAL)}
SPEC_KEYS = [
    "metadata",
    "data_interfaces",
    "experiments",
    "sessions",
    "source_data",
    "nwbfile_name",
    "conversion_options",
    "stub_test",
    "file_path",
    "folder_path",
    "alignment",
    "backend",
    "backend_configuration",
    "upload_to_dandiset",
    "NWBFile",
    "session_start_time",
    "Subject",
    "Ecephys",
    "Device",
    "name",
]
keys = st.sampled_from(SPEC_KEYS) | st.text(max_size=8)
scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=12)
values = st.recursive(
    scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(keys, inner, max_size=4), max_leaves=12
)
documents = st.dictionaries(keys, values, max_size=6)
# A spec close enough to a good one that the parser goes past the schema: the rest is arbitrary.
near_specs = st.fixed_dictionaries(
    {
        "data_interfaces": st.dictionaries(st.sampled_from(["Recording", "Sorting"]), values, min_size=1),
        "experiments": st.dictionaries(
            st.text(min_size=1, max_size=6),
            st.fixed_dictionaries(
                {"sessions": st.lists(st.dictionaries(keys, values, max_size=5), min_size=1, max_size=2)}
            ),
            min_size=1,
            max_size=2,
        ),
    },
    optional={"metadata": values, "conversion_options": values, "backend": values},
)
spec_texts = st.text(max_size=200) | documents.map(yaml.safe_dump) | near_specs.map(yaml.safe_dump)


def yaml_text(value: Any) -> str:
    return value if isinstance(value, str) else yaml.safe_dump(value)


# -- parsers -------------------------------------------------------------------------------------------------


@FUZZ
@given(text=spec_texts)
def test_spec_parsing_raises_only_conversion_errors(text):
    try:
        parse_spec(text, "fuzz.yml", Path("/data"))
    except ConversionError as error:
        assert str(error).startswith("fuzz.yml"), error


@FUZZ
@given(contributions=st.lists(documents, max_size=3), user=documents)
def test_metadata_merge_and_validation_raise_only_conversion_errors(contributions, user):
    schema = {
        "type": "object",
        "required": ["NWBFile"],
        "properties": {
            "NWBFile": {
                "type": "object",
                "required": ["session_start_time"],
                "properties": {"session_start_time": {"type": "string"}, "experimenter": {"type": "array"}},
            },
            "Ecephys": {"type": "object", "properties": {"Device": {"type": "array"}}},
        },
    }
    try:
        merged = merge_metadata(contributions, user)
        validate_metadata(merged, schema, {"FuzzInterface": schema})
    except ConversionError as error:
        assert str(error), "an empty message"


@FUZZ
@given(text=st.text(max_size=200) | documents.map(yaml.safe_dump) | st.just(None))
def test_server_config_loading_raises_only_conversion_errors(text):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "coordinator.yml"
        if text is None:  # near a good one: a good configuration with a key made arbitrary
            path = write_config(Path(folder), {"lab-a": ECEPHYS})
        else:
            path.write_text(text)
        try:
            load_config(path)
        except ConversionError as error:
            assert str(path) in str(error) or "$NWBSTREAM_STORE" in str(error), error


@FUZZ
@given(
    key=st.sampled_from(["listen", "store", "outputs", "labs", "limits", "retry", "services", "runner", "tls"]),
    value=values,
)
def test_server_config_with_one_arbitrary_key(tmp_path_factory, key, value):
    folder = tmp_path_factory.mktemp("config")
    path = write_config(folder, {"lab-a": ECEPHYS})
    path.write_text(yaml.safe_dump({**yaml.safe_load(path.read_text()), key: value}))
    try:
        load_config(path)
    except ConversionError as error:
        assert str(path) in str(error) or "$NWBSTREAM_STORE" in str(error), error


# -- a modality service ----------------------------------------------------------------------------------------


def assert_clear_rejection(call) -> Any:
    """The call's answer, or its rejection checked: a clear status with a message."""
    try:
        return call()
    except grpc.RpcError as error:
        assert error.code() in REJECTED_CLEARLY, (error.code(), error.details())
        assert error.details(), error.code()
        return None


NS3 = ECEPHYS / "blackrock" / "test_NEURALCD_raw.ns3"


@pytest.fixture(scope="module")
def ecephys_stub(services):
    return services.clients["ecephys"].stub


@pytest.fixture(scope="module")
def opened(ecephys_stub):
    """A real source open in the ecephys service, for ReadChunks on real objects."""
    reply = ecephys_stub.OpenSource(
        pb.OpenSourceRequest(
            interface_name="BlackrockRecordingInterface", source_data_json=json.dumps({"file_path": str(NS3)})
        )
    )
    yield reply
    ecephys_stub.CloseSource(pb.CloseSourceRequest(source_id=reply.source_id))


interface_names = st.sampled_from(["BlackrockRecordingInterface", "PhySortingInterface", "SpikeGLXRecordingInterface"])
source_jsons = (
    st.text(max_size=60)
    | st.dictionaries(st.sampled_from(["file_path", "folder_path", "stream_id", "x"]), values, max_size=3).map(
        json.dumps
    )
    | values.map(json.dumps)
)


@FUZZ
@given(name=interface_names | st.text(max_size=30), source=source_jsons, stub=st.booleans())
def test_open_source_rejects_clearly(ecephys_stub, name, source, stub):
    reply = assert_clear_rejection(
        lambda: ecephys_stub.OpenSource(
            pb.OpenSourceRequest(interface_name=name, source_data_json=source, stub=stub), timeout=60
        )
    )
    if reply is not None:
        ecephys_stub.CloseSource(pb.CloseSourceRequest(source_id=reply.source_id))


@FUZZ
@given(
    real_id=st.booleans(),
    source_id=st.text(max_size=20),
    object_index=st.integers(0, 3),
    object_name=st.text(max_size=10),
    dataset=st.sampled_from(["data", "timestamps", "electrodes"]) | st.text(max_size=8),
    start=st.integers(0, 2**31),
    stop=st.integers(0, 2**31),
    chunk_shape=st.lists(st.integers(0, 2**40), max_size=3),
    codec=st.none() | st.tuples(st.integers(0, 5), st.integers(-(2**31), 2**31 - 1), st.booleans()),
)
def test_read_chunks_rejects_clearly(
    ecephys_stub, opened, real_id, source_id, object_index, object_name, dataset, start, stop, chunk_shape, codec
):
    names = [o.name for o in opened.objects]
    request = pb.ReadChunksRequest(
        source_id=opened.source_id if real_id else source_id,
        object_name=names[object_index] if object_index < len(names) else object_name,
        dataset_name=dataset,
        start_chunk=start,
        stop_chunk=stop,
    )
    request.layout.chunk_shape.extend(chunk_shape)
    if codec is not None:
        request.layout.codec.method, request.layout.codec.level, request.layout.codec.shuffle = codec
    assert_clear_rejection(lambda: list(ecephys_stub.ReadChunks(request, timeout=60)))


def test_modality_service_still_serves(services, ecephys_stub):
    services.clients["ecephys"].wait_healthy(5)
    names = {entry.name for entry in services.clients["ecephys"].list_interfaces()}
    assert "BlackrockRecordingInterface" in names


# -- the conversion service ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def conversion(tmp_path_factory):
    """The conversion service in-process, its stub, and the lab's credentials."""
    folder = tmp_path_factory.mktemp("conversion")
    root = folder / "root"  # uploads write under the lab's root: never the shared test data
    root.mkdir()
    (root / "blackrock").symlink_to(ECEPHYS / "blackrock")
    config = load_config(write_config(folder, {"lab-a": root}))
    with running(config) as address:
        channel = grpc.insecure_channel(address)
        grpc.channel_ready_future(channel).result(timeout=60)
        yield cpb_grpc.ConversionServiceStub(channel), (("authorization", f"Bearer {TOKENS['lab-a']}"),)
        channel.close()


ids = st.text(max_size=40) | st.uuids().map(lambda u: u.hex)
good_spec = {
    "metadata": START,
    "data_interfaces": {"Recording": "BlackrockRecordingInterface"},
    "experiments": {"e": {"sessions": [{"source_data": {"Recording": {"file_path": "blackrock/no_such.ns3"}}}]}},
}


@FUZZ
@given(text=spec_texts | st.just(yaml.safe_dump(good_spec)), stub=st.booleans(), backend=st.text(max_size=6))
def test_submit_and_get_metadata_reject_clearly(conversion, text, stub, backend):
    stub_, auth = conversion
    assert_clear_rejection(lambda: stub_.GetMetadata(cpb.GetMetadataRequest(spec_yaml=text), metadata=auth, timeout=60))
    reply = assert_clear_rejection(
        lambda: stub_.Submit(
            cpb.SubmitRequest(spec_yaml=text, spec_name="fuzz.yml", stub=stub, backend=backend),
            metadata=auth,
            timeout=60,
        )
    )
    for job in reply.jobs if reply is not None else []:
        stub_.Cancel(cpb.CancelRequest(job_id=job.id), metadata=auth, timeout=60)


@FUZZ
@given(job_id=ids, token=st.none() | st.text(string.ascii_letters + string.digits + "-._~+/=", max_size=30))
def test_job_calls_with_arbitrary_ids_reject_clearly(conversion, job_id, token):
    """With the lab's token or another (a header value: the client refuses control characters itself)."""
    stub_, auth = conversion
    given_auth = auth if token is None else (("authorization", f"Bearer {token}"),)
    assert_clear_rejection(lambda: stub_.Get(cpb.GetRequest(job_id=job_id), metadata=given_auth, timeout=30))
    assert_clear_rejection(lambda: stub_.Cancel(cpb.CancelRequest(job_id=job_id), metadata=given_auth, timeout=30))
    assert_clear_rejection(lambda: list(stub_.Fetch(cpb.FetchRequest(job_id=job_id), metadata=given_auth, timeout=30)))
    assert_clear_rejection(  # a job that exists ends its stream; one that does not is refused at once
        lambda: next(iter(stub_.Watch(cpb.WatchRequest(job_id=job_id), metadata=given_auth, timeout=30)))
    )


upload_files = st.builds(
    cpb.UploadFile,
    path=st.sampled_from(["a.bin", "../up.bin", "/abs.bin", "d/e.bin", ""]) | st.text(max_size=12),
    size=st.integers(-5, 2**40),
    sha256=st.sampled_from(["", hashlib.sha256(b"x").hexdigest()]) | st.text(max_size=70),
)
upload_parts = st.lists(
    st.builds(
        cpb.UploadRequest,
        manifest=st.builds(cpb.UploadManifest, name=st.text(max_size=12), files=st.lists(upload_files, max_size=3)),
    )
    | st.builds(
        cpb.UploadRequest,
        data=st.builds(
            cpb.UploadData, path=st.text(max_size=12), offset=st.integers(-5, 2**40), data=st.binary(max_size=32)
        ),
    ),
    max_size=4,
)


@FUZZ
@given(parts=upload_parts)
def test_upload_with_arbitrary_manifests_rejects_clearly(conversion, parts):
    stub_, auth = conversion
    assert_clear_rejection(lambda: list(stub_.Upload(iter(parts), metadata=auth, timeout=60)))


def test_conversion_service_still_serves(conversion):
    stub_, auth = conversion
    reply = stub_.List(cpb.ListRequest(limit=5), metadata=auth, timeout=30)
    assert isinstance(reply, cpb.ListResponse)
