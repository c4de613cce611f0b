"""Transport settings both ends of the v1 contract share: chunk size, gRPC message limits, and TLS.

Plaintext is for loopback and unix sockets only (`is_loopback`); anything else serves TLS from PEM files read by
`server_credentials` (a `client_ca` makes it mutual: callers must show a certificate that CA signed) and is
reached with `channel_credentials` (a `cert` + `key` is the caller's certificate for mutual TLS).
"""

from __future__ import annotations

import ipaddress
import re
from pathlib import Path

import grpc

MAX_CHUNK_BYTES = 64 * 2**20  # one chunk before encoding, sent as one message; HDF5 would allow up to 4 GiB
MESSAGE_LIMIT = MAX_CHUNK_BYTES + 2**20  # the encoded chunk (deflate may add a little) plus its envelope
GRPC_OPTIONS = [
    ("grpc.max_send_message_length", MESSAGE_LIMIT),
    ("grpc.max_receive_message_length", MESSAGE_LIMIT),
]
# A server accepts the keepalive pings of its callers however often they come: a caller pings a silent stream (its
# window full, or the service hung) every few seconds to find a hung service, and gRPC's default answers pings more
# often than every 5 minutes on a stream without data by closing the connection ("too_many_pings").
SERVER_KEEPALIVE_OPTIONS = [("grpc.http2.max_ping_strikes", 0)]
PEM_LIMIT = 2**20  # a certificate chain or key is a few KiB; a larger file is not one


class CredentialsError(ValueError):
    """A TLS file that cannot be used; the message names the file and the problem."""


def is_loopback(address: str) -> bool:
    """A gRPC address on this machine only: a unix socket, or host:port with a loopback host (127.0.0.0/8, ::1,
    localhost)."""
    if address.startswith(("unix:", "unix-abstract:")):
        return True
    host = re.sub(r"^\[|\]$", "", address.rsplit(":", 1)[0])
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def server_credentials(
    cert: str | Path, key: str | Path, client_ca: str | Path | None = None
) -> grpc.ServerCredentials:
    """TLS with this certificate chain and key; with `client_ca`, every caller must present a certificate signed by
    it (mutual TLS) and one without is refused during the handshake."""
    pair = (_pem(key, "private key", "PRIVATE KEY"), _pem(cert, "certificate", "CERTIFICATE"))
    roots = None if client_ca is None else _pem(client_ca, "CA certificate", "CERTIFICATE")
    return grpc.ssl_server_credentials([pair], root_certificates=roots, require_client_auth=roots is not None)


def channel_credentials(
    ca: str | Path | None = None, cert: str | Path | None = None, key: str | Path | None = None
) -> grpc.ChannelCredentials:
    """TLS to a server whose certificate `ca` signed (None: the system's trusted CAs); `cert` + `key` present this
    end's certificate, for servers that require one."""
    if (cert is None) != (key is None):
        given, missing = ("certificate", "key") if key is None else ("key", "certificate")
        raise CredentialsError(f"{cert or key}: a client {given} without its {missing}: give both or neither")
    return grpc.ssl_channel_credentials(
        root_certificates=None if ca is None else _pem(ca, "CA certificate", "CERTIFICATE"),
        private_key=None if key is None else _pem(key, "private key", "PRIVATE KEY"),
        certificate_chain=None if cert is None else _pem(cert, "certificate", "CERTIFICATE"),
    )


def _pem(path: str | Path, what: str, label: str) -> bytes:
    """The file's bytes, once they look like a PEM `label` block (gRPC would only fail later, at the handshake)."""
    try:
        with open(path, "rb") as file:
            data = file.read(PEM_LIMIT + 1)
    except OSError as error:
        raise CredentialsError(f"{path}: cannot read the TLS {what}: {error.strerror}") from None
    if len(data) > PEM_LIMIT or not re.search(rb"-----BEGIN [A-Z ]*" + label.encode() + rb"-----", data):
        raise CredentialsError(f"{path}: not a PEM {what} (no '-----BEGIN ...{label}-----' block)")
    return data


def host_and_port(address: str) -> tuple[str, int]:
    """ "host:port" (or "[v6]:port") split; a ValueError names the address when it is not one."""
    host, sep, port = address.rpartition(":")
    if not sep or not host or not port.isdigit():
        raise ValueError(f"{address}: expected HOST:PORT")
    return host.strip("[]"), int(port)
