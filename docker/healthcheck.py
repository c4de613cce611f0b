"""The images' gRPC health probe: exit 0 when the server in this container answers SERVING, 1 otherwise.

Kubernetes' own `grpc:` probe speaks plaintext only, and nwbstream's servers refuse plaintext off loopback, so the
Dockerfiles' HEALTHCHECK and the chart's probes run this instead (`python /opt/nwbstream/healthcheck.py`). It is
set by the environment, with the chart's paths as defaults:

NWBSTREAM_HEALTH_ADDRESS      127.0.0.1:50051
NWBSTREAM_HEALTH_CA           /etc/nwbstream-tls/ca.crt (TLS when the file exists, else plaintext)
NWBSTREAM_HEALTH_CERT, _KEY   this end's certificate, for a server that requires one (mutual TLS)
NWBSTREAM_HEALTH_SERVER_NAME  the name the server's certificate must carry (default: localhost)
NWBSTREAM_HEALTH_TIMEOUT      seconds (default: 3)
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc


def _channel(environment: Mapping[str, str]) -> grpc.Channel:
    address = environment.get("NWBSTREAM_HEALTH_ADDRESS", "127.0.0.1:50051")
    ca = Path(environment.get("NWBSTREAM_HEALTH_CA", "/etc/nwbstream-tls/ca.crt"))
    if not ca.is_file():
        return grpc.insecure_channel(address)
    cert, key = environment.get("NWBSTREAM_HEALTH_CERT"), environment.get("NWBSTREAM_HEALTH_KEY")
    credentials = grpc.ssl_channel_credentials(
        root_certificates=ca.read_bytes(),
        private_key=Path(key).read_bytes() if key else None,
        certificate_chain=Path(cert).read_bytes() if cert else None,
    )
    name = environment.get("NWBSTREAM_HEALTH_SERVER_NAME", "localhost")
    return grpc.secure_channel(address, credentials, options=[("grpc.ssl_target_name_override", name)])


def check(environment: Mapping[str, str]) -> str:
    """The server's overall status name (SERVING, NOT_SERVING, ...), or what kept the probe from getting one."""
    timeout = float(environment.get("NWBSTREAM_HEALTH_TIMEOUT", "3"))
    try:
        with _channel(environment) as channel:
            reply = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=timeout)
    except (grpc.RpcError, OSError) as error:
        details = error.details() if isinstance(error, grpc.RpcError) else str(error)
        return f"unreachable: {details}"
    return health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status)


if __name__ == "__main__":
    status = check(os.environ)
    print(status)
    sys.exit(0 if status == "SERVING" else 1)
