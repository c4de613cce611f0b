"""The conversion servicer's refusals, for unary and streaming calls alike: a modality service out of reach is
UNAVAILABLE (worth asking again), any other ConversionError INVALID_ARGUMENT, in its own words with the lab's data
root left out."""

from __future__ import annotations

from pathlib import Path

import grpc
import pytest
from nwbstream.coordinator.errors import ConversionError, ServiceUnavailable
from nwbstream.coordinator.server.auth import token_sha256
from nwbstream.coordinator.server.config import Lab, ServerConfig
from nwbstream.coordinator.server.servicer import ConversionServicer, _as_lab


class Aborted(Exception):
    """What grpc's context.abort raises, with the code and details it was given."""


class Context:
    def invocation_metadata(self) -> list[tuple[str, str]]:
        return [("authorization", "Bearer token")]

    def abort(self, code: grpc.StatusCode, details: str) -> None:
        raise Aborted(code, details)


class Refusing(ConversionServicer):
    """Calls that fail with `error` (the streaming one after its first answer)."""

    def __init__(self, root: Path, error: ConversionError) -> None:
        labs = {"lab": Lab("lab", token_sha256("token"), root)}
        super().__init__(ServerConfig("127.0.0.1:1", "sqlite:///", str(root), labs), None, None, None)
        self.error = error

    @_as_lab
    def Answer(self, request, context, lab):
        raise self.error

    @_as_lab
    def Stream(self, request, context, lab):
        yield "first"
        raise self.error


@pytest.mark.parametrize(
    ("kind", "code"),
    [(ServiceUnavailable, grpc.StatusCode.UNAVAILABLE), (ConversionError, grpc.StatusCode.INVALID_ARGUMENT)],
)
def test_unary_and_streaming_calls_map_a_refusal_alike(kind, code, tmp_path):
    servicer = Refusing(tmp_path, kind(f"{tmp_path}/session/x.bin: the ecephys service is out of reach"))
    with pytest.raises(Aborted) as unary:
        servicer.Answer(None, Context())
    answers: list[str] = []
    with pytest.raises(Aborted) as streamed:
        answers.extend(servicer.Stream(None, Context()))
    assert answers == ["first"]
    assert unary.value.args == streamed.value.args == (code, "session/x.bin: the ecephys service is out of reach")
