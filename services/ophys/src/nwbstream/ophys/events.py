"""Fiber-photometry events: the shared events description, with the photometry device registries in its schema."""

from __future__ import annotations

from typing import Any

from nwbstream.service.events import BaseEventsInterface

from .photometry import photometry_metadata_schema


class BasePhotometryEventsInterface(BaseEventsInterface):
    """TTL and behaviour events recorded beside a photometry signal (Doric, NPM, pyPhotometry, TDT)."""

    def get_metadata_schema(self) -> dict[str, Any]:
        return photometry_metadata_schema("Events")
