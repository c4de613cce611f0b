"""TLS files of one end of a connection, as the configuration names them (server/config.py) and the clients of the
modality services use them (client.py): kept here so that the converting core does not import the server."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import grpc
from nwbstream.v1.transport import CredentialsError, channel_credentials, server_credentials

from .errors import ConversionError


@dataclass(frozen=True)
class TLSFiles:
    """PEM files; `client_ca` (server side) or `cert` + `key` (client side) make the TLS mutual."""

    cert: Path | None = None
    key: Path | None = None
    ca: Path | None = None

    @property
    def enabled(self) -> bool:
        return any((self.cert, self.key, self.ca))

    def channel_credentials(self) -> grpc.ChannelCredentials:
        """To reach a server: `ca` checks its certificate (None: the system's CAs), `cert` + `key` are ours."""
        try:
            return channel_credentials(self.ca, self.cert, self.key)
        except CredentialsError as error:
            raise ConversionError(str(error)) from None

    def server_credentials(self) -> grpc.ServerCredentials:
        """To serve: `cert` + `key` are ours, `ca` (the configuration's client_ca) signs the callers' certificates."""
        if self.cert is None or self.key is None:
            raise ConversionError("TLS: a server needs both a certificate and its key")
        try:
            return server_credentials(self.cert, self.key, self.ca)
        except CredentialsError as error:
            raise ConversionError(str(error)) from None
