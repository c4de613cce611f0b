"""Upload and Fetch over a real gRPC server on loopback: a minimal ConversionService whose Upload and Fetch are
transfer.py's server side, reached with the rig's client (ConversionClient) or transfer.py's client side."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from concurrent import futures
from pathlib import Path

import grpc
import pytest
from nwbstream.coordinator.errors import ConversionError
from nwbstream.coordinator.server import transfer
from nwbstream.coordinator.server.client import ConversionClient
from nwbstream.coordinator.server.transfer import fetch_into, receive_upload, send_output, upload_folder
from nwbstream.v1 import conversion_pb2 as pb
from nwbstream.v1 import conversion_pb2_grpc as pb_grpc
from nwbstream.v1.transport import GRPC_OPTIONS

from .conftest import wait_for

PIECE = 64 * 2**10  # small pieces, so that small files travel in many


class TransferServicer(pb_grpc.ConversionServiceServicer):
    """Upload into `root`; Fetch of job J sends the files under `outputs/J`, optionally spoiling one piece."""

    def __init__(self, root: Path, outputs: Path) -> None:
        self.root = root
        self.outputs = outputs
        self.limit = 2**30
        self.spoil_piece: int | None = None  # index of the Fetch piece whose first byte is flipped

    def Upload(self, request_iterator, context):
        try:
            yield from receive_upload(request_iterator, self.root, self.limit)
        except ConversionError as error:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(error))

    def Fetch(self, request, context):
        folder = self.outputs / request.job_id
        if not folder.is_dir():
            context.abort(grpc.StatusCode.NOT_FOUND, f"no job {request.job_id}")
        files = sorted((path.relative_to(folder).as_posix(), path.stat().st_size) for path in tree(folder))

        def read(path: str, offset: int, length: int) -> bytes:
            with open(folder / path, "rb") as file:
                file.seek(offset)
                return file.read(length)

        for index, chunk in enumerate(send_output(files, read, piece=PIECE)):
            if index == self.spoil_piece:
                chunk.data = bytes([chunk.data[0] ^ 0xFF]) + chunk.data[1:]
            yield chunk


def tree(folder: Path) -> list[Path]:
    return sorted(path for path in folder.rglob("*") if path.is_file())


def contents(folder: Path) -> dict[str, bytes]:
    return {path.relative_to(folder).as_posix(): path.read_bytes() for path in tree(folder)}


@pytest.fixture
def server(tmp_path):
    root = tmp_path / "lab-root"
    outputs = tmp_path / "outputs"
    root.mkdir()
    outputs.mkdir()
    servicer = TransferServicer(root, outputs)
    grpc_server = grpc.server(futures.ThreadPoolExecutor(max_workers=4), options=GRPC_OPTIONS)
    pb_grpc.add_ConversionServiceServicer_to_server(servicer, grpc_server)
    port = grpc_server.add_insecure_port("127.0.0.1:0")
    grpc_server.start()
    servicer.address = f"127.0.0.1:{port}"
    yield servicer
    grpc_server.stop(grace=None)


@pytest.fixture
def stub(server):
    with grpc.insecure_channel(server.address, options=GRPC_OPTIONS) as channel:
        yield pb_grpc.ConversionServiceStub(channel)


@pytest.fixture
def session(tmp_path) -> Path:
    """A rig's session folder: nested files of several pieces, a small one and an empty one (~1 MB in all)."""
    folder = tmp_path / "rig" / "session-01"
    (folder / "probe0" / "imec").mkdir(parents=True)
    (folder / "video").mkdir()
    (folder / "probe0" / "imec" / "data.bin").write_bytes(os.urandom(5 * PIECE + 123))
    (folder / "video" / "cam.avi").write_bytes(os.urandom(PIECE * 9 // 2))
    (folder / "notes.txt").write_text("mouse 7, left hemisphere\n")
    (folder / "probe0" / "empty.meta").write_bytes(b"")
    return folder


@pytest.fixture
def small_pieces(monkeypatch):
    monkeypatch.setattr(transfer, "PIECE_BYTES", PIECE)


def staged_bytes(root: Path) -> int:
    return sum(path.stat().st_size for path in (root / transfer.STAGING).rglob("*.part"))


def counted(stub, sent: list[int], answers: list[pb.UploadResponse], stop_after: int | None = None, spoil=False):
    """The Upload call, counting the data bytes sent and keeping the server's answers; with `stop_after`, the
    client fails after that many data messages (once the server has written them: `stop_after` is (count, root));
    with `spoil`, the first data message has its first byte flipped."""

    def call(requests: Iterator[pb.UploadRequest]):
        def watched() -> Iterator[pb.UploadRequest]:
            pieces = 0
            for request in requests:
                if request.HasField("data"):
                    if stop_after is not None and pieces == stop_after[0]:
                        wait_for(lambda: staged_bytes(stop_after[1]) == sum(sent))
                        raise RuntimeError("the rig lost its network")
                    if spoil and pieces == 0:
                        request.data.data = bytes([request.data.data[0] ^ 0xFF]) + request.data.data[1:]
                    pieces += 1
                    sent.append(len(request.data.data))
                yield request

        for answer in stub.Upload(watched()):
            answers.append(answer)
            yield answer

    return call


def test_upload_places_the_folder_byte_for_byte(server, session, small_pieces):
    with ConversionClient(server.address, "token") as client:
        assert client.upload(session) == "session-01"
        assert contents(server.root / "session-01") == contents(session)
        assert not (server.root / transfer.STAGING).exists()
        # the same folder again: everything is in place, nothing is sent, and it completes
        sent, answers = [], []
        assert upload_folder(counted(client._stub, sent, answers), session, "session-01") == "session-01"
    assert sent == []
    assert answers[-1].complete
    assert {o.path: o.offset for o in answers[0].offsets} == {
        path: len(data) for path, data in contents(session).items()
    }


def test_interrupted_upload_resumes_with_the_rest(server, stub, session, small_pieces):
    total = sum(len(data) for data in contents(session).values())
    first_sent: list[int] = []
    with pytest.raises(grpc.RpcError):
        upload_folder(counted(stub, first_sent, [], stop_after=(3, server.root)), session, "s1")
    assert first_sent == [25, PIECE, PIECE]  # notes.txt, then data.bin's first two pieces (the empty file has none)
    assert not (server.root / "s1").exists()  # nothing placed before every file arrived

    sent, answers = [], []
    assert upload_folder(counted(stub, sent, answers), session, "s1") == "s1"
    held = {o.path: o.offset for o in answers[0].offsets}
    assert held == {"notes.txt": 25, "probe0/empty.meta": 0, "probe0/imec/data.bin": 2 * PIECE, "video/cam.avi": 0}
    assert sum(sent) == total - 25 - 2 * PIECE
    assert contents(server.root / "s1") == contents(session)
    assert not (server.root / transfer.STAGING).exists()


def test_a_corrupted_upload_is_refused_then_sent_again_whole(server, stub, session, small_pieces):
    with pytest.raises(grpc.RpcError) as refused:
        upload_folder(counted(stub, [], [], spoil=True), session, "s1")
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "upload s1: nothing placed; notes.txt: SHA-256" in refused.value.details()
    assert not (server.root / "s1").exists()

    sent, answers = [], []
    assert upload_folder(counted(stub, sent, answers), session, "s1") == "s1"
    held = {o.path: o.offset for o in answers[0].offsets}
    assert held["notes.txt"] == 0  # the bad copy was discarded
    assert held["probe0/imec/data.bin"] == 5 * PIECE + 123  # the good ones kept
    assert sum(sent) == len((session / "notes.txt").read_bytes())
    assert contents(server.root / "s1") == contents(session)


def manifest(name: str, *paths: str, size: int = 3) -> pb.UploadRequest:
    digest = hashlib.sha256(b"abc").hexdigest()
    return pb.UploadRequest(
        manifest=pb.UploadManifest(name=name, files=[pb.UploadFile(path=p, size=size, sha256=digest) for p in paths])
    )


def refusal(stub, *requests: pb.UploadRequest) -> str:
    with pytest.raises(grpc.RpcError) as refused:
        list(stub.Upload(iter(requests)))
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    return refused.value.details()


@pytest.mark.parametrize(
    ("name", "path", "error"),
    [
        ("s1", "../escape.bin", "'../escape.bin': not a relative path inside the folder"),
        ("s1", "a/../../escape.bin", "'a/../../escape.bin': not a relative path inside the folder"),
        ("s1", "/etc/cron.d/job", "'/etc/cron.d/job': not a relative path inside the folder"),
        ("s1", "a//b", "'a//b': not a relative path"),
        ("..", "x.bin", "upload name '..': give one folder name"),
        ("a/b", "x.bin", "upload name 'a/b': give one folder name"),
        (".nwbstream-upload", "x.bin", "upload name '.nwbstream-upload': give one folder name"),
        ("/tmp", "x.bin", "upload name '/tmp': give one folder name"),
    ],
)
def test_paths_out_of_the_folder_are_refused(server, stub, name, path, error):
    assert error in refusal(stub, manifest(name, path))
    assert list(server.root.iterdir()) == []  # nothing written, not even a staging area


def test_symbolic_links_out_of_the_root_are_refused(server, stub, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (server.root / "s1").mkdir()
    (server.root / "s1" / "sub").symlink_to(outside)
    (server.root / "linked").symlink_to(outside)
    assert "upload s1: s1/sub/x.bin passes through a symbolic link" in refusal(stub, manifest("s1", "sub/x.bin"))
    assert "upload linked: linked/x.bin passes through a symbolic link" in refusal(stub, manifest("linked", "x.bin"))
    (server.root / transfer.STAGING).symlink_to(outside)
    assert "passes through a symbolic link" in refusal(stub, manifest("s2", "x.bin"))
    assert list(outside.iterdir()) == []
    assert str(outside) not in refusal(stub, manifest("s1", "sub/x.bin"))  # says nothing of what lies outside


def test_manifest_checks(server, stub):
    server.limit = 5
    assert "upload s1: 6 bytes exceed the server's limit of 5" in refusal(stub, manifest("s1", "a.bin", "b.bin"))
    server.limit = 2**30
    assert "a.bin is listed twice" in refusal(stub, manifest("s1", "a.bin", "a.bin"))
    assert "a is listed as a file and as a folder" in refusal(stub, manifest("s1", "a", "a/b.bin"))
    assert "the manifest lists no file" in refusal(stub, manifest("s1"))
    data = pb.UploadRequest(data=pb.UploadData(path="a.bin", offset=0, data=b"abc"))
    assert "the first message must be the manifest" in refusal(stub, data)
    skipping = pb.UploadRequest(data=pb.UploadData(path="a.bin", offset=1, data=b"bc"))
    assert "a.bin: data at offset 1, but only 0 bytes are held" in refusal(stub, manifest("s1", "a.bin"), skipping)
    too_long = pb.UploadRequest(data=pb.UploadData(path="a.bin", offset=0, data=b"abcd"))
    assert "a.bin: data up to byte 4, beyond its size of 3" in refusal(stub, manifest("s2", "a.bin"), too_long)
    assert "3 bytes arrived" in refusal(stub, manifest("s3", "a.bin", "b.bin"), data)  # b.bin never came


def test_an_existing_file_is_never_replaced(server, stub):
    (server.root / "s1").mkdir()
    (server.root / "s1" / "a.bin").write_bytes(b"abd")
    assert "upload s1: a.bin exists there with other content" in refusal(stub, manifest("s1", "a.bin"))
    assert (server.root / "s1" / "a.bin").read_bytes() == b"abd"


def test_fetch_a_file_and_a_zarr_folder(server, tmp_path):
    (server.outputs / "job-h5").mkdir()
    (server.outputs / "job-h5" / "sub-1_ses-1.nwb").write_bytes(os.urandom(3 * PIECE + 7))
    store = server.outputs / "job-zarr" / "sub-1_ses-2.nwb"
    (store / "acquisition" / "ElectricalSeries" / "data").mkdir(parents=True)
    (store / ".zgroup").write_text('{"zarr_format": 2}')
    (store / "acquisition" / "ElectricalSeries" / "data" / "0.0").write_bytes(os.urandom(2 * PIECE))
    (store / "acquisition" / "ElectricalSeries" / "data" / "0.1").write_bytes(b"")
    rig = tmp_path / "rig-outputs"
    with ConversionClient(server.address, "token") as client:
        assert client.fetch("job-h5", rig) == [rig / "sub-1_ses-1.nwb"]
        assert client.fetch("job-zarr", rig) == [rig / "sub-1_ses-2.nwb"]
        assert contents(rig) == contents(server.outputs / "job-h5") | contents(server.outputs / "job-zarr")
        with pytest.raises(ConversionError, match=f"{rig / 'sub-1_ses-1.nwb'} exists; remove it"):
            client.fetch("job-h5", rig)
        with pytest.raises(ConversionError, match="^no job job-none$"):
            client.fetch("job-none", rig)
    assert sorted(path.name for path in rig.iterdir()) == ["sub-1_ses-1.nwb", "sub-1_ses-2.nwb"]


@pytest.mark.parametrize("piece", [1, 4])  # the first file's second piece, or the second file's first
def test_a_corrupted_fetch_piece_leaves_nothing(server, tmp_path, piece):
    store = server.outputs / "job-zarr" / "sub-1_ses-2.nwb"
    store.mkdir(parents=True)
    (store / "0.0").write_bytes(os.urandom(3 * PIECE))
    (store / "0.1").write_bytes(os.urandom(3 * PIECE))
    server.spoil_piece = piece
    rig = tmp_path / "rig-outputs"
    with ConversionClient(server.address, "token") as client, pytest.raises(ConversionError) as error:
        client.fetch("job-zarr", rig)
    assert f"fetch: sub-1_ses-2.nwb/0.{piece // 3} arrived corrupted" in str(error.value)
    assert list(rig.iterdir()) == []


def chunk(path: str, data: bytes, offset: int = 0, end: bool = True) -> pb.FetchChunk:
    return pb.FetchChunk(
        path=path,
        offset=offset,
        data=data,
        end_of_file=end,
        size=offset + len(data) if end else 0,
        sha256=hashlib.sha256(data).hexdigest() if end and offset == 0 else "",
    )


@pytest.mark.parametrize(
    ("stream", "error"),
    [
        ([chunk("../x.nwb", b"a")], "'../x.nwb': not a relative path"),
        ([chunk("/tmp/x.nwb", b"a")], "'/tmp/x.nwb': not a relative path"),
        ([chunk("x.nwb", b"ab", end=False)], "the stream ended in the middle of x.nwb"),
        ([chunk("x.nwb", b"ab", end=False), chunk("y.nwb", b"c")], "x.nwb ended without its checksum"),
        ([chunk("x.nwb", b"ab", end=False), chunk("x.nwb", b"c", offset=3)], "a piece at offset 3, expected 2"),
        ([chunk("x.nwb", b"a"), chunk("x.nwb", b"a")], "cannot write x.nwb"),
        ([], "the server sent no file"),
    ],
)
def test_fetch_into_refuses_a_bad_stream(tmp_path, stream, error):
    with pytest.raises(ConversionError, match=error.replace(".", r"\.")):
        fetch_into(iter(stream), tmp_path / "out")
    assert list((tmp_path / "out").iterdir()) == []
    assert not (tmp_path / "x.nwb").exists()


def test_send_output_pieces_and_checksums():
    files = {"a.nwb": b"0123456789", "empty.nwb": b""}
    chunks = list(send_output(list((p, len(d)) for p, d in files.items()), lambda p, o, n: files[p][o : o + n], 4))
    assert [(c.path, c.offset, c.data, c.end_of_file, c.size) for c in chunks] == [
        ("a.nwb", 0, b"0123", False, 0),
        ("a.nwb", 4, b"4567", False, 0),
        ("a.nwb", 8, b"89", True, 10),
        ("empty.nwb", 0, b"", True, 0),
    ]
    assert [c.sha256 for c in chunks if c.end_of_file] == [hashlib.sha256(d).hexdigest() for d in files.values()]
    with pytest.raises(ConversionError, match="a.nwb: read 0 bytes at offset 4 of its 10"):
        list(send_output([("a.nwb", 10)], lambda p, o, n: files[p][o : o + n] if o == 0 else b"", 4))
