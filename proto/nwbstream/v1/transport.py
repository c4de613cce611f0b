"""Transport settings both ends of the v1 contract share: the chunk size and gRPC message limits."""

from __future__ import annotations

MAX_CHUNK_BYTES = 64 * 2**20  # one chunk before encoding, sent as one message; HDF5 would allow up to 4 GiB
MESSAGE_LIMIT = MAX_CHUNK_BYTES + 2**20  # the encoded chunk (deflate may add a little) plus its envelope
GRPC_OPTIONS = [
    ("grpc.max_send_message_length", MESSAGE_LIMIT),
    ("grpc.max_receive_message_length", MESSAGE_LIMIT),
]
