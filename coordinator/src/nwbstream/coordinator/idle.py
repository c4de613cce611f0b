"""An idle deadline over a gRPC response stream: a stream that delivers nothing for too long is cancelled.

gRPC keepalive finds a service that stopped answering altogether (a stopped process, a lost machine), but a service
stuck inside a reader (a dead network mount, a read that never returns) still answers pings while its stream sends
nothing. Only the time spent waiting for the next message counts: a receiver held back by a full window (the writer
is behind) is not idle.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import TypeVar

import grpc

Message = TypeVar("Message")


class StreamStalled(grpc.RpcError):
    """The service sent nothing for the idle deadline; the call was cancelled. Reads as DEADLINE_EXCEEDED, as a
    deadline gRPC enforced would, so that it is retried as one."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"sent nothing for {seconds:g} s")
        self.seconds = seconds

    def code(self) -> grpc.StatusCode:
        return grpc.StatusCode.DEADLINE_EXCEEDED

    def details(self) -> str:
        return str(self)


class _Watch:
    """A thread that cancels `call` once it has been waited on for `seconds` without a message."""

    def __init__(self, call: grpc.Future, seconds: float) -> None:
        self._call = call
        self._seconds = seconds
        self._waiting_since: float | None = None
        self._closed = threading.Event()
        self.expired = False
        threading.Thread(target=self._run, daemon=True, name="idle deadline").start()

    def waiting(self) -> None:
        self._waiting_since = time.monotonic()

    def received(self) -> None:
        self._waiting_since = None

    def close(self) -> None:
        self._closed.set()

    def _run(self) -> None:
        left = self._seconds
        while not self._closed.wait(left):
            since = self._waiting_since
            if since is None:
                left = self._seconds
                continue
            left = since + self._seconds - time.monotonic()
            if left <= 0:
                self.expired = True
                self._call.cancel()
                return


def watched(call: Iterator[Message], seconds: float) -> Iterator[Message]:
    """The messages of a response stream (a gRPC call); raises StreamStalled once the next message has been waited
    for `seconds`, the call then cancelled. Closing the iterator early cancels the call too."""
    watch = _Watch(call, seconds)  # type: ignore[arg-type]  # a streaming call is both an iterator and a future
    try:
        while True:
            watch.waiting()
            try:
                message = next(call)
            except StopIteration:
                return
            except grpc.RpcError:
                if watch.expired:
                    raise StreamStalled(seconds) from None
                raise
            watch.received()
            yield message
    finally:
        watch.close()
        call.cancel()  # type: ignore[attr-defined]  # a no-op once the stream ended; else nothing reads it any more
