"""Where a modality's replicas answer: the addresses the configuration gives, as the endpoints to connect to.

A modality is reached at one address or a list of them (one per replica). A host name that resolves to several
addresses counts as several replicas: a Kubernetes headless Service resolves to the addresses of its ready pods,
so resolving at each conversion's start sees the replicas running then. A name with one address is kept as the
name (gRPC resolves it again when it reconnects); unix sockets and IP addresses are taken as they are.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from nwbstream.v1.transport import host_and_port

from .errors import ConversionError, ServiceUnavailable

# modality -> one address, or one per replica
Addresses = Mapping[str, str | Sequence[str]]


@dataclass(frozen=True)
class Endpoint:
    """One replica's gRPC address; `host` is the name it was resolved from, which its TLS certificate names."""

    address: str
    host: str | None = None


def address_list(addresses: str | Sequence[str]) -> list[str]:
    """One address or several, as a list."""
    return [addresses] if isinstance(addresses, str) else list(addresses)


def resolve_endpoints(addresses: str | Sequence[str]) -> list[Endpoint]:
    """Every replica behind `addresses`, each once, in the order given (a name's addresses in resolver order)."""
    endpoints: list[Endpoint] = []
    for address in address_list(addresses):
        for endpoint in _resolved(address):
            if endpoint not in endpoints:
                endpoints.append(endpoint)
    if not endpoints:
        raise ConversionError("a service needs at least one address")
    return endpoints


def _resolved(address: str) -> list[Endpoint]:
    if address.startswith(("unix:", "unix-abstract:")):
        return [Endpoint(address)]
    try:
        host, port = host_and_port(address)
    except ValueError as error:
        raise ConversionError(f"service address {error}") from None
    try:
        ipaddress.ip_address(host)
        return [Endpoint(address)]
    except ValueError:
        pass
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as error:  # socket.gaierror: no such name (a headless Service with no ready pod), no DNS
        raise ServiceUnavailable(f"service address {address}: cannot resolve {host}: {error}") from None
    ips = list(dict.fromkeys(info[4][0] for info in found))
    if len(ips) == 1:
        return [Endpoint(address)]
    return [Endpoint(f"[{ip}]:{port}" if ":" in ip else f"{ip}:{port}", host) for ip in ips]


PROBE_TIMEOUT = 2.0  # seconds for a connection to be accepted or refused; one that times out is left to gRPC


def refusal(address: str) -> str:
    """Why nothing listens at `address` ("127.0.0.1:1: connection refused"), found by opening a connection and
    closing it again; "" when something accepts it (or when the attempt only times out: a slow network)."""
    try:
        if address.startswith("unix:"):
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
                sock.settimeout(PROBE_TIMEOUT)
                sock.connect(address.removeprefix("unix:").removeprefix("//"))
        elif not address.startswith("unix-abstract:"):
            host, port = host_and_port(address)
            socket.create_connection((host, port), timeout=PROBE_TIMEOUT).close()
    except TimeoutError:
        return ""
    except socket.gaierror as error:
        return f"{address}: cannot resolve the host: {error.strerror}"
    except OSError as error:
        return f"{address}: {(error.strerror or str(error)).lower()}"
    return ""
