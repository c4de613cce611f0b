"""A source any replica can serve: ReadChunks carries what OpenSource was given, so a service that never opened
the source (restarted, or another replica) reopens it, and refuses when it no longer describes the same objects."""

from __future__ import annotations

import dataclasses
import shutil

import grpc
import pytest
from nwbstream.coordinator.client import ServiceClient
from nwbstream.coordinator.errors import ConversionError
from nwbstream.v1 import modality_pb2 as pb

from .conftest import OPHYS, served

TIFF = {"file_path": str(OPHYS / "tiff" / "multipage.tif"), "sampling_frequency": 30.0}


def chunks(client: ServiceClient, source) -> list[pb.Chunk]:
    plan = next(p for p in source.objects[0].datasets if p.name == "data")
    layout = pb.Layout(chunk_shape=[2, *plan.shape[1:]], codec=pb.Codec(method=pb.Codec.METHOD_DEFLATE))
    return list(client.read_chunks(source, source.objects[0].name, "data", layout, 0, 4))


@pytest.fixture(scope="module")
def replicas():
    """Two ophys services, as two replicas behind one modality."""
    with served("ophys") as first, served("ophys") as second:
        yield ServiceClient(first, "ophys"), ServiceClient(second, "ophys")


def test_a_replica_that_never_opened_the_source_serves_it(replicas):
    one, other = replicas
    source = one.open_source("TiffImagingInterface", TIFF, stub=False)
    expected = chunks(one, source)
    assert len(expected) == 4
    moved = dataclasses.replace(source, service=other)
    assert [(c.index, c.data) for c in chunks(other, moved)] == [(c.index, c.data) for c in expected]


def test_a_changed_source_is_refused_on_reopen(replicas, tmp_path):
    one, other = replicas
    copy = tmp_path / "movie.tif"
    shutil.copy(TIFF["file_path"], copy)
    source = one.open_source("TiffImagingInterface", {**TIFF, "file_path": str(copy)}, stub=False)
    shutil.copy(OPHYS / "tiff" / "frame_000.tif", copy)  # one frame now, where there were eight
    with pytest.raises(ConversionError, match="changed since it was opened"):
        chunks(other, dataclasses.replace(source, service=other))


def test_without_the_request_an_unknown_source_is_not_found(replicas):
    stub = replicas[1].stub
    request = pb.ReadChunksRequest(source_id="nope", object_name="MicroscopySeries", dataset_name="data")
    with pytest.raises(grpc.RpcError) as error:
        list(stub.ReadChunks(request))
    assert error.value.code() == grpc.StatusCode.NOT_FOUND
